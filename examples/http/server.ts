/** Starting the example HTTP server on an ioreactor loop. */
import { type EventLoop, getEventLoop, type Server } from '../../lib/index.js';
import { createApp } from './app.js';
import { HttpProtocol, type HttpProtocolOptions } from './connection.js';

/** Options of {@link startHttpServer}. */
export interface HttpServerOptions extends HttpProtocolOptions {
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** The file `GET /static` serves; default: this source file. */
  staticPath?: string;
  loop?: EventLoop;
}

/** A running server and the port it listens on. */
export interface RunningHttpServer {
  server: Server;
  port: number;
  /** Stops accepting, closes every connection (after its queued responses), and waits. */
  close(): Promise<void>;
}

/** The file `GET /static` serves by default. */
export const kDefaultStaticPath = __filename;

/**
 * Listens on `host`:`port` with an {@link HttpProtocol} per connection.
 *
 * @example
 * ```ts
 * const { port, close } = await startHttpServer({ host: '127.0.0.1', port: 0 });
 * await fetch(`http://127.0.0.1:${port}/json`);
 * await close();
 * ```
 */
export async function startHttpServer(options: HttpServerOptions = {}): Promise<RunningHttpServer> {
  const loop = options.loop ?? getEventLoop();
  const app = createApp({ staticPath: options.staticPath ?? kDefaultStaticPath });
  const server = await loop.createServer(() => new HttpProtocol(loop, app, options), {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
  });
  const { port } = server.sockets[0]!.localAddress as { port: number };
  return {
    server,
    port,
    async close() {
      server.close();
      server.closeClients();
      await server.waitClosed();
    },
  };
}
