// ioreactor's protocol-level echo server for bench/echo: a BufferedProtocol per
// connection (receives into a buffer it owns: no copy, no allocation per read) writing back
// through its transport. The receive buffer is shared by every connection, as a C server
// shares one static buffer: bufferUpdated() runs to completion before the next receive, so
// the only hazard is a write the kernel did not take at once — the transport then holds a
// reference into the buffer, so that connection's echo leaves the shared buffer to the
// transport and takes a fresh one. An idle connection therefore costs no buffer memory.
// usage: node server-protocol.mjs PORT   (prints "port N" once listening on 127.0.0.1)
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { getEventLoop } = require('../../dist/index.js');

let shared = Buffer.allocUnsafe(65536);

class Echo {
  transport = null;
  connectionMade(transport) {
    this.transport = transport;
  }
  getBuffer() {
    return shared;
  }
  bufferUpdated(n) {
    this.transport.write(shared.subarray(0, n));
    if (this.transport.getWriteBufferSize() > 0) shared = Buffer.allocUnsafe(65536);
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
