/**
 * Awaitable socket operations (asyncio's loop.sock_*): try the system call first and
 * wait for readiness only when it would block. A cancelled operation did not happen: no
 * byte is received and then dropped, and a cut-short sendAll says how much went out.
 */
import { lookup } from 'node:dns/promises';
import { readSync } from 'node:fs';
import { InvalidArgumentError, PartialSendError, SystemError } from '../errors.js';
import type { IoWaiters } from '../loop/io-waiters.js';
import { isValidFd } from '../selectors/file-object.js';
import { errno } from '../sys/fd.js';
import * as sock from '../sys/socket.js';
import type { SocketAddress } from '../sys/socket.js';

/** Anything the socket operations accept: an fd or an object with `fileno()`/`fd`. */
export type SocketLike = number | { fileno(): number } | { readonly fd: number };

/** An address with a host name to resolve, or a numeric {@link SocketAddress}. */
export type ConnectAddress = SocketAddress | { host: string; port: number };

/** Options carrying a cancellation signal. */
export interface OpOptions {
  signal?: AbortSignal;
}

const EAGAIN = errno.EAGAIN!;
const EINPROGRESS = errno.EINPROGRESS!;
const EMFILE = errno.EMFILE!;
const ENFILE = errno.ENFILE!;
const ECONNABORTED = errno.ECONNABORTED!;
const ENOSYS = errno.ENOSYS!;
const EINVAL = errno.EINVAL!;
const EOPNOTSUPP = errno.EOPNOTSUPP!;
const ESPIPE = errno.ESPIPE!;

/** The fd of a socket-like value. */
export function fdOf(socket: SocketLike): number {
  let fd: unknown = socket;
  if (typeof socket === 'object' && socket !== null) {
    fd = 'fileno' in socket && typeof socket.fileno === 'function' ? socket.fileno() : (socket as { fd?: unknown }).fd;
  }
  if (!isValidFd(fd)) throw new InvalidArgumentError(`Not a usable socket: ${String(fd)}`);
  return fd;
}

function fail(result: number, syscall: string): never {
  throw new SystemError(result, syscall);
}

export function recvInto(waits: IoWaiters, fd: number, buffer: ArrayBufferView, signal?: AbortSignal): Promise<number> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  const length = buffer.byteLength;
  const state = waits.state(fd);
  // After a short read the socket is known to be drained: a recv now would only
  // return EAGAIN, so wait first (one recv per message, not two).
  if (!state.drained) {
    const n = sock.recvInto(fd, buffer);
    if (n >= 0) {
      if (n < length) state.drained = true;
      return Promise.resolve(n);
    }
    if (n !== EAGAIN) return Promise.reject(new SystemError(n, 'recv'));
  }
  // The recv runs inside the readiness batch, so the whole operation is one Promise.
  return waits.complete<number>(fd, true, signal, (resolve, reject) => {
    const n = sock.recvInto(fd, buffer);
    if (n === EAGAIN) return false;
    if (n < 0) reject(new SystemError(n, 'recv'));
    else {
      if (n < length) state.drained = true;
      resolve(n);
    }
    return true;
  });
}

export async function recv(waits: IoWaiters, fd: number, size: number, signal?: AbortSignal): Promise<Buffer> {
  if (!Number.isInteger(size) || size < 0) throw new InvalidArgumentError(`Invalid size: ${String(size)}`);
  const buffer = Buffer.allocUnsafe(size);
  const n = await recvInto(waits, fd, buffer, signal);
  return n === size ? buffer : buffer.subarray(0, n);
}

const resolved = Promise.resolve();

export function sendAll(waits: IoWaiters, fd: number, data: ArrayBufferView, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  const total = data.byteLength;
  const n = sock.send(fd, data, 0, total);
  // The usual case: everything went at once, and no new Promise is needed.
  if (n === total) return resolved;
  if (n < 0 && n !== EAGAIN) return Promise.reject(new SystemError(n, 'send'));
  return sendRest(waits, fd, data, n > 0 ? n : 0, signal);
}

async function sendRest(waits: IoWaiters, fd: number, data: ArrayBufferView, sent: number, signal?: AbortSignal): Promise<void> {
  const total = data.byteLength;
  while (sent < total) {
    try {
      await waits.wait(fd, false, signal);
    } catch (reason) {
      if (sent > 0) throw new PartialSendError(sent, reason);
      throw reason;
    }
    const n = sock.send(fd, data, sent, total - sent);
    if (n >= 0) {
      sent += n;
    } else if (n !== EAGAIN) {
      const error = new SystemError(n, 'send');
      error.bytesSent = sent;
      throw error;
    }
  }
}

/** Sleeps on the loop's clock, honouring the signal (for accept back-off). */
type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export async function accept(
  waits: IoWaiters,
  fd: number,
  sleep: Sleep,
  signal?: AbortSignal,
): Promise<[number, SocketAddress]> {
  signal?.throwIfAborted();
  let backoff = 0;
  for (;;) {
    const r = sock.accept(fd);
    if (typeof r !== 'number') return r;
    if (r === EAGAIN) {
      backoff = 0;
      await waits.wait(fd, true, signal);
    } else if (r === EMFILE || r === ENFILE) {
      // At the open-file limit the listening socket stays readable, so waiting for
      // readiness would spin. Back off (1 ms doubling to 1 s) and retry: connections
      // wait in the kernel's backlog and are accepted once fds are free again.
      backoff = Math.min(backoff === 0 ? 1 : backoff * 2, 1000);
      await sleep(backoff, signal);
    } else if (r !== ECONNABORTED) {
      fail(r, 'accept');
    }
  }
}

