/**
 * What would an ambient cancel scope (AsyncLocalStorage) cost on this Node? Measures an
 * await-heavy loop three ways, each in its own process because enabling AsyncLocalStorage
 * turns on promise hooks for the whole process:
 *   explicit: the signal is passed as an argument (ioreactor's design);
 *   ambient:  the scope lives in AsyncLocalStorage and every operation calls getStore();
 *   ambient-idle: AsyncLocalStorage active but never read (the cost of the hooks alone).
 *
 * Usage: npm run bench:cancel-scope
 */
import { execFileSync } from 'node:child_process';
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';

const iterations = 1_000_000;

async function operation(signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) throw signal.reason;
  await null;
}

async function measure(mode: string): Promise<number> {
  const controller = new AbortController();
  const als = new AsyncLocalStorage<AbortSignal>();
  const body = async (): Promise<number> => {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) {
      const signal = mode === 'explicit' ? controller.signal : mode === 'ambient' ? als.getStore() : undefined;
      await operation(signal);
    }
    return performance.now() - start;
  };
  if (mode === 'explicit') return body();
  return als.run(controller.signal, body);
}

async function child(mode: string): Promise<void> {
  let best = Infinity;
  for (let r = 0; r < 3; r++) best = Math.min(best, await measure(mode));
  console.log(best);
}

const mode = process.argv[2];
if (mode !== undefined) {
  void child(mode);
} else {
  console.log(`bench/cancel-scope: ${iterations.toLocaleString('en')} awaited operations per run, best of 3, node ${process.version}`);
  const results: Record<string, number> = {};
  for (const m of ['explicit', 'ambient-idle', 'ambient']) {
    results[m] = Number(
      execFileSync(process.execPath, [...process.execArgv, process.argv[1]!, m], { encoding: 'utf8' }).trim(),
    );
  }
  console.log('| cancel scope | total ms | ns per await | vs explicit |');
  console.log('|---|---|---|---|');
  for (const [m, ms] of Object.entries(results)) {
    console.log(`| ${m} | ${ms.toFixed(0)} | ${((ms * 1e6) / iterations).toFixed(0)} | ${(ms / results.explicit!).toFixed(2)}x |`);
  }
}
