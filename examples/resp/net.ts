/**
 * The same engine behind `node:net`, so a benchmark against {@link startIoreactorServer}
 * measures only the I/O layer.
 */
import { createServer, type Socket } from 'node:net';
import { createEngine } from './commands.js';
import type { RespSession } from './engine.js';
import type { RespServer, RespServerOptions } from './ioreactor.js';

function serve(socket: Socket, session: RespSession): void {
  socket.setNoDelay(true);
  socket.on('data', (data: Buffer) => {
    const { replies, close } = session.handle(data);
    let flushed = true;
    if (replies.length === 1) flushed = socket.write(replies[0]!);
    else if (replies.length > 1) {
      socket.cork();
      for (const reply of replies) flushed = socket.write(reply);
      socket.uncork();
    }
    if (close) {
      socket.pause();
      socket.end();
    } else if (!flushed) {
      // Same flow control as the ioreactor protocol: stop reading until the writes drain.
      socket.pause();
      socket.once('drain', () => socket.resume());
    }
  });
  socket.on('error', () => socket.destroy());
  socket.on('close', () => session.close());
}

/** Serves RESP2 with `node:net` (the `loop` option is ignored). */
export async function startNetServer(options: RespServerOptions = {}): Promise<RespServer> {
  const engine = createEngine();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serve(socket, engine.openSession());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  engine.startSweeping((delayMs, callback) => {
    const timer = setTimeout(callback, delayMs);
    return { cancel: () => clearTimeout(timer) };
  });
  const { port } = server.address() as { port: number };
  let closed: Promise<void> | null = null;
  return {
    engine,
    port,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        engine.stopSweeping();
        server.close(() => resolve());
        for (const socket of sockets) socket.end();
      })),
  };
}
