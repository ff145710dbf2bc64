// ioreactor's callback-level echo server for bench/echo: one addReader per
// connection, recvInto a shared buffer, send straight back. No closure, Promise or
// Buffer is created per message; a short send keeps the rest and waits for
// writability.
// usage: node server-ioreactor.mjs PORT   (prints "port N" once listening on 127.0.0.1)
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { getEventLoop } = require('../../dist/index.js');
const sys = require('../../dist/sys.js');

const loop = getEventLoop();
const buffer = Buffer.allocUnsafe(65536);
const pending = new Map(); // fd -> Buffer not yet sent

const lfd = sys.socket(sys.AF_INET, sys.SOCK_STREAM);
sys.setsockopt(lfd, 'SO_REUSEADDR', true);
sys.bind(lfd, { family: 'IPv4', address: '127.0.0.1', port: Number(process.argv[2] ?? 0) });
sys.listen(lfd, 4096);

function closeConnection(fd) {
  loop.removeReader(fd);
  loop.removeWriter(fd);
  pending.delete(fd);
  sys.close(fd);
}

function onWritable(fd) {
  const rest = pending.get(fd);
  const n = sys.send(fd, rest);
  if (n === sys.errno.EAGAIN) return;
  if (n < 0) return closeConnection(fd);
  if (n < rest.length) {
    pending.set(fd, rest.subarray(n));
    return;
  }
  pending.delete(fd);
  loop.removeWriter(fd);
  loop.addReader(fd, onReadable);
}

function onReadable(fd) {
  const n = sys.recvInto(fd, buffer, 0, buffer.length);
  if (n > 0) {
    const w = sys.send(fd, buffer, 0, n);
    if (w === n) return;
    if (w < 0 && w !== sys.errno.EAGAIN) return closeConnection(fd);
    // Short send: keep the rest, stop reading until it is out.
    pending.set(fd, Buffer.from(buffer.subarray(w > 0 ? w : 0, n)));
    loop.removeReader(fd);
    loop.addWriter(fd, onWritable);
    return;
  }
  if (n === sys.errno.EAGAIN) return;
  closeConnection(fd); // EOF or error
}

// At the open-file limit accept fails with EMFILE/ENFILE but the connection stays in the
// backlog, so the listener stays readable: level-triggered, onAcceptable would run again
// at once, forever. Stop watching it and retry after a back-off instead (1 ms doubling to
// 1 s, reset by a successful accept); meanwhile connections wait in the kernel's backlog.
let backoff = 1;

function onAcceptable() {
  for (;;) {
    const r = sys.accept(lfd);
    if (r === sys.errno.EMFILE || r === sys.errno.ENFILE) {
      loop.removeReader(lfd);
      loop.callLater(backoff, () => loop.addReader(lfd, onAcceptable));
      backoff = Math.min(backoff * 2, 1000);
      return;
    }
    if (typeof r === 'number') return; // EAGAIN, or the client gave up (ECONNABORTED)
    backoff = 1;
    const [fd] = r;
    sys.setsockopt(fd, 'TCP_NODELAY', true);
    loop.addReader(fd, onReadable);
  }
}
loop.addReader(lfd, onAcceptable);
console.log(`port ${sys.getsockname(lfd).port}`);
process.on('SIGTERM', () => process.exit(0));
