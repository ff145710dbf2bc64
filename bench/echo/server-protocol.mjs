// ioreactor's protocol-level echo server for bench/echo: a BufferedProtocol per
// connection (receives into its own buffer: no copy, no allocation per read) writing back
// through its transport.
// usage: node server-protocol.mjs PORT   (prints "port N" once listening on 127.0.0.1)
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { getEventLoop } = require('../../dist/index.js');

class Echo {
  transport = null;
  buffer = Buffer.allocUnsafe(65536);
  connectionMade(transport) {
    this.transport = transport;
  }
  getBuffer() {
    return this.buffer;
  }
  bufferUpdated(n) {
    this.transport.write(this.buffer.subarray(0, n));
  }
}

const loop = getEventLoop();
const server = await loop.createServer(() => new Echo(), {
  host: '127.0.0.1',
  port: Number(process.argv[2] ?? 0),
  backlog: 4096,
});
console.log(`port ${server.sockets[0].localAddress.port}`);
process.on('SIGTERM', () => process.exit(0));
