/**
 * A TCP echo server written top to bottom with await: one task per connection, built on
 * sockAccept / sockRecv / sockSendAll, inside a TaskGroup so no connection outlives the
 * server. A few clients in the same process exercise it, then everything shuts down.
 *
 * Run: npx tsx examples/tcp-echo-server.ts
 */
import { getEventLoop, run, Socket, TaskGroup } from '../lib/index.js';

async function serveConnection(conn: Socket, signal: AbortSignal): Promise<number> {
  const loop = getEventLoop();
  let echoed = 0;
  try {
    for (;;) {
      const data = await loop.sockRecv(conn, 65536, { signal });
      if (data.length === 0) return echoed; // the client closed its side
      await loop.sockSendAll(conn, data, { signal });
      echoed += data.length;
    }
  } finally {
    conn.close();
  }
}

async function client(port: number, id: number, signal: AbortSignal): Promise<void> {
  using sock = new Socket();
  await sock.connect({ host: 'localhost', port }, { signal });
  for (let i = 0; i < 50; i++) {
    const message = Buffer.from(`client ${id} message ${i}\n`);
    await sock.sendAll(message, { signal });
    let reply = Buffer.alloc(0);
    while (reply.length < message.length) reply = Buffer.concat([reply, await sock.recv(1024, { signal })]);
    if (!reply.equals(message)) throw new Error(`client ${id}: echo mismatch`);
  }
}

run(async (signal) => {
  using server = new Socket();
  server.setOption('SO_REUSEADDR', true);
  server.bind({ address: '127.0.0.1', port: 0 });
  server.listen();
  const port = (server.localAddress as { port: number }).port;
  const loop = getEventLoop();
  let connections = 0;
  let bytes = 0;

  await TaskGroup.run(async (group) => {
    // The accept loop: a task per connection.
    const acceptor = group.createTask(async (acceptSignal) => {
      for (;;) {
        const [conn] = await loop.sockAccept(server, { signal: acceptSignal });
        connections++;
        group.createTask(async (connSignal) => {
          const echoed = await serveConnection(conn, connSignal);
          bytes += echoed;
        });
      }
    }, { name: 'acceptor' });
    // Ten clients at once; when they are done, stop accepting.
    await TaskGroup.run(async (clients) => {
      for (let id = 0; id < 10; id++) clients.createTask((s) => client(port, id, s), { name: `client-${id}` });
    }, { signal });
    acceptor.cancel();
  }, { signal });

  console.log(`served ${connections} connections, echoed ${bytes} bytes`);
}).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
