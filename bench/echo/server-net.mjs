// The node:net baseline for bench/echo: echo every chunk straight back.
// usage: node server-net.mjs PORT   (prints "port N" once listening on 127.0.0.1)
import net from 'node:net';

const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on('data', (chunk) => socket.write(chunk));
  socket.on('error', () => socket.destroy());
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  console.log(`port ${server.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
