/**
 * A listening server (asyncio's `Server`): accepts in batches on readiness, makes a
 * transport and a protocol per connection, backs off at the open-file limit instead of
 * spinning, and knows its connections so that it can close them and wait for them.
 */
import { ClosedError, SystemError } from '../errors.js';
import { signalOf, type SignalOptions } from '../internal/args.js';
import { native } from '../internal/init.js';
import type { BaseEventLoop } from '../loop/base-event-loop.js';
import type { TimerHandle } from '../loop/handle.js';
import { Socket } from '../net/socket.js';
import { errno } from '../sys/fd.js';
import { SocketTransport, type TransportOwner } from './socket-transport.js';
import type { BaseProtocol, ProtocolFactory } from './types.js';

const EAGAIN = errno.EAGAIN;
const EMFILE = errno.EMFILE;
const ENFILE = errno.ENFILE;
const ENOBUFS = errno.ENOBUFS;
const ENOMEM = errno.ENOMEM;
const ECONNABORTED = errno.ECONNABORTED;

interface Listener {
  sock: Socket;
  fd: number;
  onAcceptable: () => void;
  backoff: number;
  retry: TimerHandle | null;
}

/** Called for each accepted connection with its new transport (the streams layer wraps it). */
export type ConnectionHook = (transport: SocketTransport, protocol: BaseProtocol) => void;

/**
 * A server listening on one or more sockets. `close()` stops accepting at once;
 * `waitClosed()` resolves once it is closed and every connection has closed too.
 *
 * @example
 * ```ts
 * await using server = await loop.createServer(() => new EchoProtocol(), { host: '127.0.0.1', port: 0 });
 * console.log(server.sockets[0].localAddress);
 * await server.serveForever({ signal });
 * ```
 */
export class Server implements AsyncDisposable {
  #loop: BaseEventLoop;
  #listeners: Listener[];
  #factory: ProtocolFactory;
  #backlog: number;
  #connections = new Set<SocketTransport>();
  #serving = false;
  #closed = false;
  #idle: (() => void)[] = [];
  #onClose: (() => void)[] = [];
  #onConnection: ConnectionHook | undefined;
  #owner: TransportOwner = { transportClosed: (transport) => this.#connectionClosed(transport) };
  #untrack: () => void;
  #onClosed: (() => void) | undefined;

