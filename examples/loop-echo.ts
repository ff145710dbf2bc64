/**
 * A TCP echo server on the EventLoop at the callback level (addReader + recvInto + send),
 * exercised by a node:net client in the same process: both run on Node's one loop.
 *
 * Run: npx tsx examples/loop-echo.ts
 */
import { connect } from 'node:net';
import { getEventLoop } from '../lib/index.js';
import * as sys from '../lib/sys.js';

const loop = getEventLoop();
const buffer = Buffer.allocUnsafe(65536);
const unsent = new Map<number, Buffer>(); // fd -> bytes a short send left behind

const lfd = sys.socket(sys.AF_INET, sys.SOCK_STREAM);
sys.bind(lfd, { family: 'IPv4', address: '127.0.0.1', port: 0 });
sys.listen(lfd);
const { port } = sys.getsockname(lfd) as sys.InetAddress;

function drop(fd: number): void {
  loop.removeReader(fd);
  loop.removeWriter(fd);
  unsent.delete(fd);
  sys.close(fd);
}

function onWritable(fd: number): void {
  const rest = unsent.get(fd)!;
  const n = sys.send(fd, rest);
  if (n === sys.errno.EAGAIN) return;
  if (n < 0) return drop(fd);
  if (n < rest.length) return void unsent.set(fd, rest.subarray(n));
  unsent.delete(fd);
  loop.removeWriter(fd);
  loop.addReader(fd, onReadable);
}

function onReadable(fd: number): void {
  const n = sys.recvInto(fd, buffer, 0, buffer.length);
  if (n === sys.errno.EAGAIN) return;
  if (n <= 0) return drop(fd); // EOF or error
  const sent = sys.send(fd, buffer, 0, n);
  if (sent === n) return;
  if (sent < 0 && sent !== sys.errno.EAGAIN) return drop(fd);
  unsent.set(fd, Buffer.from(buffer.subarray(Math.max(sent, 0), n)));
  loop.removeReader(fd); // resume reading once the backlog is out
  loop.addWriter(fd, onWritable);
}

loop.addReader(lfd, () => {
  for (;;) {
    const r = sys.accept(lfd);
    if (typeof r === 'number') return; // EAGAIN: nothing more pending
    loop.addReader(r[0], onReadable);
  }
});

// The client: 1000 round trips of 1 KiB, each checked byte for byte.
const client = connect(port, '127.0.0.1');
const message = Buffer.alloc(1024, 'x');
let received = Buffer.alloc(0);
let roundTrips = 0;
client.on('connect', () => client.write(message));
client.on('data', (chunk) => {
  received = Buffer.concat([received, chunk]);
  if (received.length < message.length) return;
  if (!received.equals(message)) throw new Error('echo mismatch');
  received = Buffer.alloc(0);
  if (++roundTrips < 1000) return void client.write(message);
  client.end();
});
client.on('close', () => {
  loop.removeReader(lfd);
  sys.close(lfd);
  console.log(`${roundTrips} round trips of ${message.length} bytes echoed; fds still registered: ${loop.registeredFds}`);
  loop.close();
});
