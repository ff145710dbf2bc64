/** The event loop users get: sockets, plus transports, protocols and servers. */
import { checkFunction } from '../internal/args.js';
import * as executors from '../executor/executor.js';
import type { ExecutorTask, ShutdownOptions, ThreadPoolExecutor } from '../executor/executor.js';
import type { EventLoopOptions } from '../loop/base-event-loop.js';
import { currentLoop, setDefaultLoopFactory } from '../loop/default-loop.js';
import { SocketEventLoop } from '../net/event-loop.js';
import type { Socket } from '../net/socket.js';
import * as connect from './connect.js';
import type {
  CreateConnectionOptions,
  CreateServerOptions,
  CreateUnixConnectionOptions,
  CreateUnixServerOptions,
} from './connect.js';
import { createDatagramEndpoint, type CreateDatagramEndpointOptions } from './datagram.js';
import { connectPipe, type ReadTransport, type WriteTransport } from './pipe-transport.js';
import type { Server } from './server.js';
import type { DatagramProtocol, DatagramTransport, Protocol, ProtocolFactory, StreamProtocol, Transport } from './types.js';

/**
 * An event loop in the style of asyncio's, running as a guest in Node's own loop: Node's
 * timers, `fs`, `node:net` and worker messages keep working beside it. Readers, writers,
 * callbacks and timers ({@link BaseEventLoop}), awaitable socket operations
 * (`sockRecv`, `sockSendAll`, …), and asyncio's transports, protocols and servers.
 *
 * @example
 * ```ts
 * const loop = getEventLoop();
 * const server = await loop.createServer(() => new EchoProtocol(), { host: '127.0.0.1', port: 0 });
 * const [transport, protocol] = await loop.createConnection(() => new Client(), { host: 'localhost', port });
 * ```
 */
export class EventLoop extends SocketEventLoop {
  /** @see {@link BaseEventLoop} */
  constructor(options?: EventLoopOptions) {
    super(options);
  }

  /**
   * Listens on `host`/`port` and makes a protocol per connection with `factory`. Resolves
   * with the {@link Server} once it is listening (and serving, unless
   * `startServing: false`).
   */
  createServer(factory: ProtocolFactory, options?: CreateServerOptions): Promise<Server> {
    return this.#guard(() => connect.createServer(this, factory, options));
  }

  /**
   * Connects to `host`/`port` (resolved with `node:dns`; each address tried in turn) and
   * resolves with the transport and protocol once `connectionMade` has run.
   */
  createConnection<P extends StreamProtocol>(factory: ProtocolFactory<P>, options: CreateConnectionOptions): Promise<[Transport, P]> {
    return this.#guard(() => {
      checkFunction(factory, 'createConnection: protocol factory');
      return connect.createConnection(this, factory, options);
    });
  }

  /** Listens on a Unix-domain socket `path` (a stale socket file there is removed first). */
  createUnixServer(factory: ProtocolFactory, options: CreateUnixServerOptions): Promise<Server> {
    return this.#guard(() => connect.createUnixServer(this, factory, options));
  }

  /** Connects to a Unix-domain socket `path`. */
  createUnixConnection<P extends StreamProtocol>(factory: ProtocolFactory<P>, options: CreateUnixConnectionOptions): Promise<[Transport, P]> {
    return this.#guard(() => {
      checkFunction(factory, 'createUnixConnection: protocol factory');
      return connect.createUnixConnection(this, factory, options);
    });
  }

  /** Wraps a stream Socket connected or accepted elsewhere; the transport owns it from now on. */
  connectAcceptedSocket<P extends StreamProtocol>(factory: ProtocolFactory<P>, socket: Socket): Promise<[Transport, P]> {
    return this.#guard(() => connect.connectAcceptedSocket(this, factory, socket));
  }

  /**
   * Opens a datagram endpoint: UDP over IPv4/IPv6, or a Unix-domain datagram socket
   * (`path`, or `{ path }` addresses). With `remoteAddress` the socket is connected: it
   * sends there by default and receives only from there. Host names are resolved with
   * `node:dns` and each (local, remote) pair of one family is tried in turn. Resolves
   * with the transport and protocol once `connectionMade` has run.
   *
   * @example
   * ```ts
   * const [transport] = await loop.createDatagramEndpoint(() => ({
   *   datagramReceived(data, from) { transport.sendTo(data, from); },
   * }), { localAddress: { host: '127.0.0.1', port: 0 } });
   * ```
   */
  createDatagramEndpoint<P extends DatagramProtocol>(factory: ProtocolFactory<P>, options: CreateDatagramEndpointOptions): Promise<[DatagramTransport, P]> {
    return this.#guard(() => createDatagramEndpoint(this, factory, options));
  }

  /**
   * Reads a pipe, FIFO, tty or socket fd through a protocol (`dataReceived`, then
   * `eofReceived` and `connectionLost(null)` at end of file). The transport owns the fd
   * from now on, sets it non-blocking, and closes it after `connectionLost`. The other end
   * of a pipe given to a child process should usually stay blocking (see `sys.pipe`).
   */
  connectReadPipe<P extends Protocol>(factory: ProtocolFactory<P>, fd: number): Promise<[ReadTransport, P]> {
    return this.#guard(() => connectPipe(this, factory, fd, false) as Promise<[ReadTransport, P]>);
  }

  /**
   * Writes a pipe, FIFO, tty or socket fd through a transport with flow control
   * (`pauseWriting`/`resumeWriting`) and `writeLines` coalesced into one `writev`. The
   * transport owns the fd from now on, sets it non-blocking, and closes it after
   * `connectionLost` (`writeEof()` closes it once flushed, so the reader sees end of file).
   */
  connectWritePipe<P extends Protocol>(factory: ProtocolFactory<P>, fd: number): Promise<[WriteTransport, P]> {
    return this.#guard(() => connectPipe(this, factory, fd, true) as Promise<[WriteTransport, P]>);
  }

  /**
   * Calls the function `task` names with `args` in a worker thread of `executor` (this
   * loop's default executor when `null`) — asyncio's `loop.run_in_executor`. Closing this
   * loop rejects the call with `ClosedError`. See {@link runInExecutor}.
   */
  runInExecutor<T = unknown>(executor: ThreadPoolExecutor | null, task: ExecutorTask, ...args: unknown[]): Promise<T> {
    return this.#guard(() => executors.runOn<T>(this, executor, task, args));
  }

  /** Replaces this loop's default executor (asyncio's `set_default_executor`). */
  setDefaultExecutor(executor: ThreadPoolExecutor): void {
    this.checkOpen();
    executors.setDefaultExecutor(executor, this);
  }

  /**
   * Shuts this loop's default executor down (asyncio's `shutdown_default_executor`): its
   * queued and running calls finish (queued ones reject with `CancelledError` instead
   * with `{ cancelPending: true }`), then its threads end. `close()` without it
   * terminates the threads and rejects the pending calls with `ClosedError`.
   */
  shutdownDefaultExecutor(options?: ShutdownOptions): Promise<void> {
    return executors.shutdownDefaultExecutor(this, options);
  }

  /** Runs `start` after the open check, turning every throw into a rejection. */
  #guard<T>(start: () => Promise<T>): Promise<T> {
    try {
      this.checkOpen();
      return start();
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

setDefaultLoopFactory(() => new EventLoop());

/**
 * The current thread's default loop (each worker thread has its own), created on first
 * use, and created afresh if the previous one was closed.
 */
export function getEventLoop(): EventLoop {
  return currentLoop() as EventLoop;
}