async function resolveAddress(fd: number, address: ConnectAddress): Promise<SocketAddress> {
  if (typeof address !== 'object' || address === null) {
    throw new InvalidArgumentError('address must be { family, address, port }, { family: "unix", path } or { host, port }');
  }
  if ('family' in address) return address;
  const { host, port } = address;
  if (typeof host !== 'string') throw new InvalidArgumentError('address.host must be a string');
  // Resolve to the socket's own family.
  const wanted = sock.getsockname(fd).family === 'IPv6' ? 6 : 4;
  const found = await lookup(host, { family: wanted });
  return { family: found.family === 6 ? 'IPv6' : 'IPv4', address: found.address, port };
}

export async function connect(
  waits: IoWaiters,
  fd: number,
  address: ConnectAddress,
  signal?: AbortSignal,
): Promise<void> {
  signal?.throwIfAborted();
  const target = await resolveAddress(fd, address);
  signal?.throwIfAborted();
  const r = sock.connect(fd, target);
  if (r === 0) return;
  if (r !== EINPROGRESS) fail(r, 'connect');
  await waits.wait(fd, false, signal);
  const err = sock.getsockopt(fd, 'SO_ERROR');
  if (err !== 0) fail(err, 'connect');
}

export async function recvFrom(
  waits: IoWaiters,
  fd: number,
  size: number,
  signal?: AbortSignal,
): Promise<[Buffer, SocketAddress]> {
  signal?.throwIfAborted();
  if (!Number.isInteger(size) || size < 0) throw new InvalidArgumentError(`Invalid size: ${String(size)}`);
  const buffer = Buffer.allocUnsafe(size);
  for (;;) {
    const r = sock.recvFrom(fd, buffer);
    if (typeof r !== 'number') return [buffer.subarray(0, r[0]), r[1]];
    if (r !== EAGAIN) fail(r, 'recvfrom');
    await waits.wait(fd, true, signal);
  }
}

export async function sendTo(
  waits: IoWaiters,
  fd: number,
  data: ArrayBufferView,
  address: SocketAddress,
  signal?: AbortSignal,
): Promise<number> {
  signal?.throwIfAborted();
  for (;;) {
    const n = sock.sendTo(fd, address, data);
    if (n >= 0) return n;
    if (n !== EAGAIN) fail(n, 'sendto');
    await waits.wait(fd, false, signal);
  }
}

export async function sendFile(
  waits: IoWaiters,
  fd: number,
  fileFd: number,
  offset: number,
  count: number | undefined,
  signal?: AbortSignal,
): Promise<number> {
  signal?.throwIfAborted();
  if (!isValidFd(fileFd)) throw new InvalidArgumentError(`Invalid file descriptor: ${String(fileFd)}`);
  if (!Number.isInteger(offset) || offset < 0) throw new InvalidArgumentError(`Invalid offset: ${String(offset)}`);
  if (count !== undefined && (!Number.isInteger(count) || count < 0)) {
    throw new InvalidArgumentError(`Invalid count: ${String(count)}`);
  }
  let sent = 0;
  let useFallback = false;
  let seekable = true;
  const wanted = (): number => (count === undefined ? 1 << 30 : count - sent);
  while (count === undefined || sent < count) {
    if (!useFallback) {
      const n = sock.sendFile(fd, fileFd, offset + sent, wanted());
      if (n > 0) {
        sent += n;
        continue;
      }
      if (n === 0) break; // end of file
      // sendfile needs a mappable, seekable source (sendfile(2)): a pipe gives ESPIPE,
      // a socket or some file systems EINVAL; no sendfile at all is ENOSYS.
      if (n === ESPIPE) seekable = false;
      if (n === ENOSYS || n === EINVAL || n === EOPNOTSUPP || n === ESPIPE) {
        useFallback = sent === 0 || n === ENOSYS;
        if (!useFallback) fail(n, 'sendfile');
        continue;
      }
      if (n !== EAGAIN) {
        const error = new SystemError(n, 'sendfile');
        error.bytesSent = sent;
        throw error;
      }
      try {
        await waits.wait(fd, false, signal);
      } catch (reason) {
        if (sent > 0) throw new PartialSendError(sent, reason);
        throw reason;
      }
      continue;
    }
    // Fallback: positioned reads (pread) and sendAll, 64 KiB at a time; a pipe or
    // other unseekable source (ESPIPE) is read from where it stands.
    const chunk = Buffer.allocUnsafe(Math.min(65536, wanted()));
    let got: number;
    try {
      got = readSync(fileFd, chunk, 0, chunk.length, seekable ? offset + sent : null);
    } catch (error) {
      if (!seekable || (error as { code?: string }).code !== 'ESPIPE') throw error;
      seekable = false;
      continue;
    }
    if (got === 0) break;
    try {
      await sendAll(waits, fd, chunk.subarray(0, got), signal);
    } catch (error) {
      if (error instanceof PartialSendError) throw new PartialSendError(sent + error.bytesSent, error.cause);
      if (sent > 0) throw new PartialSendError(sent, error);
      throw error;
    }
    sent += got;
  }
  return sent;
}
