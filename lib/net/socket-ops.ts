/**
 * Awaitable socket operations (asyncio's loop.sock_*): try the system call first and
 * wait for readiness only when it would block. A cancelled operation did not happen: no
 * byte is received and then dropped, and a cut-short send says how much went out.
 *
 * Every operation holds its owner (the socket object it was given, or the fd number) and
 * checks after each wait that the owner still holds the same fd, so an fd number closed
 * and reused meanwhile is never touched; waits not about readiness (a back-off, a DNS
 * lookup) are guarded waits that the close protocol reaches too.
 */
import { lookup } from 'node:dns/promises';
import { ClosedError, InvalidArgumentError, PartialSendError, SystemError } from '../errors.js';
import type { SignalOptions } from '../internal/args.js';
import { describeValue, fileObjectToFd, isValidFd } from '../internal/fd.js';
import { native } from '../internal/init.js';
import type { BaseEventLoop } from '../loop/base-event-loop.js';
import type { FdEntry, FdTable } from '../loop/fd-table.js';
import { errno } from '../sys/fd.js';
import type { SocketAddress } from '../sys/types.js';

/** Anything the socket operations accept: an fd or an object with `fileno()`/`fd`. */
export type SocketLike = number | { fileno(): number } | { readonly fd: number };

/** An address with a host name to resolve, or a numeric {@link SocketAddress}. */
export type ConnectAddress = SocketAddress | { host: string; port: number };

/** Options of the socket operations: a cancellation signal. */
export type OpOptions = SignalOptions;

const EAGAIN = errno.EAGAIN;
const EINPROGRESS = errno.EINPROGRESS;
const EMFILE = errno.EMFILE;
const ENFILE = errno.ENFILE;
const ECONNABORTED = errno.ECONNABORTED;
const ENOSYS = errno.ENOSYS;
const EINVAL = errno.EINVAL;
const EOPNOTSUPP = errno.EOPNOTSUPP;
const ESPIPE = errno.ESPIPE;
const ENOTSOCK = errno.ENOTSOCK;

const resolved = Promise.resolve();
const noop = (): void => undefined;

/** The fd of a socket-like value. @throws {InvalidArgumentError} */
export function fdOf(socket: unknown): number {
  return fileObjectToFd(socket, 'socket');
}

/** Whether `owner` still holds `fd` (a closed Socket's `fileno()` is -1). */
function holds(owner: SocketLike, fd: number): boolean {
  if (typeof owner === 'number') return true;
  try {
    return fileObjectToFd(owner) === fd;
  } catch {
    return false;
  }
}

function closedDuring(operation: string): ClosedError {
  return new ClosedError(`the socket was closed while ${operation} waited on it`);
}

/** @throws {ClosedError} if the owner no longer holds fd. */
function checkHolds(owner: SocketLike, fd: number, operation: string): void {
  if (!holds(owner, fd)) throw closedDuring(operation);
}

/** @throws {InvalidArgumentError} unless size is an integer in [0, 2**31). */
export function checkSize(size: unknown): number {
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || size > 0x7fffffff) {
    throw new InvalidArgumentError(`size must be an integer from 0 to 2147483647, got ${describeValue(size)}`);
  }
  return size;
}

/**
 * One recv into `buffer` with its bookkeeping (a short read marks the socket drained; the
 * bytes are charged to the budget). @returns the byte count, or a negative errno.
 */
function recvIntoOnce(io: FdTable, entry: FdEntry, buffer: ArrayBufferView): number {
  const n = native.recvInto(entry.fd, buffer);
  if (n >= 0) {
    if (n < buffer.byteLength) entry.drained = true;
    io.charge(entry, n);
  }
  return n;
}

