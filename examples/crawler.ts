/**
 * The crawler pattern: many requests, at most N in flight (a Semaphore), a timeout per
 * attempt, retries with exponential back-off, results gathered and failures reported.
 * The "web" is a small line-protocol server in the same process: it answers some
 * requests slowly, drops some connections, and never answers one path at all.
 *
 * Run: npx tsx examples/crawler.ts
 */
import { getEventLoop, run, Semaphore, sleep, Socket, TaskGroup, timeout, TimeoutError } from '../lib/index.js';

const kRequests = 30;
const kInFlight = 5;
const kAttemptTimeoutMs = 150;
const kRetries = 3;

/** Request "GET <n>\n" → response "<n> <n*n>\n". Flaky on purpose. */
async function startServer(signal: AbortSignal): Promise<{ port: number; done: Promise<void> }> {
  const server = new Socket();
  server.bind({ address: '127.0.0.1', port: 0 });
  server.listen();
  const loop = getEventLoop();
  const attempts = new Map<number, number>();
  const done = TaskGroup.run(async (group) => {
    try {
      for (;;) {
        const [conn] = await loop.sockAccept(server, { signal });
        group.createTask(async (s) => {
          try {
            const line = (await loop.sockRecv(conn, 100, { signal: s })).toString();
            const n = Number(/GET (\d+)/.exec(line)?.[1]);
            const attempt = (attempts.get(n) ?? 0) + 1;
            attempts.set(n, attempt);
            if (n % 7 === 0 && attempt === 1) return; // drop the connection once
            if (n % 5 === 0 && attempt <= 2) await sleep(400, { signal: s }); // too slow twice
            if (n === 13) await sleep(10_000, { signal: s }); // never in time
            await loop.sockSendAll(conn, Buffer.from(`${n} ${n * n}\n`), { signal: s });
          } finally {
            conn.close();
          }
        });
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    } finally {
      server.close();
    }
  }, { signal }).catch(() => undefined); // stopping cancels the handlers still sleeping
  return { port: (server.localAddress as { port: number }).port, done };
}

async function fetchOnce(port: number, n: number, signal: AbortSignal): Promise<number> {
  using sock = new Socket();
  await sock.connect({ family: 'IPv4', address: '127.0.0.1', port }, { signal });
  await sock.sendAll(Buffer.from(`GET ${n}\n`), { signal });
  const reply = (await sock.recv(100, { signal })).toString();
  const match = /^(\d+) (\d+)\n$/.exec(reply);
  if (!match) throw new Error(`request ${n}: connection dropped`);
  return Number(match[2]);
}

run(async (signal) => {
  const serverStop = new AbortController();
  const { port, done } = await startServer(serverStop.signal);
  const limit = new Semaphore(kInFlight);
  let inFlight = 0;
  let peak = 0;
  const results = new Map<number, number>();
  const failures = new Map<number, string>();
  let retries = 0;

  await TaskGroup.run(async (group) => {
    for (let n = 1; n <= kRequests; n++) {
      group.createTask(async (s) => {
        await limit.withPermit(async () => {
          peak = Math.max(peak, ++inFlight);
          try {
            for (let attempt = 0; ; attempt++) {
              try {
                results.set(n, await timeout(kAttemptTimeoutMs, (t) => fetchOnce(port, n, t), { signal: s }));
                return;
              } catch (error) {
                if (s.aborted) throw error;
                if (attempt === kRetries) {
                  failures.set(n, error instanceof TimeoutError ? 'timed out' : (error as Error).message);
                  return;
                }
                retries++;
                await sleep(20 * 2 ** attempt, { signal: s }); // back-off: 20, 40, 80 ms
              }
            }
          } finally {
            inFlight--;
          }
        }, { signal: s });
      }, { name: `request-${n}` });
    }
  }, { signal });

  serverStop.abort();
  await done;
  const wrong = [...results].filter(([n, v]) => v !== n * n);
  console.log(
    `fetched ${results.size}/${kRequests}, ${retries} retries, at most ${peak} in flight, ` +
      `${wrong.length} wrong; failed: ${[...failures].map(([n, why]) => `${n} (${why})`).join(', ') || 'none'}`,
  );
}).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
