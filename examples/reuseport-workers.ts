/**
 * One port served by several worker threads: each worker runs its own event loop and a
 * `createServer` with `reusePort`, and the kernel spreads new connections across them.
 *
 *   npx tsx examples/reuseport-workers.ts [--workers 2] [--clients 40]
 *
 * The main thread picks a free port, starts the workers, connects the clients (each sends
 * a line and reads the echo, tagged with the worker that served it), prints how many
 * connections each worker served, and stops the workers.
 */
import { connect } from 'node:net';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { getEventLoop, type Protocol, Socket, type Transport } from '../lib/index.js';
import type { InetAddress } from '../lib/sys.js';

interface Setup {
  port: number;
  id: number;
}

/** Echoes each chunk prefixed with the worker's id. */
class TaggedEcho implements Protocol {
  #transport!: Transport;
  constructor(readonly id: number) {}
  connectionMade(transport: Transport): void {
    this.#transport = transport;
  }
  dataReceived(data: Buffer): void {
    this.#transport.write(Buffer.from(`worker ${this.id}: ${data.toString()}`));
  }
}

async function serve({ port, id }: Setup): Promise<void> {
  const loop = getEventLoop();
  const server = await loop.createServer(() => new TaggedEcho(id), { host: '127.0.0.1', port, reusePort: true });
  parentPort!.postMessage('listening');
  parentPort!.once('message', async () => {
    server.close();
    server.closeClients();
    await server.waitClosed();
    loop.close();
    parentPort!.close();
  });
}

function ask(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let reply = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(line));
    socket.on('data', (d) => {
      reply += d;
      if (reply.endsWith(line)) socket.end();
    });
    socket.on('close', () => resolve(reply));
    socket.on('error', reject);
  });
}

async function main(): Promise<void> {
  const arg = (name: string, fallback: number): number => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const workers = arg('--workers', 2);
  const clients = arg('--clients', 40);
  // Reserve a port with SO_REUSEPORT set, so the workers can bind it too.
  const probe = new Socket();
  probe.setOption('SO_REUSEPORT', true);
  probe.bind({ address: '127.0.0.1', port: 0 });
  const port = (probe.localAddress as InetAddress).port;
  // Each worker loads this same file (through tsx's require hook, as `npx tsx` runs it).
  const code = `require('tsx/cjs'); require(${JSON.stringify(__filename)});`;
  const threads = Array.from({ length: workers }, (_, id) => new Worker(code, { eval: true, workerData: { port, id } satisfies Setup }));
  await Promise.all(threads.map((t) => new Promise((resolve) => t.once('message', resolve))));
  probe.close(); // never listened: it takes no connections
  getEventLoop().close();
  const replies = await Promise.all(Array.from({ length: clients }, (_, i) => ask(port, `hello ${i}`)));
  const served = new Map<string, number>();
  for (const reply of replies) {
    const worker = reply.slice(0, reply.indexOf(':'));
    served.set(worker, (served.get(worker) ?? 0) + 1);
  }
  for (const [worker, count] of [...served].sort()) console.log(`${worker} served ${count} connection(s)`);
  console.log(`${replies.length} replies from ${served.size} worker(s)`);
  for (const t of threads) t.postMessage('stop');
  await Promise.all(threads.map((t) => new Promise((resolve) => t.once('exit', resolve))));
}

if (isMainThread) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
} else {
  serve(workerData as Setup).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
