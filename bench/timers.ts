/**
 * How long do N timers (default 1,000,000) take to schedule and then cancel with ioreactor's
 * EventLoop (`callLater` / `cancel`) compared with Node's `setTimeout` / `clearTimeout`,
 * measured in the same run? Two shapes:
 *
 * - `distinct`: every timer has its own delay (10 000 + i ms), Node's worst case (one timer
 *   list and one priority-queue entry per duration);
 * - `equal`: every timer has the same delay (10 000 ms), Node's best case (one list, O(1)
 *   append and unlink).
 *
 * Both sides get the same delays. Rounds interleave the two implementations (the order flips
 * every round) and each sample starts after a full garbage collection, so garbage left by one
 * sample is not charged to the next. Reported: the median and min–max of each phase, and the
 * median (min–max) of the per-round ratio setTimeout ÷ ioreactor (above 1: ioreactor is faster).
 *
 * Usage: npm run bench:timers [-- --count N] [--rounds R] [--shape distinct|equal|both]
 *        [--quick] [--als] [--json]
 *
 * `--als` enables an `AsyncLocalStorage` (with a store set) before anything is measured, so
 * both sides pay for carrying the context: ioreactor captures it per timer, as `setTimeout`
 * does. Without it no storage exists and ioreactor captures nothing.
 *
 * `--json` prints a single JSON object on stdout and nothing else:
 * `{ benchmark: 'timers', version: 1, count, rounds, shapes: string[], conditions: {...},
 *    results: { [shape]: { samples: { ioreactor: Sample[], setTimeout: Sample[] },
 *      ratios: number[], median: { ioreactor: Sample, setTimeout: Sample },
 *      spread: { ioreactor: Spread, setTimeout: Spread },
 *      ratio: { median, min, max }, nsPerTimer: { ioreactor, setTimeout }, noisy } } }`
 * where `Sample = { round, schedule, cancel, total }` (milliseconds), `Spread` holds the
 * min and max of `total` and its spread `(max - min) / median`, `ratios[r]` is
 * setTimeout ÷ ioreactor total in round r, and `noisy` is true when either side's spread
 * exceeds 15 %.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { EventLoop } from '../lib/index.js';

type Shape = 'distinct' | 'equal';
type Impl = 'ioreactor' | 'setTimeout';

interface Sample {
  round: number;
  schedule: number;
  cancel: number;
  total: number;
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const json = process.argv.includes('--json');
const withAls = process.argv.includes('--als');
if (withAls) new AsyncLocalStorage<string>().enterWith('bench');
const quick = process.argv.includes('--quick');
const count = Number(argValue('--count') ?? (quick ? 200_000 : 1_000_000));
const rounds = Number(argValue('--rounds') ?? (quick ? 3 : 5));
const shapeArg = argValue('--shape') ?? 'both';
if (!Number.isSafeInteger(count) || count < 1 || !Number.isSafeInteger(rounds) || rounds < 1) {
  console.error('bench/timers: --count and --rounds take positive integers');
  process.exit(2);
}
if (!['distinct', 'equal', 'both'].includes(shapeArg)) {
  console.error('bench/timers: --shape is distinct, equal or both');
  process.exit(2);
}
const shapes: Shape[] = shapeArg === 'both' ? ['distinct', 'equal'] : [shapeArg as Shape];

// A full collection before each sample, so one sample's garbage is not collected on the
// next one's time.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const noop = (): void => undefined;
// Never due during the bench: the shortest delay is 10 s.
const delayOf: Record<Shape, (i: number) => number> = {
  distinct: (i) => 10_000 + i,
  equal: () => 10_000,
};

function runIoreactor(shape: Shape, n: number): Omit<Sample, 'round'> {
  const loop = new EventLoop();
  const delay = delayOf[shape];
  const handles = new Array(n);
  try {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) handles[i] = loop.callLater(delay(i), noop);
    const t1 = performance.now();
    for (let i = 0; i < n; i++) handles[i].cancel();
    const t2 = performance.now();
    return { schedule: t1 - t0, cancel: t2 - t1, total: t2 - t0 };
  } finally {
    loop.close();
  }
}

function runNode(shape: Shape, n: number): Omit<Sample, 'round'> {
  const delay = delayOf[shape];
  const handles = new Array(n);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) handles[i] = setTimeout(noop, delay(i));
  const t1 = performance.now();
  for (let i = 0; i < n; i++) clearTimeout(handles[i]);
  const t2 = performance.now();
  return { schedule: t1 - t0, cancel: t2 - t1, total: t2 - t0 };
}

const runners: Record<Impl, (shape: Shape, n: number) => Omit<Sample, 'round'>> = {
  ioreactor: runIoreactor,
  setTimeout: runNode,
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function commit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function governor(): string | null {
  try {
    return readFileSync('/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor', 'utf8').trim();
  } catch {
    return null;
  }
}

const conditions = {
  date: new Date().toISOString(),
  node: process.version,
  platform: process.platform,
  kernel: release(),
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  governor: governor(),
  commit: commit(),
  gcBetweenSamples: true,
  asyncLocalStorage: withAls,
};

if (!json) {
  console.log(`bench/timers: schedule then cancel ${count.toLocaleString('en')} timers, ioreactor callLater/cancel vs setTimeout/clearTimeout`);
  console.log(
    `conditions: node ${conditions.node}, ${conditions.platform} ${conditions.kernel}, ${conditions.cpu} x${conditions.cores}, ` +
      `governor ${conditions.governor ?? 'n/a'}, commit ${conditions.commit ?? 'n/a'}, ${rounds} interleaved rounds ` +
      `(order flips each round), full GC before each sample, shapes: ${shapes.join(', ')}, ` +
      `AsyncLocalStorage ${withAls ? 'enabled' : 'not used'}`,
  );
}

// Warm-up: both implementations, both shapes, a tenth of the count, not recorded.
for (const shape of shapes) {
  for (const impl of ['ioreactor', 'setTimeout'] as const) {
    gc();
    runners[impl](shape, Math.max(1, Math.floor(count / 10)));
  }
}

const samples: Record<Shape, Record<Impl, Sample[]>> = {
  distinct: { ioreactor: [], setTimeout: [] },
  equal: { ioreactor: [], setTimeout: [] },
};
for (let round = 0; round < rounds; round++) {
  for (const shape of shapes) {
    const order: Impl[] = round % 2 === 0 ? ['ioreactor', 'setTimeout'] : ['setTimeout', 'ioreactor'];
    for (const impl of order) {
      gc();
      samples[shape][impl].push({ round, ...runners[impl](shape, count) });
    }
  }
}

function summarize(list: Sample[]) {
  const totals = list.map((s) => s.total);
  const med = median(totals);
  const min = Math.min(...totals);
  const max = Math.max(...totals);
  return {
    median: {
      round: -1,
      schedule: median(list.map((s) => s.schedule)),
      cancel: median(list.map((s) => s.cancel)),
      total: med,
    },
    spread: { min, max, spread: (max - min) / med },
  };
}

const results: Record<string, unknown> = {};
const lines: string[] = [];
for (const shape of shapes) {
  const io = summarize(samples[shape].ioreactor);
  const node = summarize(samples[shape].setTimeout);
  const ratios = samples[shape].ioreactor.map((s, r) => samples[shape].setTimeout[r]!.total / s.total);
  const ratio = { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
  const noisy = io.spread.spread > 0.15 || node.spread.spread > 0.15;
  results[shape] = {
    samples: samples[shape],
    ratios,
    median: { ioreactor: io.median, setTimeout: node.median },
    spread: { ioreactor: io.spread, setTimeout: node.spread },
    ratio,
    nsPerTimer: { ioreactor: (io.median.total * 1e6) / count, setTimeout: (node.median.total * 1e6) / count },
    noisy,
  };
  const ms = (v: number) => v.toFixed(v < 10 ? 1 : 0);
  for (const [name, s] of [
    ['ioreactor callLater/cancel', io],
    ['setTimeout/clearTimeout', node],
  ] as const) {
    lines.push(
      `| ${shape} | ${name} | ${ms(s.median.schedule)} | ${ms(s.median.cancel)} | ${ms(s.median.total)} (${ms(s.spread.min)}–${ms(s.spread.max)})` +
        `${s.spread.spread > 0.15 ? ' ⚠' : ''} | ${((s.median.total * 1e6) / count).toFixed(0)} |`,
    );
  }
  lines.push(
    `| ${shape} | **ratio** setTimeout ÷ ioreactor | | | **${ratio.median.toFixed(2)}x** (${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)}) | |`,
  );
}

if (json) {
  console.log(JSON.stringify({ benchmark: 'timers', version: 1, count, rounds, shapes, conditions, results }));
} else {
  console.log('| shape | implementation | schedule ms | cancel ms | total ms, median (min–max) | ns per timer |');
  console.log('|---|---|---|---|---|---|');
  for (const line of lines) console.log(line);
  console.log('ratio: median (min–max) over rounds of setTimeout total ÷ ioreactor total in the same round; ⚠ marks a spread above 15 %');
}
