/**
 * The seeds' case for executors: a CPU-bound step (counting primes) runs in a worker
 * thread with `toThread` while a 10 ms ticker task keeps ticking on the loop. With
 * `--inline` the same step runs on the loop's own thread and the ticker freezes until it
 * ends. Prints one JSON line: the prime count and how many ticks happened during the step.
 *
 * Run: npx tsx examples/executor-ticker.ts [--inline] [--limit N]
 */
import path from 'node:path';
import { createTask, run, sleep, toThread } from '../lib/index.js';
const primesModule = path.join(__dirname, 'executor', 'primes.mjs');

const inline = process.argv.includes('--inline');
const at = process.argv.indexOf('--limit');
const limit = at > 0 ? Number(process.argv[at + 1]) : 3_000_000;

run(async (signal) => {
  let ticks = 0;
  const ticker = createTask(
    async (s) => {
      for (;;) {
        await sleep(10, { signal: s });
        ticks++;
      }
    },
    { name: 'ticker', signal },
  );
  // The very function the worker runs, for the --inline comparison.
  const { countPrimes } = (await import(primesModule)) as { countPrimes: (n: number) => number };
  await sleep(30, { signal }); // the ticker is running
  const before = ticks;
  let primes: number;
  if (inline) {
    primes = countPrimes(limit); // blocks the loop: no tick can run meanwhile
  } else {
    // Off the loop: the task awaits while a worker thread computes. Passing the task's
    // signal means cancelling this task stops the worker too.
    primes = await toThread<number>({ filename: primesModule, name: 'countPrimes', signal }, limit);
  }
  const ticksDuringCpuWork = ticks - before;
  ticker.cancel();
  console.log(JSON.stringify({ mode: inline ? 'inline' : 'toThread', limit, primes, ticksDuringCpuWork }));
}).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
