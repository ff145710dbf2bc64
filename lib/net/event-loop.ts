/** An asyncio-shaped event loop that lives inside Node's own libuv loop. */
import { checkView, optionOf, signalOf } from '../internal/args.js';
import { BaseEventLoop, type EventLoopOptions } from '../loop/base-event-loop.js';
import type { SocketAddress } from '../sys/types.js';
import * as ops from './socket-ops.js';
import type { ConnectAddress, OpOptions, SocketLike } from './socket-ops.js';
import { Socket } from './socket.js';

export {
  type EventLoopOptions,
  type ExceptionContext,
  type ExceptionHandler,
  type IoCallback,
} from '../loop/base-event-loop.js';

/**
 * The readers, writers, callbacks, timers and readiness waits of {@link BaseEventLoop},
 * plus asyncio's awaitable socket operations. `EventLoop` adds transports and servers.
 *
 * Every operation takes `{ signal }`. It tries the system call first and waits for
 * readiness only when it would block; after a bounded number of immediate completions
 * on the same socket in one loop turn (the cooperative budget) it waits for the next
 * turn instead, so one busy connection cannot starve timers or other connections.
 * Argument errors arrive as rejections, never as synchronous throws.
 *
 * @example
 * ```ts
 * const loop = getEventLoop();
 * const [conn] = await loop.sockAccept(server, { signal });
 * const data = await loop.sockRecv(conn, 65536, { signal });
 * await loop.sockSendAll(conn, data, { signal });
 * ```
 */
export class SocketEventLoop extends BaseEventLoop {
  /** @see {@link BaseEventLoop} */
  constructor(options?: EventLoopOptions) {
    super(options);
  }

  /**
   * Receives up to `size` bytes from a socket; resolves with a Buffer of exactly the
   * bytes received (empty at end of stream).
   */
  sockRecv(sock: SocketLike, size: number, options?: OpOptions): Promise<Buffer> {
    try {
      this.checkOpen();
      const signal = signalOf(options, 'sockRecv');
      return ops.recv(this.io, ops.fdOf(sock), ops.checkSize(size), signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Receives into `buffer`; resolves with the byte count (0 at end of stream). */
  sockRecvInto(sock: SocketLike, buffer: ArrayBufferView, options?: OpOptions): Promise<number> {
    // Not an async function: on the per-message path one Promise layer fewer matters.
    try {
      this.checkOpen();
      const signal = signalOf(options, 'sockRecvInto');
      return ops.recvInto(this.io, ops.fdOf(sock), checkView(buffer), signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Sends all of `data`, waiting for writability as needed. If it is cancelled after part
   * of the data went out it throws `PartialSendError` with `bytesSent`; an OS error carries
   * `bytesSent` too.
   */
  sockSendAll(sock: SocketLike, data: ArrayBufferView, options?: OpOptions): Promise<void> {
    try {
      this.checkOpen();
      const signal = signalOf(options, 'sockSendAll');
      return ops.sendAll(this.io, sock, ops.fdOf(sock), checkView(data, 'data'), signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Accepts a connection: a {@link Socket} (non-blocking, close-on-exec) on this loop and
   * the peer's address. At the open-file limit (EMFILE/ENFILE) it backs off and retries
   * instead of spinning; pending connections are accepted once fds are free again.
   * Closing the listening socket (or the loop) during the back-off rejects with
   * `ClosedError`.
   */
  async sockAccept(sock: SocketLike, options?: OpOptions): Promise<[Socket, SocketAddress]> {
    this.checkOpen();
    const signal = signalOf(options, 'sockAccept');
    const [fd, address] = await ops.accept(this, sock, ops.fdOf(sock), signal);
    const family = address.family === 'IPv6' || address.family === 'unix' ? address.family : 'IPv4';
    return [new Socket({ fd, family, type: 'stream', loop: this }), address];
  }

  /**
   * Connects a socket; host names (`{ host, port }`) are resolved with `node:dns` to the
   * socket's family. Closing the socket during the lookup rejects with `ClosedError`.
   */
  async sockConnect(sock: SocketLike, address: ConnectAddress, options?: OpOptions): Promise<void> {
    this.checkOpen();
    const signal = signalOf(options, 'sockConnect');
    const target = ops.checkConnectAddress(address);
    return ops.connect(this.io, sock, ops.fdOf(sock), target, signal);
  }

  /** Receives one datagram of at most `size` bytes and its sender's address. */
  async sockRecvFrom(sock: SocketLike, size: number, options?: OpOptions): Promise<[Buffer, SocketAddress]> {
    this.checkOpen();
    const signal = signalOf(options, 'sockRecvFrom');
    return ops.recvFrom(this.io, ops.fdOf(sock), ops.checkSize(size), signal);
  }

  /** Sends one datagram to `address`; resolves with the bytes sent. */
  async sockSendTo(sock: SocketLike, data: ArrayBufferView, address: SocketAddress, options?: OpOptions): Promise<number> {
    this.checkOpen();
    const signal = signalOf(options, 'sockSendTo');
    return ops.sendTo(this.io, sock, ops.fdOf(sock), checkView(data, 'data'), address, signal);
  }

  /**
   * Sends `count` bytes (default: to end of file) of file `fileFd` from `offset` to a
   * socket with sendfile(2), falling back to reads + sends where sendfile cannot be used
   * (a pipe or socket source). Never blocks the thread: an unseekable source is read only
   * when readable. Failures are `SystemError`s naming `sockSendFile`, carrying
   * `bytesSent`; a cancellation after some bytes went out is a `PartialSendError`.
   *
   * @returns the bytes sent.
   * @throws {InvalidArgumentError} if `sock` is not a socket or offset/count are bad.
   */
  async sockSendFile(sock: SocketLike, fileFd: number, options?: OpOptions & { offset?: number; count?: number }): Promise<number> {
    this.checkOpen();
    const signal = signalOf(options, 'sockSendFile');
    const range = ops.checkSendFileRange(optionOf(options, 'offset', 'sockSendFile'), optionOf(options, 'count', 'sockSendFile'));
    return ops.sendFile(this, sock, ops.fdOf(sock), fileFd, range, signal);
  }
}
