/** A socket that owns its fd, with awaitable operations on an event loop. */
import { ClosedError, InvalidArgumentError } from '../errors.js';
import { checkView, optionOf, signalOf } from '../internal/args.js';
import { checkFd, describeValue } from '../internal/fd.js';
import { native } from '../internal/init.js';
import { BaseEventLoop } from '../loop/base-event-loop.js';
import { currentLoop } from '../loop/default-loop.js';
import * as sys from '../sys/socket.js';
import type { SocketOption } from '../sys/socket.js';
import type { SocketAddress } from '../sys/types.js';
import type { SocketEventLoop } from './event-loop.js';
import * as ops from './socket-ops.js';
import type { ConnectAddress, OpOptions } from './socket-ops.js';

/** Address families by name. */
export type SocketFamily = 'IPv4' | 'IPv6' | 'unix';
/** Socket types by name. */
export type SocketType = 'stream' | 'dgram';

/** Options for {@link Socket}. */
export interface SocketOptions {
  /** @defaultValue 'IPv4' */
  family?: SocketFamily;
  /** @defaultValue 'stream' (TCP for IP families) */
  type?: SocketType;
  /** The loop its operations wait on. @defaultValue the thread's default loop */
  loop?: SocketEventLoop;
  /**
   * Adopt this existing socket fd (which the Socket then owns and closes) instead of
   * creating one; `family` and `type` should describe it. An fd that another Socket
   * owns is refused.
   */
  fd?: number;
}

/** A local address to bind: a full {@link SocketAddress}, or a port and optional numeric host. */
export type BindAddress = SocketAddress | { address?: string; port: number } | { path: string };

const kFamilies: Record<SocketFamily, number> = { IPv4: sys.AF_INET, IPv6: sys.AF_INET6, unix: sys.AF_UNIX };
const kTypes: Record<SocketType, number> = { stream: sys.SOCK_STREAM, dgram: sys.SOCK_DGRAM };

/** What the finalizer needs to close a Socket that was dropped without `close()`. */
interface Held {
  fd: number;
  loop: BaseEventLoop;
  /** Where the Socket was created (debug mode only). */
  site: string | undefined;
}

// The live Sockets of this thread by fd. Ownership is checked by identity before a
// Socket closes its number: if the number was closed behind its back (sys.close ends
// the native ownership) and handed out again, the Socket must not close the newcomer.
const owners = new Map<number, Held>();

/** Closes `held.fd` if `held` still owns it; otherwise leaves the number alone. */
function release(held: Held): void {
  if (owners.get(held.fd) !== held) return;
  owners.delete(held.fd);
  if (!native.disownFd(held.fd)) return; // closed behind our back: the number is not ours
  if (!held.loop.closed) held.loop.notifyClosing(held.fd);
  native.closeOwnedFd(held.fd);
}

// A Socket garbage-collected while open still owns its fd: close it, as Python closes a
// dropped socket (and warns in debug mode, as its ResourceWarning does).
const unclosed = new FinalizationRegistry<Held>((held) => {
  const open = owners.get(held.fd) === held;
  release(held);
  if (open && held.site !== undefined) {
    process.emitWarning(`A Socket (fd ${held.fd}) was garbage-collected without close(); created here:\n${held.site}`, {
      type: 'IoreactorWarning',
      code: 'IOR_WARN_UNCLOSED',
    });
  }
});

function creationSite(): string {
  const stack = new Error().stack ?? '';
  // Drop the message line and the two frames inside this file.
  return stack.split('\n').slice(3, 8).join('\n');
}

function pick<T extends string>(value: unknown, table: Record<T, number>, what: string): T {
  if (typeof value === 'string' && Object.hasOwn(table, value)) return value as T;
  throw new InvalidArgumentError(`Unknown socket ${what}: ${describeValue(value)} (expected ${Object.keys(table).join(', ')})`);
}

