/** A socket that owns its fd, with awaitable operations on an EventLoop. */
import { ClosedError, InvalidArgumentError, SystemError } from '../errors.js';
import { type EventLoop, getEventLoop } from '../loop/event-loop.js';
import * as fd from '../sys/fd.js';
import * as sys from '../sys/socket.js';
import type { SocketAddress, SocketOption } from '../sys/socket.js';
import { isValidFd } from '../selectors/file-object.js';
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
  loop?: EventLoop;
  /**
   * Adopt this existing socket fd (which the Socket then owns and closes) instead of
   * creating one; `family` and `type` should describe it.
   */
  fd?: number;
}

/** A local address to bind: a full {@link SocketAddress}, or a port and optional numeric host. */
export type BindAddress = SocketAddress | { address?: string; port: number } | { path: string };

function familyNumber(family: SocketFamily): number {
  if (family === 'IPv4') return sys.AF_INET;
  if (family === 'IPv6') return sys.AF_INET6;
  if (family === 'unix') return sys.AF_UNIX;
  throw new InvalidArgumentError(`Unknown socket family: ${String(family)}`);
}

function typeNumber(type: SocketType): number {
  if (type === 'stream') return sys.SOCK_STREAM;
  if (type === 'dgram') return sys.SOCK_DGRAM;
  throw new InvalidArgumentError(`Unknown socket type: ${String(type)}`);
}

/**
 * A non-blocking, close-on-exec socket: TCP or UDP over IPv4/IPv6, or Unix-domain.
 * Operations try the system call first and wait on the loop only when it would block;
 * each takes `{ signal }`.
 *
 * `close()` follows the close protocol: operations waiting on the socket are woken with
 * {@link ClosedError} and it leaves the loop before the fd is closed.
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
  #loop: EventLoop;

  constructor(options: SocketOptions = {}) {
    this.family = options.family ?? 'IPv4';
    this.type = options.type ?? 'stream';
    this.#loop = options.loop ?? getEventLoop();
    if (options.fd !== undefined) {
      if (!isValidFd(options.fd)) throw new InvalidArgumentError(`Invalid file descriptor: ${String(options.fd)}`);
      this.#fd = options.fd;
    } else {
      this.#fd = sys.socket(familyNumber(this.family), typeNumber(this.type));
    }
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
  get loop(): EventLoop {
    return this.#loop;
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
  async connect(address: ConnectAddress, options: OpOptions = {}): Promise<void> {
    this.#open();
    return this.#loop.sockConnect(this, address, options);
  }

  /** Accepts a connection: a new Socket and the peer's address. */
  async accept(options: OpOptions = {}): Promise<[Socket, SocketAddress]> {
    this.#open();
    return this.#loop.sockAccept(this, options);
  }

  /** Receives up to `size` bytes (empty at end of stream). */
  async recv(size: number, options: OpOptions = {}): Promise<Buffer> {
    this.#open();
    return this.#loop.sockRecv(this, size, options);
  }

  /** Receives into `buffer`; resolves with the byte count (0 at end of stream). */
  async recvInto(buffer: ArrayBufferView, options: OpOptions = {}): Promise<number> {
    this.#open();
    return this.#loop.sockRecvInto(this, buffer, options);
  }

  /** Sends once the socket is writable; resolves with the bytes sent (maybe fewer). */
  async send(data: ArrayBufferView, options: OpOptions = {}): Promise<number> {
    const socketFd = this.#open();
    for (;;) {
      const n = sys.send(socketFd, data);
      if (n >= 0) return n;
      if (n !== fd.errno.EAGAIN) throw new SystemError(n, 'send');
      await this.#loop.waitWritable(socketFd, options);
    }
  }

  /** Sends all of `data`. On cancellation after a partial send, throws `PartialSendError`. */
  async sendAll(data: ArrayBufferView, options: OpOptions = {}): Promise<void> {
    this.#open();
    return this.#loop.sockSendAll(this, data, options);
  }

  /** Receives one datagram of at most `size` bytes and its sender. */
  async recvFrom(size: number, options: OpOptions = {}): Promise<[Buffer, SocketAddress]> {
    this.#open();
    return this.#loop.sockRecvFrom(this, size, options);
  }

  /** Sends one datagram. */
  async sendTo(data: ArrayBufferView, address: SocketAddress, options: OpOptions = {}): Promise<number> {
    this.#open();
    return this.#loop.sockSendTo(this, data, address, options);
  }

  /** Shuts down reading, writing or both. */
  shutdown(how: 'read' | 'write' | 'both'): void {
    const value = how === 'read' ? sys.SHUT_RD : how === 'write' ? sys.SHUT_WR : how === 'both' ? sys.SHUT_RDWR : NaN;
    if (Number.isNaN(value)) throw new InvalidArgumentError(`how must be 'read', 'write' or 'both'`);
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
   * the loop, then it is closed. Idempotent.
   */
  close(): void {
    const socketFd = this.#fd;
    if (socketFd < 0) return;
    this.#fd = -1;
    if (!this.#loop.closed) this.#loop.notifyClosing(socketFd);
    fd.close(socketFd);
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
    if (typeof address !== 'object' || address === null) throw new InvalidArgumentError('address must be an object');
    if ('family' in address) return address;
    if ('path' in address) return { family: 'unix', path: address.path };
    if (this.family === 'unix') throw new InvalidArgumentError('a Unix-domain socket binds to { path }');
    const host = address.address ?? (this.family === 'IPv6' ? '::' : '0.0.0.0');
    return { family: this.family, address: host, port: address.port };
  }
}
