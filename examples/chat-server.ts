/**
 * A line-based chat on the streams API: the first line a client sends is its name, every
 * later line is broadcast to the other clients. A broadcast never waits for one slow
 * recipient (that would stall the room); instead a client whose write buffer passes a cap
 * is dropped, so memory stays bounded whatever a client does.
 *
 * Run: npx tsx examples/chat-server.ts --port 7000         (serve until Ctrl-C)
 *      npx tsx examples/chat-server.ts --port 0 --demo     (a few node:net clients talk, then exit)
 */
import { once } from 'node:events';
import { connect, type Socket as NetSocket } from 'node:net';
import { parseArgs } from 'node:util';
import { run, type Server, startServer, type StreamWriter } from '../lib/index.js';
import type { InetAddress } from '../lib/sys.js';

/** A recipient with more than this waiting in its write buffer is dropped. */
const kMaxBuffered = 256 * 1024;

interface Room {
  server: Server;
  port: number;
  members: Map<StreamWriter, string>;
  dropped: string[];
  maxBuffered: number;
}

async function startChat(port: number, signal: AbortSignal): Promise<Room> {
  const members = new Map<StreamWriter, string>();
  const room = { members, dropped: [] as string[], maxBuffered: 0 } as Room;

  const broadcast = (from: StreamWriter | null, text: string): void => {
    for (const [writer, name] of [...members]) {
      if (writer === from || !members.has(writer)) continue;
      if (writer.transport.getWriteBufferSize() > kMaxBuffered) {
        // Not reading: drop it rather than buffer without bound (abort discards what it
        // could not take; close() would wait for a flush that never comes).
        members.delete(writer);
        room.dropped.push(name);
        writer.transport.abort();
        broadcast(null, `* ${name} was dropped (not reading)\n`);
        continue;
      }
      writer.write(text);
      room.maxBuffered = Math.max(room.maxBuffered, writer.transport.getWriteBufferSize());
    }
  };

  room.server = await startServer(
    async (reader, writer) => {
      const name = (await reader.readLine({ signal })).toString().trim() || 'anonymous';
      members.set(writer, name);
      try {
        for await (const line of reader) {
          if (!members.has(writer)) break; // dropped meanwhile
          broadcast(writer, `${name}: ${line.toString().trimEnd()}\n`);
        }
      } finally {
        members.delete(writer);
        writer.close();
      }
    },
    { host: '127.0.0.1', port, limit: 4096 },
  );
  room.port = (room.server.sockets[0]!.localAddress as InetAddress).port;
  return room;
}

/** A node:net chat client that collects the lines it receives. */
function client(port: number, name: string): { socket: NetSocket; lines: string[]; until: (test: (lines: string[]) => boolean) => Promise<void> } {
  const socket = connect(port, '127.0.0.1', () => socket.write(`${name}\n`));
  socket.setEncoding('utf8');
  const lines: string[] = [];
  let partial = '';
  const waiters: { test: (lines: string[]) => boolean; resolve: () => void }[] = [];
  socket.on('data', (data: string) => {
    const parts = (partial + data).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const w of [...waiters]) if (w.test(lines)) waiters.splice(waiters.indexOf(w), 1), w.resolve();
  });
  socket.on('error', () => {});
  const until = (test: (lines: string[]) => boolean): Promise<void> =>
    test(lines) ? Promise.resolve() : new Promise((resolve) => waiters.push({ test, resolve }));
  return { socket, lines, until };
}

async function demo(room: Room): Promise<void> {
  // A client that joins and never reads: node:net stops reading once paused.
  const slow = client(room.port, 'slow');
  slow.socket.pause();
  const people = ['alice', 'bob', 'carol'].map((name) => ({ name, ...client(room.port, name) }));
  await waitForMembers(room, 4);
  for (const p of people) p.socket.write(`hello from ${p.name}\n`);
  await Promise.all(people.map((p) => p.until((lines) => lines.filter((l) => l.includes(': hello from')).length === 2)));
  for (const p of people) console.log(`${p.name} got: ${p.lines.filter((l) => l.includes(': hello from')).join(' | ')}`);

  // Alice floods the room; the slow client's buffer passes the cap and it is dropped.
  const alice = people[0]!;
  const filler = `${'z'.repeat(1000)}\n`;
  const droppedNotice = (lines: string[]): boolean => lines.some((l) => l.startsWith('* slow was dropped'));
  let sent = 0;
  while (!droppedNotice(people[1]!.lines)) {
    sent++;
    if (!alice.socket.write(filler)) await once(alice.socket, 'drain');
  }
  await Promise.all(people.slice(1).map((p) => p.until(droppedNotice)));
  console.log(`alice sent ${sent} filler lines; dropped: ${room.dropped.join(', ')}; members left: ${room.members.size}`);
  console.log(`largest write buffer seen: ${room.maxBuffered} bytes (cap ${kMaxBuffered})`);

  for (const p of people) p.socket.end();
  slow.socket.destroy();
  await Promise.all(people.map((p) => once(p.socket, 'close')));
}

async function waitForMembers(room: Room, count: number): Promise<void> {
  while (room.members.size < count) await new Promise((resolve) => setImmediate(resolve));
}

const { values } = parseArgs({ options: { port: { type: 'string', default: '7000' }, demo: { type: 'boolean', default: false } } });

run(async (signal) => {
  const room = await startChat(Number(values.port), signal);
  if (!values.demo) {
    console.log(`chat listening on 127.0.0.1:${room.port}`);
    await room.server.serveForever({ signal });
    return;
  }
  await demo(room);
  room.server.close();
  await room.server.waitClosed();
  console.log(`chat demo done: ${room.maxBuffered <= kMaxBuffered + 4096 ? 'write buffers stayed bounded' : 'BUFFER GREW PAST THE CAP'}`);
}).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