/**
 * A non-blocking, close-on-exec socket: TCP or UDP over IPv4/IPv6, or Unix-domain.
 * Operations try the system call first and wait on the loop only when it would block;
 * each takes `{ signal }`.
 *
 * `close()` follows the close protocol: operations waiting on the socket are woken with
 * {@link ClosedError} and it leaves the loop before the fd is closed. A Socket that is
 * garbage-collected without `close()` has its fd closed for it (in debug mode with an
 * `IOR_WARN_UNCLOSED` warning naming where it was created), and a worker thread that
 * exits leaves none of its sockets' fds open.
 *
 * @example
 * ```ts
 * using server = new Socket();
 * server.setOption('SO_REUSEADDR', true);
 * server.bind({ address: '127.0.0.1', port: 0 });
 * server.listen();
 * const [conn] = await server.accept();
 * await conn.sendAll(await conn.recv(1024));
 * conn.close();
 * ```
 */
export class Socket implements Disposable, AsyncDisposable {
  /** 'IPv4', 'IPv6' or 'unix'. */
  readonly family: SocketFamily;
  /** 'stream' or 'dgram'. */
  readonly type: SocketType;
  #fd: number;
  #loop: BaseEventLoop;
  #held: Held;

  /**
   * @throws {InvalidArgumentError} for unknown options or an invalid `fd`.
   * @throws {ClosedError} if the loop is closed.
   * @throws {SystemError} if the socket cannot be created (`EMFILE`, `EAFNOSUPPORT`, …).
   */
  constructor(options?: SocketOptions) {
    const family = pick(optionOf(options, 'family', 'Socket') ?? 'IPv4', kFamilies, 'family');
    const type = pick(optionOf(options, 'type', 'Socket') ?? 'stream', kTypes, 'type');
    const loop = optionOf(options, 'loop', 'Socket') ?? currentLoop();
    const adopt = optionOf(options, 'fd', 'Socket');
    if (!(loop instanceof BaseEventLoop)) throw new InvalidArgumentError(`Socket: loop must be an EventLoop, got ${describeValue(loop)}`);
    if (loop.closed) throw new ClosedError('Socket: the event loop is closed');
    this.family = family;
    this.type = type;
    this.#loop = loop;
    let fd: number;
    if (adopt !== undefined) {
      fd = checkFd(adopt, 'fd to adopt');
      // One owner per fd: two Sockets on one number would close it twice, the second
      // time after it was reused by something else. (An entry whose number was closed
      // behind its Socket's back is stale: the native side no longer owns it.)
      if (owners.has(fd) && native.disownFd(fd)) {
        native.ownFd(fd);
        throw new InvalidArgumentError(`Socket: fd ${fd} already belongs to another Socket`);
      }
    } else {
      fd = sys.socket(kFamilies[family], kTypes[type]);
    }
    this.#fd = fd;
    this.#held = { fd, loop, site: loop.debug ? creationSite() : undefined };
    owners.set(fd, this.#held);
    native.ownFd(fd);
    unclosed.register(this, this.#held, this);
  }

  /** The fd, or -1 once closed (as Python's `socket.fileno()`). */
  fileno(): number {
    return this.#fd;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  /** The loop this socket waits on. */
  get loop(): SocketEventLoop {
    return this.#loop as SocketEventLoop;
  }

  /** Binds to a local address. @throws {SystemError} `EADDRINUSE`, … */
  bind(address: BindAddress): void {
    sys.bind(this.#open(), this.#toAddress(address));
  }

  /** Starts listening for connections. */
  listen(backlog?: number): void {
    sys.listen(this.#open(), backlog);
  }

  /** Connects; host names are resolved with `node:dns`. */
  async connect(address: ConnectAddress, options?: OpOptions): Promise<void> {
    const fd = this.#open();
    const signal = signalOf(options, 'connect');
    return ops.connect(this.#loop.io, this, fd, ops.checkConnectAddress(address), signal);
  }

  /** Accepts a connection: a new Socket (on the same loop) and the peer's address. */
  async accept(options?: OpOptions): Promise<[Socket, SocketAddress]> {
    const fd = this.#open();
    const signal = signalOf(options, 'accept');
    const [conn, address] = await ops.accept(this.#loop, this, fd, signal);
    const family = address.family === 'IPv6' || address.family === 'unix' ? address.family : 'IPv4';
    return [new Socket({ fd: conn, family, type: 'stream', loop: this.#loop as SocketEventLoop }), address];
  }

  /** Receives up to `size` bytes into a Buffer of exactly the size received (empty at end of stream). */
  async recv(size: number, options?: OpOptions): Promise<Buffer> {
    const fd = this.#open();
    const signal = signalOf(options, 'recv');
    return ops.recv(this.#loop.io, fd, ops.checkSize(size), signal);
  }

  /** Receives into `buffer`; resolves with the byte count (0 at end of stream). */
  async recvInto(buffer: ArrayBufferView, options?: OpOptions): Promise<number> {
    const fd = this.#open();
    const signal = signalOf(options, 'recvInto');
    return ops.recvInto(this.#loop.io, fd, checkView(buffer), signal);
  }

  /** Sends once the socket is writable; resolves with the bytes sent (maybe fewer). */
  async send(data: ArrayBufferView, options?: OpOptions): Promise<number> {
    const fd = this.#open();
    const signal = signalOf(options, 'send');
    return ops.send(this.#loop.io, this, fd, checkView(data, 'data'), signal);
  }

  /** Sends all of `data`. On cancellation after a partial send, throws `PartialSendError`. */
  async sendAll(data: ArrayBufferView, options?: OpOptions): Promise<void> {
    const fd = this.#open();
    const signal = signalOf(options, 'sendAll');
    return ops.sendAll(this.#loop.io, this, fd, checkView(data, 'data'), signal);
  }

  /** Receives one datagram of at most `size` bytes and its sender. */
  async recvFrom(size: number, options?: OpOptions): Promise<[Buffer, SocketAddress]> {
    const fd = this.#open();
    const signal = signalOf(options, 'recvFrom');
    return ops.recvFrom(this.#loop.io, fd, ops.checkSize(size), signal);
  }

  /** Sends one datagram. */
  async sendTo(data: ArrayBufferView, address: SocketAddress, options?: OpOptions): Promise<number> {
    const fd = this.#open();
    const signal = signalOf(options, 'sendTo');
    return ops.sendTo(this.#loop.io, this, fd, checkView(data, 'data'), address, signal);
  }

  /** Shuts down reading, writing or both. */
  shutdown(how: 'read' | 'write' | 'both'): void {
    const value = how === 'read' ? sys.SHUT_RD : how === 'write' ? sys.SHUT_WR : how === 'both' ? sys.SHUT_RDWR : undefined;
    if (value === undefined) throw new InvalidArgumentError(`how must be 'read', 'write' or 'both', got ${describeValue(how)}`);
    sys.shutdown(this.#open(), value);
  }

  /** Sets an integer (or boolean) socket option. */
  setOption(option: SocketOption, value: number | boolean): void {
    sys.setsockopt(this.#open(), option, value);
  }

  /** Reads an integer socket option. */
  getOption(option: SocketOption): number {
    return sys.getsockopt(this.#open(), option);
  }

  /** The local address. */
  get localAddress(): SocketAddress {
    return sys.getsockname(this.#open());
  }

  /** The peer's address. @throws {SystemError} `ENOTCONN` */
  get remoteAddress(): SocketAddress {
    return sys.getpeername(this.#open());
  }

  /**
   * Closes the socket: waiting operations reject with {@link ClosedError}, the fd leaves
   * the loop, then it is closed. Idempotent; never throws. If the fd was closed behind the
   * Socket's back (`sys.close(sock.fileno())`), its number is left alone: it may belong to
   * something else by now.
   */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    unclosed.unregister(this);
    release(this.#held);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  #open(): number {
    if (this.#fd < 0) throw new ClosedError('Socket is closed');
    return this.#fd;
  }

  #toAddress(address: BindAddress): SocketAddress {
    if (typeof address !== 'object' || address === null) {
      throw new InvalidArgumentError(`address must be an object, got ${describeValue(address)}`);
    }
    let family: unknown;
    let path: unknown;
    let host: unknown;
    let port: unknown;
    try {
      ({ family, path, address: host, port } = address as { family?: unknown; path?: unknown; address?: unknown; port?: unknown });
    } catch (cause) {
      throw new InvalidArgumentError('reading the address threw', { cause });
    }
    if (family !== undefined) return address as SocketAddress;
    if (path !== undefined) return { family: 'unix', path: path as string };
    if (this.family === 'unix') throw new InvalidArgumentError('a Unix-domain socket binds to { path }');
    if (host !== undefined && typeof host !== 'string') {
      throw new InvalidArgumentError(`address.address must be a numeric IP string, got ${describeValue(host)}`);
    }
    return { family: this.family, address: host ?? (this.family === 'IPv6' ? '::' : '0.0.0.0'), port: port as number };
  }
}