export function recvInto(io: FdTable, fd: number, buffer: ArrayBufferView, signal: AbortSignal | undefined): Promise<number> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  const entry = io.entry(fd);
  // After a short read the socket is known to be drained: a recv now would only return
  // EAGAIN, so wait first (one recv per message, not two). Past the budget, wait too.
  if (!entry.drained && io.spend(entry)) {
    const n = recvIntoOnce(io, entry, buffer);
    if (n >= 0) return Promise.resolve(n);
    if (n !== EAGAIN) return Promise.reject(new SystemError(n, 'recv'));
  }
  // The recv runs inside the readiness batch, so the whole operation is one Promise.
  return io.wait<number>(fd, true, signal, attemptRecvInto, buffer);
}

/** recvInto's attempt inside the readiness batch (a module function: no closure per wait). */
function attemptRecvInto(
  resolve: (value: number) => void,
  reject: (error: unknown) => void,
  entry: FdEntry,
  arg: unknown,
  io: FdTable,
): boolean {
  let n: number;
  try {
    n = recvIntoOnce(io, entry, arg as ArrayBufferView);
  } catch (error) {
    reject(error);
    return true;
  }
  if (n === EAGAIN) return false;
  if (n < 0) reject(new SystemError(n, 'recv'));
  else resolve(n);
  return true;
}

/** Copies the first `n` bytes of `scratch` into a Buffer of exactly that size. */
function copyOut(scratch: Buffer, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  scratch.copy(out, 0, 0, n);
  return out;
}

/**
 * One recv of up to `size` bytes through the loop's shared scratch buffer, copied out
 * into a Buffer of exactly the size received. @returns that Buffer, or a negative errno.
 */
function recvOnce(io: FdTable, entry: FdEntry, size: number): Buffer | number {
  const scratch = io.scratch(size);
  const n = native.recvInto(entry.fd, scratch, 0, size);
  if (n < 0) return n;
  if (n < size) entry.drained = true;
  io.charge(entry, n);
  return copyOut(scratch, n);
}

/**
 * Receives up to `size` bytes into a Buffer of exactly the size received: the data goes
 * through the loop's shared scratch buffer, so a 74-byte message costs 74 bytes, not
 * `size`.
 */
export function recv(io: FdTable, fd: number, size: number, signal: AbortSignal | undefined): Promise<Buffer> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  const entry = io.entry(fd);
  if (!entry.drained && io.spend(entry)) {
    const r = recvOnce(io, entry, size);
    if (typeof r !== 'number') return Promise.resolve(r);
    if (r !== EAGAIN) return Promise.reject(new SystemError(r, 'recv'));
  }
  return io.wait<Buffer>(fd, true, signal, attemptRecv, size);
}

/** recv's attempt inside the readiness batch. */
function attemptRecv(
  resolve: (value: Buffer) => void,
  reject: (error: unknown) => void,
  entry: FdEntry,
  arg: unknown,
  io: FdTable,
): boolean {
  const r = recvOnce(io, entry, arg as number);
  if (r === EAGAIN) return false;
  if (typeof r === 'number') reject(new SystemError(r, 'recv'));
  else resolve(r);
  return true;
}

export function sendAll(
  io: FdTable,
  owner: SocketLike,
  fd: number,
  data: ArrayBufferView,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  const total = data.byteLength;
  const entry = io.entry(fd);
  if (!io.spend(entry)) return sendRest(io, owner, fd, data, 0, signal);
  const n = native.send(fd, data, 0, total);
  if (n > 0) io.charge(entry, n);
  // The usual case: everything went at once, and no new Promise is needed.
  if (n === total) return resolved;
  if (n < 0 && n !== EAGAIN) return Promise.reject(new SystemError(n, 'send'));
  return sendRest(io, owner, fd, data, n > 0 ? n : 0, signal);
}

async function sendRest(
  io: FdTable,
  owner: SocketLike,
  fd: number,
  data: ArrayBufferView,
  sent: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const total = data.byteLength;
  while (sent < total) {
    try {
      await io.wait(fd, false, signal);
      checkHolds(owner, fd, 'sendAll');
    } catch (reason) {
      if (sent > 0) throw new PartialSendError(sent, reason);
      throw reason;
    }
    const n = native.send(fd, data, sent, total - sent);
    if (n >= 0) {
      sent += n;
    } else if (n !== EAGAIN) {
      const error = new SystemError(n, 'send');
      error.bytesSent = sent;
      throw error;
    }
  }
}

