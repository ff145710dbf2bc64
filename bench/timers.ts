/**
 * 1,000,000 timers with distinct deadlines: schedule all, then cancel all, with
 * ioreactor's EventLoop (callLater / cancel) and with Node's setTimeout / clearTimeout,
 * measured in the same run.
 *
 * Usage: npm run bench:timers [-- --count N]
 */
import { cpus, release } from 'node:os';
import { performance } from 'node:perf_hooks';
import { EventLoop } from '../lib/index.js';

const countArg = process.argv.indexOf('--count');
const count = countArg >= 0 ? Number(process.argv[countArg + 1]) : 1_000_000;
const rounds = 5;
const noop = (): void => undefined;

function benchIoreactor(): { schedule: number; cancel: number } {
  const loop = new EventLoop();
  const handles = new Array(count);
  const t0 = performance.now();
  // Distinct deadlines from 10 s to ~10 s + count µs, none due during the bench.
  for (let i = 0; i < count; i++) handles[i] = loop.callLater(10_000 + i / 1000, noop);
  const t1 = performance.now();
  for (let i = 0; i < count; i++) handles[i].cancel();
  const t2 = performance.now();
  loop.close();
  return { schedule: t1 - t0, cancel: t2 - t1 };
}

function benchNode(): { schedule: number; cancel: number } {
  const handles = new Array(count);
  const t0 = performance.now();
  // setTimeout has 1 ms resolution: distinct deadlines need distinct whole-ms delays.
  for (let i = 0; i < count; i++) handles[i] = setTimeout(noop, 10_000 + i);
  const t1 = performance.now();
  for (let i = 0; i < count; i++) clearTimeout(handles[i]);
  const t2 = performance.now();
  return { schedule: t1 - t0, cancel: t2 - t1 };
}

console.log(`bench/timers: schedule then cancel ${count.toLocaleString('en')} timers with distinct deadlines`);
console.log(`conditions: node ${process.version}, ${process.platform} ${release()}, ${cpus()[0]?.model} x${cpus().length}, best of ${rounds} alternating rounds`);
// Rounds alternate between the two so garbage left by one does not always land on
// the other; each side reports its best round.
let io = { schedule: Infinity, cancel: Infinity };
let node = { schedule: Infinity, cancel: Infinity };
for (let r = 0; r < rounds; r++) {
  const a = benchIoreactor();
  if (a.schedule + a.cancel < io.schedule + io.cancel) io = a;
  const b = benchNode();
  if (b.schedule + b.cancel < node.schedule + node.cancel) node = b;
}
const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
console.log('| implementation | schedule | cancel | total | ns per timer |');
console.log('|---|---|---|---|---|');
for (const [name, r] of [['ioreactor callLater/cancel', io], ['setTimeout/clearTimeout', node]] as const) {
  const total = r.schedule + r.cancel;
  console.log(`| ${name} | ${fmt(r.schedule)} | ${fmt(r.cancel)} | ${fmt(total)} | ${((total * 1e6) / count).toFixed(0)} |`);
}
console.log(`ratio: ioreactor is ${((node.schedule + node.cancel) / (io.schedule + io.cancel)).toFixed(2)}x faster than setTimeout/clearTimeout`);
