// ioreactor's coroutine-level echo server for bench/echo: one task per connection,
// sockRecvInto + sockSendAll on a per-connection buffer.
// usage: node server-coroutine.mjs PORT   (prints "port N" once listening on 127.0.0.1)
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { createTask, getEventLoop, Socket } = require('../../dist/index.js');

const loop = getEventLoop();
const server = new Socket();
server.setOption('SO_REUSEADDR', true);
server.bind({ address: '127.0.0.1', port: Number(process.argv[2] ?? 0) });
server.listen(4096);

async function serve(conn) {
  const buffer = Buffer.allocUnsafe(65536);
  try {
    for (;;) {
      const n = await loop.sockRecvInto(conn, buffer);
      if (n === 0) break;
      await loop.sockSendAll(conn, buffer.subarray(0, n));
    }
  } catch {
    // Connection reset: just close it.
  } finally {
    conn.close();
  }
}

createTask(async () => {
  for (;;) {
    const [conn] = await server.accept();
    conn.setOption('TCP_NODELAY', true);
    createTask(() => serve(conn));
  }
});
console.log(`port ${server.localAddress.port}`);
process.on('SIGTERM', () => process.exit(0));