/** Sends once the socket is writable; resolves with the bytes sent (maybe fewer). */
export async function send(
  io: FdTable,
  owner: SocketLike,
  fd: number,
  data: ArrayBufferView,
  signal: AbortSignal | undefined,
): Promise<number> {
  signal?.throwIfAborted();
  for (;;) {
    const entry = io.entry(fd);
    if (io.spend(entry)) {
      const n = native.send(fd, data);
      if (n >= 0) {
        io.charge(entry, n);
        return n;
      }
      if (n !== EAGAIN) throw new SystemError(n, 'send');
    }
    await io.wait(fd, false, signal);
    checkHolds(owner, fd, 'send');
  }
}

export async function accept(
  loop: BaseEventLoop,
  owner: SocketLike,
  fd: number,
  signal: AbortSignal | undefined,
): Promise<[number, SocketAddress]> {
  signal?.throwIfAborted();
  const io = loop.io;
  let backoff = 0;
  for (;;) {
    if (!io.spend(io.entry(fd))) {
      await io.wait(fd, true, signal);
    } else {
      const r = native.accept(fd);
      if (typeof r !== 'number') return r;
      if (r === EAGAIN) {
        backoff = 0;
        await io.wait(fd, true, signal);
      } else if (r === EMFILE || r === ENFILE) {
        // At the open-file limit the listening socket stays readable, so waiting for
        // readiness would spin. Back off (1 ms doubling to 1 s) and retry: connections
        // wait in the kernel's backlog and are accepted once fds are free again. The
        // back-off is a guarded wait, so closing the socket or the loop ends it.
        backoff = Math.min(backoff === 0 ? 1 : backoff * 2, 1000);
        const delay = backoff;
        await io.guard<void>(fd, true, signal, (resolve) => {
          const timer = loop.callLater(delay, resolve as () => void);
          return () => timer.cancel();
        });
      } else if (r !== ECONNABORTED) {
        throw new SystemError(r, 'accept');
      }
    }
    checkHolds(owner, fd, 'sockAccept');
  }
}

/**
 * Validates a connect address before anything happens.
 *
 * @returns the numeric address, or the host and port to resolve.
 */
export function checkConnectAddress(address: unknown): SocketAddress | { host: string; port: number } {
  if (typeof address !== 'object' || address === null) {
    throw new InvalidArgumentError(
      `address must be { family, address, port }, { family: 'unix', path } or { host, port }, got ${describeValue(address)}`,
    );
  }
  let family: unknown;
  let host: unknown;
  let port: unknown;
  try {
    ({ family, host, port } = address as { family?: unknown; host?: unknown; port?: unknown });
  } catch (cause) {
    throw new InvalidArgumentError('reading the address threw', { cause });
  }
  if (family !== undefined) return address as SocketAddress;
  if (typeof host !== 'string' || host === '') throw new InvalidArgumentError('address.host must be a non-empty string');
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`address.port must be an integer from 0 to 65535, got ${describeValue(port)}`);
  }
  return { host, port };
}

/** Resolves `host` with node:dns to the socket's own family, as a guarded wait. */
function resolveHost(io: FdTable, fd: number, host: string, port: number, signal: AbortSignal | undefined): Promise<SocketAddress> {
  const family = native.getsockname(fd).family === 'IPv6' ? 6 : 4;
  return io.guard<SocketAddress>(fd, false, signal, (resolve, reject) => {
    lookup(host, { family }).then(
      (found) => resolve({ family: found.family === 6 ? 'IPv6' : 'IPv4', address: found.address, port }),
      (error: { errno?: unknown; code?: unknown }) => {
        const wrapped =
          typeof error.errno === 'number'
            ? new SystemError(error.errno, 'getaddrinfo', `sockConnect to ${JSON.stringify(host)}`)
            : new InvalidArgumentError(`could not resolve ${JSON.stringify(host)}`);
        (wrapped as { cause?: unknown }).cause = error;
        reject(wrapped);
      },
    );
    return noop; // the lookup cannot be stopped; its result is ignored once cancelled
  });
}

