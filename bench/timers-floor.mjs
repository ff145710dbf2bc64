// What does it cost just to keep one JavaScript object alive per timer? The floor under any
// timer design that returns an object per timer (asyncio's TimerHandle, Node's Timeout),
// measured in the same run as setTimeout/clearTimeout with equal delays (Node's best case)
// and ioreactor's callLater/cancel with equal delays.
//
//   objects:    make N six-field objects, each linked to the previous one (all stay alive,
//               as scheduled timers do), then clear a field on each (the cancel pass);
//   small:      the same with three-field objects (the smallest a timer handle could be);
//   setTimeout: N × setTimeout(noop, 10 000), then clearTimeout on each;
//   ioreactor:  N × loop.callLater(10 000, noop), then cancel() on each.
//
// Each sample starts after a full GC; rounds rotate the order. Prints ns per timer (or
// object), median (min–max), and each one's ratio to setTimeout.
//
// usage: node --expose-gc bench/timers-floor.mjs [N=1000000] [ROUNDS=7]
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const { EventLoop } = require('../dist/index.js');

const count = Number(process.argv[2] ?? 1_000_000);
const rounds = Number(process.argv[3] ?? 7);
if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc');
  process.exit(2);
}
const noop = () => undefined;

class Link {
  constructor(callback, context, when, seq, owner) {
    this.callback = callback;
    this.context = context;
    this.when = when;
    this.seq = seq;
    this.owner = owner;
    this.next = null;
  }
}

// The smallest handle a timer could have: its callback, its deadline, the next in line.
class SmallLink {
  constructor(callback, when) {
    this.callback = callback;
    this.when = when;
    this.next = null;
  }
}

const variants = {
  small() {
    const t0 = performance.now();
    const head = new SmallLink(noop, 0);
    let tail = head;
    for (let i = 1; i < count; i++) tail = tail.next = new SmallLink(noop, 10_000);
    for (let h = head; h !== null; h = h.next) h.callback = null;
    return performance.now() - t0;
  },
  objects() {
    const owner = {};
    const t0 = performance.now();
    const head = new Link(noop, null, 0, 0, owner);
    let tail = head;
    for (let i = 1; i < count; i++) tail = tail.next = new Link(noop, null, 10_000, i, owner);
    for (let h = head; h !== null; h = h.next) h.callback = null;
    return performance.now() - t0;
  },
  setTimeout() {
    const handles = new Array(count);
    const t0 = performance.now();
    for (let i = 0; i < count; i++) handles[i] = setTimeout(noop, 10_000);
    for (let i = 0; i < count; i++) clearTimeout(handles[i]);
    return performance.now() - t0;
  },
  ioreactor() {
    const loop = new EventLoop();
    const handles = new Array(count);
    const t0 = performance.now();
    for (let i = 0; i < count; i++) handles[i] = loop.callLater(10_000, noop);
    for (let i = 0; i < count; i++) handles[i].cancel();
    const elapsed = performance.now() - t0;
    loop.close();
    return elapsed;
  },
};

const names = Object.keys(variants);
const samples = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < names.length; k++) {
    const name = names[(k + r) % names.length];
    globalThis.gc();
    samples[name].push((variants[name]() * 1e6) / count);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`bench/timers-floor: ${count} per sample, ${rounds} interleaved rounds, node ${process.version}`);
for (const name of names) {
  const xs = samples[name];
  const ratios = xs.map((x, i) => samples.setTimeout[i] / x);
  console.log(
    `${name.padEnd(10)} ${median(xs).toFixed(0)} ns (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})` +
      `  setTimeout ÷ this: ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
  );
}
