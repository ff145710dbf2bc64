/** An asyncio-shaped event loop that lives inside Node's own libuv loop. */
import { InvalidArgumentError } from '../errors.js';
import * as ops from '../net/socket-ops.js';
import type { ConnectAddress, OpOptions, SocketLike } from '../net/socket-ops.js';
import { Socket } from '../net/socket.js';
import { checkFd } from '../selectors/file-object.js';
import type { SocketAddress } from '../sys/socket.js';
import { BaseEventLoop, type EventLoopOptions } from './base-event-loop.js';
import { IoWaiters } from './io-waiters.js';
import { sleepOn } from './sleep.js';

export {
  type EventLoopOptions,
  type ExceptionContext,
  type ExceptionHandler,
  type IoCallback,
} from './base-event-loop.js';

/**
 * An event loop in the style of asyncio's, running as a guest in Node's own loop: the
 * readers, writers, callbacks and timers of {@link BaseEventLoop}, plus readiness as
 * Promises and asyncio's awaitable socket operations.
 *
 * @example
 * ```ts
 * const loop = getEventLoop();
 * const [conn] = await loop.sockAccept(server, { signal });
 * const data = await loop.sockRecv(conn, 1024, { signal });
 * await loop.sockSendAll(conn, data, { signal });
 * ```
 */
export class EventLoop extends BaseEventLoop {
  #waitsObject: IoWaiters | null = null;

  constructor(options: EventLoopOptions = {}) {
    super(options);
  }

  /**
   * Resolves when `fd` is readable. One task at a time may wait per fd and direction.
   *
   * @throws {BusyResourceError} if another wait is pending; the signal's reason if
   *   aborted (the registration is removed); {@link ClosedError} if `notifyClosing(fd)`
   *   or `close()` happens meanwhile.
   */
  async waitReadable(fd: number, options: OpOptions = {}): Promise<void> {
    this.checkOpen();
    return this.#waits.wait(checkFd(fd), true, options.signal);
  }

  /** Resolves when `fd` is writable; see {@link EventLoop.waitReadable}. */
  async waitWritable(fd: number, options: OpOptions = {}): Promise<void> {
    this.checkOpen();
    return this.#waits.wait(checkFd(fd), false, options.signal);
  }

  /**
   * The close protocol for an fd used with the awaitable operations: wakes their waiters
   * with {@link ClosedError} and unregisters the fd. Call it before closing a raw fd
   * (`Socket.close()` does).
   */
  notifyClosing(fd: number): void {
    checkFd(fd);
    this.#waitsObject?.notifyClosing(fd);
  }

  /** Receives up to `size` bytes from a socket (empty at end of stream). */
  async sockRecv(sock: SocketLike, size: number, options: OpOptions = {}): Promise<Buffer> {
    this.checkOpen();
    return ops.recv(this.#waits, ops.fdOf(sock), size, options.signal);
  }

  /** Receives into `buffer`; resolves with the byte count (0 at end of stream). */
  sockRecvInto(sock: SocketLike, buffer: ArrayBufferView, options: OpOptions = {}): Promise<number> {
    // Not an async function: on the per-message path one Promise layer fewer matters.
    // Argument errors still arrive as rejections.
    try {
      this.checkOpen();
      if (!ArrayBuffer.isView(buffer)) throw new InvalidArgumentError('buffer must be a Buffer, TypedArray or DataView');
      return ops.recvInto(this.#waits, ops.fdOf(sock), buffer, options.signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Sends all of `data`, waiting for writability as needed. If it is cancelled after part
   * of the data went out it throws `PartialSendError` with `bytesSent`; an OS error carries
   * `bytesSent` too.
   */
  sockSendAll(sock: SocketLike, data: ArrayBufferView, options: OpOptions = {}): Promise<void> {
    try {
      this.checkOpen();
      if (!ArrayBuffer.isView(data)) throw new InvalidArgumentError('data must be a Buffer, TypedArray or DataView');
      return ops.sendAll(this.#waits, ops.fdOf(sock), data, options.signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Accepts a connection: a {@link Socket} (non-blocking, close-on-exec) and the peer's
   * address. At the open-file limit (EMFILE/ENFILE) it backs off and retries instead of
   * spinning; pending connections are accepted once fds are free again.
   */
  async sockAccept(sock: SocketLike, options: OpOptions = {}): Promise<[Socket, SocketAddress]> {
    this.checkOpen();
    const [fd, address] = await ops.accept(
      this.#waits,
      ops.fdOf(sock),
      (ms, signal) => sleepOn(this, ms, signal),
      options.signal,
    );
    const family = address.family === 'IPv4' || address.family === 'IPv6' || address.family === 'unix' ? address.family : 'IPv4';
    return [new Socket({ fd, family, type: 'stream', loop: this }), address];
  }

  /** Connects a socket; host names (`{ host, port }`) are resolved with `node:dns`. */
  async sockConnect(sock: SocketLike, address: ConnectAddress, options: OpOptions = {}): Promise<void> {
    this.checkOpen();
    return ops.connect(this.#waits, ops.fdOf(sock), address, options.signal);
  }

  /** Receives one datagram of at most `size` bytes and its sender's address. */
  async sockRecvFrom(sock: SocketLike, size: number, options: OpOptions = {}): Promise<[Buffer, SocketAddress]> {
    this.checkOpen();
    return ops.recvFrom(this.#waits, ops.fdOf(sock), size, options.signal);
  }

  /** Sends one datagram to `address`; resolves with the bytes sent. */
  async sockSendTo(sock: SocketLike, data: ArrayBufferView, address: SocketAddress, options: OpOptions = {}): Promise<number> {
    this.checkOpen();
    return ops.sendTo(this.#waits, ops.fdOf(sock), data, address, options.signal);
  }

  /**
   * Sends `count` bytes (default: to end of file) of file `fileFd` from `offset` with
   * sendfile(2), falling back to read + send where sendfile cannot be used.
   *
   * @returns the bytes sent.
   */
  async sockSendFile(
    sock: SocketLike,
    fileFd: number,
    options: OpOptions & { offset?: number; count?: number } = {},
  ): Promise<number> {
    this.checkOpen();
    return ops.sendFile(this.#waits, ops.fdOf(sock), fileFd, options.offset ?? 0, options.count, options.signal);
  }

  /** Number of fds an awaitable operation is waiting on. */
  get waitingFds(): number {
    return this.#waitsObject?.waiting ?? 0;
  }

  get #waits(): IoWaiters {
    this.#waitsObject ??= new IoWaiters(this);
    return this.#waitsObject;
  }



  /**
   * Releases everything (see {@link BaseEventLoop.close}); operations still waiting are
   * rejected with `ClosedError` first.
   */
  override close(): void {
    if (!this.closed) this.#waitsObject?.closeAll();
    super.close();
  }
}

let defaultLoop: EventLoop | null = null;

/**
 * The current thread's default loop (each worker thread has its own), created on first
 * use, and created afresh if the previous one was closed.
 */
export function getEventLoop(): EventLoop {
  if (defaultLoop === null || defaultLoop.closed) defaultLoop = new EventLoop();
  return defaultLoop;
}