export async function connect(
  io: FdTable,
  owner: SocketLike,
  fd: number,
  address: SocketAddress | { host: string; port: number },
  signal: AbortSignal | undefined,
): Promise<void> {
  signal?.throwIfAborted();
  let target: SocketAddress;
  if ('host' in address && !('family' in address)) {
    target = await resolveHost(io, fd, address.host, address.port, signal);
    checkHolds(owner, fd, 'sockConnect');
  } else {
    target = address as SocketAddress;
  }
  const r = native.connect(fd, target);
  if (r === 0) return;
  if (r !== EINPROGRESS) throw new SystemError(r, 'connect');
  await io.wait(fd, false, signal);
  checkHolds(owner, fd, 'sockConnect');
  const err = native.getsockopt(fd, 'SO_ERROR');
  if (err !== 0) throw new SystemError(err, 'connect');
}

export function recvFrom(
  io: FdTable,
  fd: number,
  size: number,
  signal: AbortSignal | undefined,
): Promise<[Buffer, SocketAddress]> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  const entry = io.entry(fd);
  if (io.spend(entry)) {
    let result: [Buffer, SocketAddress] | undefined;
    let failure: unknown;
    const done = attemptRecvFrom((value) => (result = value), (error) => (failure = error), entry, size, io);
    if (done) return result !== undefined ? Promise.resolve(result) : Promise.reject(failure);
  }
  return io.wait(fd, true, signal, attemptRecvFrom, size);
}

/** recvFrom's attempt (at once, or inside the readiness batch). */
function attemptRecvFrom(
  resolve: (value: [Buffer, SocketAddress]) => void,
  reject: (error: unknown) => void,
  entry: FdEntry,
  arg: unknown,
  io: FdTable,
): boolean {
  const size = arg as number;
  const scratch = io.scratch(size);
  const r = native.recvFrom(entry.fd, scratch, 0, size);
  if (r === EAGAIN) return false;
  if (typeof r === 'number') reject(new SystemError(r, 'recvfrom'));
  else resolve([copyOut(scratch, r[0]), r[1]]);
  return true;
}

export async function sendTo(
  io: FdTable,
  owner: SocketLike,
  fd: number,
  data: ArrayBufferView,
  address: SocketAddress,
  signal: AbortSignal | undefined,
): Promise<number> {
  signal?.throwIfAborted();
  for (;;) {
    const entry = io.entry(fd);
    if (io.spend(entry)) {
      const n = native.sendTo(fd, address, data);
      if (n >= 0) {
        io.charge(entry, n);
        return n;
      }
      if (n !== EAGAIN) throw new SystemError(n, 'sendto');
    }
    await io.wait(fd, false, signal);
    checkHolds(owner, fd, 'sockSendTo');
  }
}

/** Validated arguments of sockSendFile. */
export interface SendFileRange {
  offset: number;
  count: number | undefined;
}

/** @throws {InvalidArgumentError} for a bad offset or count. */
export function checkSendFileRange(offset: unknown, count: unknown): SendFileRange {
  const ok = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER;
  if (offset !== undefined && !ok(offset)) throw new InvalidArgumentError(`offset must be an integer >= 0, got ${describeValue(offset)}`);
  if (count !== undefined && !ok(count)) throw new InvalidArgumentError(`count must be an integer >= 0, got ${describeValue(count)}`);
  return { offset: offset ?? 0, count };
}

const kChunk = 65536;

/**
 * sendfile(2) from `fileFd` to the socket, falling back to reads + sends where sendfile
 * cannot be used (a pipe or socket source, or no sendfile). Never blocks the thread: a
 * source that is not seekable is read only once it is readable.
 */
