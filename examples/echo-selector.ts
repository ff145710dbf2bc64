/**
 * An echo loop driven by a selector: "server" ends of a few socket pairs echo whatever
 * their "client" ends send, all in one thread, with callbacks stored as key data.
 *
 * Run: npx tsx examples/echo-selector.ts
 */
import { DefaultSelector, EVENT_READ, EVENT_WRITE, type SelectorKey } from '../lib/index.js';
import { close, errno, read, socketpair, write } from '../lib/sys.js';

type Handler = (key: SelectorKey<Handler>, events: number) => void;

const kConnections = 4;
const kMessages = 100;
const sel = new DefaultSelector<Handler>();
const buffer = Buffer.alloc(4096);
const fds: number[] = [];
let echoed = 0;
let received = 0;

// Server side: read what arrived and write it straight back. A real server would keep
// unsent bytes and wait for EVENT_WRITE; socket-pair buffers are far larger than this
// example's traffic, so a short write is treated as an error here.
const echo: Handler = (key) => {
  const n = read(key.fd, buffer);
  if (n === errno.EAGAIN) return;
  if (n <= 0) {
    sel.unregister(key.fd);
    return;
  }
  if (write(key.fd, buffer, 0, n) !== n) throw new Error('short write');
  echoed += n;
};

for (let i = 0; i < kConnections; i++) {
  const [server, client] = socketpair();
  fds.push(server, client);
  sel.register(server, EVENT_READ, echo);
  let sent = 0;
  let pending = '';
  // Client side: send a numbered message whenever the previous one has come back.
  const clientHandler: Handler = (key, events) => {
    if (events & EVENT_READ) {
      const n = read(key.fd, buffer);
      if (n > 0) {
        pending += buffer.toString('utf8', 0, n);
        received += n;
      }
    }
    const expected = `conn ${i} message ${sent}\n`;
    if (sent > 0 && pending !== `conn ${i} message ${sent - 1}\n`) return; // echo not complete yet
    pending = '';
    if (sent === kMessages) {
      sel.unregister(key.fd);
      return;
    }
    write(key.fd, Buffer.from(expected));
    sent++;
    sel.modify(key.fd, EVENT_READ, clientHandler);
  };
  sel.register(client, EVENT_WRITE, clientHandler);
}

while (sel.getMap()!.size > kConnections) {
  for (const [key, events] of sel.select(1000)) key.data(key, events);
}
sel.close();
for (const fd of fds) close(fd);
console.log(`echoed ${echoed} bytes, received ${received} bytes over ${kConnections} connections`);
