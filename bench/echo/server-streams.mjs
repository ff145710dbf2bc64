// ioreactor's streams echo server for bench/echo: startServer with a StreamReader and a
// StreamWriter per connection; each read returns what is buffered (up to 64 KiB), which is
// written back, then drain() (it resolves at once unless the peer is slow).
// usage: node server-streams.mjs PORT   (prints "port N" once listening on 127.0.0.1)
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { startServer } = require('../../dist/index.js');

const server = await startServer(
  async (reader, writer) => {
    try {
      for (;;) {
        const data = await reader.read(65536);
        if (data.length === 0) break;
        writer.write(data);
        await writer.drain();
      }
    } catch {
      // Connection reset: just close it.
    }
    writer.close();
  },
  { host: '127.0.0.1', port: Number(process.argv[2] ?? 0), backlog: 4096 },
);
console.log(`port ${server.sockets[0].localAddress.port}`);
process.on('SIGTERM', () => process.exit(0));