export async function sendFile(
  loop: BaseEventLoop,
  owner: SocketLike,
  fd: number,
  fileFd: number,
  range: SendFileRange,
  signal: AbortSignal | undefined,
): Promise<number> {
  signal?.throwIfAborted();
  if (!isValidFd(fileFd)) throw new InvalidArgumentError(`Invalid file descriptor: ${describeValue(fileFd)}`);
  const io = loop.io;
  // The destination must be a socket: sendfile to a regular file would run to the end
  // without ever waiting (or yielding), and the fallback's sends would fail anyway.
  try {
    native.getsockopt(fd, 'SO_TYPE');
  } catch (error) {
    if (error instanceof SystemError && error.errno === ENOTSOCK) {
      throw new InvalidArgumentError('sockSendFile: the destination is not a socket');
    }
    throw error;
  }
  const { offset, count } = range;
  let sent = 0;
  let fallback = false;
  let seekable = true;
  let readArmed = false;
  const fail = (result: number, syscall: string): never => {
    const error = new SystemError(result, syscall, 'sockSendFile');
    error.bytesSent = sent;
    throw error;
  };
  const waitFor = async (waitFd: number, read: boolean): Promise<void> => {
    try {
      await io.wait(waitFd, read, signal);
    } catch (reason) {
      if (sent > 0) throw new PartialSendError(sent, reason, 'sockSendFile');
      throw reason;
    }
    if (read) readArmed = true;
    checkHolds(owner, fd, 'sockSendFile');
  };
  try {
    while (count === undefined || sent < count) {
      const wanted = count === undefined ? 1 << 30 : Math.min(count - sent, 1 << 30);
      if (!fallback) {
        if (!io.spend(io.entry(fd))) {
          await waitFor(fd, false);
          continue;
        }
        const n = native.sendFile(fd, fileFd, offset + sent, wanted);
        if (n > 0) {
          sent += n;
          io.charge(io.entry(fd), n);
        }
        else if (n === 0) break; // end of file
        else if (n === EAGAIN) await waitFor(fd, false);
        else if (n === ENOSYS || n === EINVAL || n === EOPNOTSUPP || n === ESPIPE) {
          // sendfile needs a mappable, seekable source (sendfile(2)): a pipe gives ESPIPE,
          // a socket or some file systems EINVAL; no sendfile at all is ENOSYS. sendfile
          // with an explicit offset never moves the file position, so the fallback can
          // take over where it stopped.
          fallback = true;
          if (n === ESPIPE) seekable = false;
        } else fail(n, 'sendfile');
        continue;
      }
      const scratch = io.scratch(kChunk);
      const want = Math.min(kChunk, wanted);
      let got: number;
      if (seekable) {
        got = native.pread(fileFd, scratch, 0, want, offset + sent);
        if (got === ESPIPE) {
          seekable = false;
          continue;
        }
        if (got < 0) fail(got, 'pread');
      } else {
        // An unseekable source may be in blocking mode: read it only once it is readable,
        // so the read returns what is there instead of blocking the loop.
        await waitFor(fileFd, true);
        got = native.read(fileFd, scratch, 0, want);
        if (got === EAGAIN) continue;
        if (got < 0) fail(got, 'read');
      }
      if (got === 0) break;
      // The scratch buffer is shared: copy the chunk out before sending can wait.
      const chunk = copyOut(scratch, got);
      try {
        await sendAll(io, owner, fd, chunk, signal);
      } catch (error) {
        if (error instanceof PartialSendError) throw new PartialSendError(sent + error.bytesSent, error.cause, 'sockSendFile');
        if (error instanceof SystemError) {
          const wrapped = new SystemError(error.errno, error.syscall, 'sockSendFile');
          wrapped.bytesSent = sent + (error.bytesSent ?? 0);
          throw wrapped;
        }
        if (sent > 0) throw new PartialSendError(sent, error, 'sockSendFile');
        throw error;
      }
      sent += got;
    }
  } finally {
    // The source's registration was ours alone: do not leave it armed on a number the
    // caller may close and reuse.
    if (readArmed) io.release(fileFd);
  }
  return sent;
}