  /** @internal Use `loop.createServer` / `loop.createUnixServer` / `startServer`. */
  constructor(
    loop: BaseEventLoop,
    sockets: Socket[],
    factory: ProtocolFactory,
    backlog: number,
    onConnection?: ConnectionHook,
    onClosed?: () => void,
  ) {
    this.#loop = loop;
    this.#onClosed = onClosed;
    this.#factory = factory;
    this.#backlog = backlog;
    this.#onConnection = onConnection;
    this.#listeners = sockets.map((sock) => {
      const listener: Listener = { sock, fd: sock.fileno(), onAcceptable: () => this.#accept(listener), backoff: 0, retry: null };
      return listener;
    });
    this.#untrack = loop.trackPending(() => this.#closeNow(true));
  }

  /** The listening sockets (a copy of the list; empty once closed). */
  get sockets(): Socket[] {
    return this.#closed ? [] : this.#listeners.map((l) => l.sock);
  }

  /** Whether it is accepting connections. */
  isServing(): boolean {
    return this.#serving && !this.#closed;
  }

  /** Starts accepting (idempotent); `createServer` does it unless told otherwise. */
  startServing(): void {
    if (this.#closed) throw new ClosedError('Server is closed');
    if (this.#serving) return;
    if (this.#loop.closed) throw new ClosedError('the event loop is closed');
    this.#serving = true;
    for (const listener of this.#listeners) this.#loop.addReader(listener.fd, listener.onAcceptable);
  }

  /**
   * Serves until `signal` aborts (or the server or its loop closes): then the server is
   * closed and this rejects with the signal's reason (resolves if closed otherwise).
   */
  async serveForever(options?: SignalOptions): Promise<void> {
    const signal = signalOf(options, 'serveForever');
    signal?.throwIfAborted();
    this.startServing();
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        reject(signal!.reason);
        this.close();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#onClose.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /** Stops accepting at once and closes the listening sockets; connections stay open. Idempotent. */
  close(): void {
    this.#closeNow(false);
  }

  /** Closes every connection gracefully (each flushes, then `connectionLost(null)`). */
  closeClients(): void {
    for (const transport of [...this.#connections]) transport.close();
  }

  /** Aborts every connection (buffered data is dropped). */
  abortClients(): void {
    for (const transport of [...this.#connections]) transport.abort();
  }

  /** Resolves once the server is closed and every connection has closed. */
  waitClosed(): Promise<void> {
    if (this.#closed && this.#connections.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  /** Closes the server and waits for its connections (`await using server = …`). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.waitClosed();
  }

  /** Number of open connections. */
  get connections(): number {
    return this.#connections.size;
  }

  #closeNow(loopClosing: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#serving = false;
    this.#untrack();
    for (const listener of this.#listeners) {
      listener.retry?.cancel();
      if (!loopClosing && !this.#loop.closed) this.#loop.removeReader(listener.fd);
      listener.sock.close();
    }
    this.#onClosed?.();
    for (const resolve of this.#onClose.splice(0)) resolve();
    this.#wake();
  }

  #wake(): void {
    if (!this.#closed || this.#connections.size > 0) return;
    const idle = this.#idle;
    this.#idle = [];
    for (const resolve of idle) resolve();
  }

  #accept(listener: Listener): void {
    // Up to `backlog` connections per readiness event, as asyncio does: enough to drain
    // a burst, bounded so one listener cannot hold the loop.
    for (let i = 0; i < this.#backlog && this.isServing(); i++) {
      const r = native.accept(listener.fd);
      if (typeof r === 'number') {
        if (r === EAGAIN) return;
        if (r === ECONNABORTED) continue;
        if (r === EMFILE || r === ENFILE || r === ENOBUFS || r === ENOMEM) {
          // At the open-file limit the listener stays readable, so a level-triggered
          // reader would spin: stop watching it and retry after a back-off (1 ms doubling
          // to 1 s). Connections wait in the kernel's backlog meanwhile.
          listener.backoff = Math.min(listener.backoff === 0 ? 1 : listener.backoff * 2, 1000);
          this.#loop.removeReader(listener.fd);
          listener.retry = this.#loop.callLater(listener.backoff, () => {
            listener.retry = null;
            if (this.isServing()) this.#loop.addReader(listener.fd, listener.onAcceptable);
          });
          return;
        }
        this.#loop.callExceptionHandler({ message: `accept failed on fd ${listener.fd}`, exception: new SystemError(r, 'accept'), fd: listener.fd });
        return;
      }
      listener.backoff = 0;
      const [fd, address] = r;
      const family = address.family === 'IPv6' || address.family === 'unix' ? address.family : 'IPv4';
      const sock = new Socket({ fd, family, type: 'stream', loop: this.#loop as never });
      if (family !== 'unix') {
        // TCP_NODELAY on every accepted TCP connection, as asyncio does (and createConnection
        // here): a protocol's small writes must not wait for the peer's ACK. A connection
        // already reset may refuse it; its transport finds that out on the first read.
        try {
          sock.setOption('TCP_NODELAY', true);
        } catch {
          // see above
        }
      }
      this.#connect(sock);
    }
  }

  #connect(sock: Socket): void {
    let protocol: BaseProtocol;
    try {
      protocol = this.#factory();
    } catch (error) {
      this.#loop.callExceptionHandler({ message: 'the protocol factory failed', exception: error });
      sock.close();
      return;
    }
    const transport = new SocketTransport(this.#loop, sock, protocol, this.#owner);
    this.#connections.add(transport);
    this.#onConnection?.(transport, protocol);
    // Rejects only when the loop closes before connectionMade: nothing to report then.
    transport.start().catch(() => undefined);
  }

  #connectionClosed(transport: SocketTransport): void {
    this.#connections.delete(transport);
    this.#wake();
  }
}
