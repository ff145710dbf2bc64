// The coroutine echo server as README.md teaches it, for bench/echo: one task per
// connection, `loop.sockRecv(conn, 65536)` (a fresh Buffer of the received size per
// message) and `loop.sockSendAll`. server-coroutine.mjs is the tuned version
// (sockRecvInto on a buffer of its own); the gap between the two is the price of the
// simple API. The README's per-receive `timeout()` is left out: this measures the calls.
// usage: node server-coroutine-readme.mjs PORT   (prints "port N" once listening on 127.0.0.1)
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { createTask, getEventLoop, Socket } = require('../../dist/index.js');

const loop = getEventLoop();
const server = new Socket();
server.setOption('SO_REUSEADDR', true);
server.bind({ address: '127.0.0.1', port: Number(process.argv[2] ?? 0) });
server.listen(4096);

async function serve(conn) {
  try {
    for (;;) {
      const data = await loop.sockRecv(conn, 65536);
      if (data.length === 0) break;
      await loop.sockSendAll(conn, data);
    }
  } catch {
    // Connection reset: just close it.
  } finally {
    conn.close();
  }
}

createTask(async () => {
  for (;;) {
    const [conn] = await loop.sockAccept(server);
    conn.setOption('TCP_NODELAY', true);
    createTask(() => serve(conn));
  }
});
console.log(`port ${server.localAddress.port}`);
process.on('SIGTERM', () => process.exit(0));
