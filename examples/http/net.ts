/**
 * The same HTTP/1.1 connection code — parser, app, keep-alive, pipelining, flow control — over
 * `node:net` instead of ioreactor's transports, so that a benchmark against
 * `examples/http-server.ts` measures the I/O layer alone (issue: "the same parser over
 * node:net"). {@link NetTransport} adapts a `net.Socket` to ioreactor's `Transport`
 * contract and drives an `HttpProtocol` the way ioreactor's socket transport does.
 *
 * Run: npx tsx examples/http/net.ts --port 8082
 */
import { createServer, type Server as NetServer, type Socket as NetSocket } from 'node:net';
import { parseArgs } from 'node:util';
import { type BaseProtocol, getEventLoop, type Protocol, type Transport, type WriteBufferLimits } from '../../lib/index.js';
import { createApp } from './app.js';
import { HttpProtocol, type HttpProtocolOptions } from './connection.js';
import { kDefaultStaticPath } from './server.js';

const kEmpty = Buffer.alloc(0);

/**
 * ioreactor's `Transport` over a `node:net` socket: `dataReceived` per 'data' event,
 * `eofReceived` on 'end' (half-close kept when it returns true), `connectionLost` once on
 * 'close'; `pauseWriting` once Node's write queue passes `high`, `resumeWriting` once it is
 * back at or below `low` (checked when the queue flushes).
 */
export class NetTransport implements Transport {
  readonly #socket: NetSocket;
  #protocol: Protocol;
  #limits: WriteBufferLimits = { high: 64 * 1024, low: 16 * 1024 };
  #writePaused = false;
  #waitingForFlush = false;
  #reading = true;
  #closing = false;
  #eof = false;

  constructor(socket: NetSocket, protocol: Protocol) {
    this.#socket = socket;
    this.#protocol = protocol;
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => this.#protocol.dataReceived?.(data));
    socket.on('end', () => {
      if (!this.#protocol.eofReceived?.()) this.close();
    });
    socket.on('error', () => undefined); // 'close' follows with hadError; connectionLost reports it
    socket.on('close', (hadError: boolean) => {
      this.#closing = true;
      this.#protocol.connectionLost?.(hadError ? new Error('connection reset') : null);
    });
    protocol.connectionMade?.(this);
  }

  write(data: ArrayBufferView): void {
    if (this.#eof) throw new Error('write() after writeEof()');
    if (this.#socket.destroyed || data.byteLength === 0) return;
    this.#socket.write(data as Uint8Array);
    this.#checkPause();
  }

  writeLines(chunks: Iterable<ArrayBufferView>): void {
    if (this.#socket.destroyed) return;
    this.#socket.cork();
    for (const chunk of chunks) if (chunk.byteLength > 0) this.#socket.write(chunk as Uint8Array);
    this.#socket.uncork();
    this.#checkPause();
  }

  writeEof(): void {
    if (this.#eof || this.#closing) return;
    this.#eof = true;
    this.#socket.end();
  }

  canWriteEof(): boolean {
    return true;
  }

  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#socket.pause();
    this.#socket.end(); // after the queued writes; 'close' follows once the peer is done too
    this.#socket.destroySoon();
  }

  abort(): void {
    this.#closing = true;
    this.#socket.destroy();
  }

  isClosing(): boolean {
    return this.#closing;
  }

  pauseReading(): void {
    this.#reading = false;
    this.#socket.pause();
  }

  resumeReading(): void {
    if (this.#closing) return;
    this.#reading = true;
    this.#socket.resume();
  }

  isReading(): boolean {
    return this.#reading && !this.#closing;
  }

  getWriteBufferSize(): number {
    return this.#socket.writableLength;
  }

  getWriteBufferLimits(): WriteBufferLimits {
    return { ...this.#limits };
  }

  setWriteBufferLimits(limits?: Partial<WriteBufferLimits>): void {
    const high = limits?.high ?? (limits?.low !== undefined ? 4 * limits.low : 64 * 1024);
    const low = limits?.low ?? Math.floor(high / 4);
    if (!(high >= low && low >= 0)) throw new RangeError(`bad write buffer limits ${high}/${low}`);
    this.#limits = { high, low };
    this.#checkPause();
    this.#checkResume();
  }

  getExtraInfo(name: string, defaultValue?: unknown): unknown {
    if (name === 'socket') return this.#socket;
    if (name === 'peername') return { address: this.#socket.remoteAddress, port: this.#socket.remotePort };
    if (name === 'sockname') return { address: this.#socket.localAddress, port: this.#socket.localPort };
    return defaultValue;
  }

  getProtocol(): BaseProtocol {
    return this.#protocol;
  }

  setProtocol(protocol: BaseProtocol): void {
    this.#protocol = protocol as Protocol;
  }

  #checkPause(): void {
    if (this.#writePaused || this.#socket.writableLength <= this.#limits.high) return;
    this.#writePaused = true;
    this.#protocol.pauseWriting?.();
    this.#waitForFlush();
  }

  // An empty write completes after every write queued before it: then the queue is checked.
  #waitForFlush(): void {
    if (this.#waitingForFlush || this.#socket.destroyed) return;
    this.#waitingForFlush = true;
    this.#socket.write(kEmpty, () => {
      this.#waitingForFlush = false;
      this.#checkResume();
    });
  }

  #checkResume(): void {
    if (!this.#writePaused) return;
    if (this.#socket.writableLength > this.#limits.low) {
      this.#waitForFlush();
      return;
    }
    this.#writePaused = false;
    this.#protocol.resumeWriting?.();
  }
}

/** A running node:net HTTP server and its port. */
export interface RunningNetHttpServer {
  server: NetServer;
  port: number;
  close(): Promise<void>;
}

/** Listens with `node:net`, an `HttpProtocol` per connection over a {@link NetTransport}. */
export async function startNetHttpServer(
  options: HttpProtocolOptions & { host?: string; port?: number; staticPath?: string } = {},
): Promise<RunningNetHttpServer> {
  const app = createApp({ staticPath: options.staticPath ?? kDefaultStaticPath });
  // Only used for sendfile on ioreactor sockets; NetTransport's files go through write().
  const loop = getEventLoop();
  const sockets = new Set<NetSocket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    new NetTransport(socket, new HttpProtocol(loop, app, options));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '8082' }, host: { type: 'string', default: '127.0.0.1' } } });
  const running = await startNetHttpServer({ host: values.host, port: Number(values.port) });
  console.log(`HTTP parser over node:net listening on http://${values.host}:${running.port}`);
  const stop = (): void => void running.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
