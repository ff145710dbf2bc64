/**
 * The ioreactor transport: one {@link RespProtocol} per connection on
 * `loop.createServer`, replying to every command of a chunk with one write.
 */
import { type EventLoop, getEventLoop, type Protocol, type Server, type Transport } from '../../lib/index.js';
import { createEngine } from './commands.js';
import type { RespEngine, RespSession } from './engine.js';

/**
 * A connection: parses what arrives, answers each chunk's commands with one write, and
 * stops reading while the transport's write buffer is above its high-water mark (a
 * client that pipelines without reading cannot grow the server's memory without bound).
 */
export class RespProtocol implements Protocol {
  readonly #session: RespSession;
  #transport: Transport | null = null;

  constructor(engine: RespEngine) {
    this.#session = engine.openSession();
  }

  connectionMade(transport: Transport): void {
    this.#transport = transport;
  }

  dataReceived(data: Buffer): void {
    const transport = this.#transport!;
    const { replies, close } = this.#session.handle(data);
    if (replies.length === 1) transport.write(replies[0]!);
    else if (replies.length > 1) transport.writeLines(replies);
    // close() flushes the replies (a protocol error's included) before the socket closes.
    if (close) transport.close();
  }

  pauseWriting(): void {
    this.#transport?.pauseReading();
  }

  resumeWriting(): void {
    if (this.#transport && !this.#transport.isClosing()) this.#transport.resumeReading();
  }

  connectionLost(): void {
    this.#session.close();
  }
}

/** A running server: its engine, port, and a clean shutdown. */
export interface RespServer {
  readonly engine: RespEngine;
  readonly port: number;
  /** Stops accepting, closes every connection and the expiry timer; resolves once all are closed. */
  close(): Promise<void>;
}

/** Where to listen. */
export interface RespServerOptions {
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Defaults to `getEventLoop()`. */
  loop?: EventLoop;
}

/**
 * Serves RESP2 on the ioreactor loop.
 *
 * @example
 * const server = await startIoreactorServer({ port: 0 });
 * console.log(server.port);
 * await server.close();
 */
export async function startIoreactorServer(options: RespServerOptions = {}): Promise<RespServer> {
  const loop = options.loop ?? getEventLoop();
  const engine = createEngine();
  const server: Server = await loop.createServer(() => new RespProtocol(engine), {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
  });
  engine.startSweeping((delayMs, callback) => loop.callLater(delayMs, callback));
  const { port } = server.sockets[0]!.localAddress as { port: number };
  let closed: Promise<void> | null = null;
  return {
    engine,
    port,
    close: () =>
      (closed ??= (async () => {
        engine.stopSweeping();
        server.close();
        server.closeClients();
        await server.waitClosed();
      })()),
  };
}
