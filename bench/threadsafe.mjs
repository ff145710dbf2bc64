// bench/threadsafe: how long from a worker posting a value to a callback running with it
// on the main thread's event loop, by loop.threadsafeChannel() (a SharedArrayBuffer ring
// plus an eventfd the ioreactor loop watches) and by a MessagePort (postMessage, then the
// port's 'message' handler). One question, one file.
//
// usage: npm run bench:threadsafe [-- --rounds N] [-- --messages M] [-- --pin]
//
// The worker sends one value at a time and waits (Atomics.wait) until the main thread's
// callback has acknowledged it, so every sample is an idle-to-woken latency, not a
// throughput figure. Timestamps are process.hrtime (one monotonic clock for every
// thread). Rounds alternate the two variants (ABAB…, the first of each discarded as a
// warm-up); reported per variant: median and p99 of all samples, and the min–max of the
// per-round medians. A second table measures bursts: the worker posts --burst values
// back to back into a channel whose ring holds them all (capacity 32768: a sender that
// spins on a full ring takes a core from the loop thread on this 2-core machine) and the
// time from the first post to the callback of the last is divided by the count.
// With --pin the process runs on CPU 0 only (main and worker share a
// core: a wake-up then needs a context switch).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const rounds = option('--rounds', 20);
const messages = option('--messages', 2000);
const burst = option('--burst', 20000);
const root = fileURLToPath(new URL('..', import.meta.url));

if (args.includes('--pin') && !process.env.IOR_BENCH_PINNED) {
  const r = spawnSync('taskset', ['-c', '0', process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, IOR_BENCH_PINNED: '1' },
  });
  process.exit(r.status ?? 1);
}

const io = createRequire(import.meta.url)(`${root}/dist/index.js`);
const base = process.hrtime.bigint();
const now = () => Number(process.hrtime.bigint() - base) / 1000; // µs

const loop = io.getEventLoop();
const ack = new Int32Array(new SharedArrayBuffer(4));
let samples = [];
let burstLeft = 0;
let burstDone = null;
const onValue = (sentUs) => {
  if (burstLeft > 0) {
    if (--burstLeft === 0) burstDone(now());
    return;
  }
  samples.push(now() - sentUs);
  Atomics.add(ack, 0, 1);
  Atomics.notify(ack, 0);
};
const channel = loop.threadsafeChannel(onValue);
const burstChannel = loop.threadsafeChannel(onValue, { capacity: 32768 });
const { port1, port2 } = new MessageChannel();
port1.on('message', onValue);

const worker = new Worker(
  `
  const { workerData, parentPort } = require('node:worker_threads');
  const io = require(workerData.entry);
  const { ack, handle, port, base, messages } = workerData;
  const sender = io.ThreadsafeSender.fromHandle(handle);
  const burstSender = io.ThreadsafeSender.fromHandle(workerData.burstHandle);
  const now = () => Number(process.hrtime.bigint() - BigInt(base)) / 1000;
  parentPort.on('message', (variant) => {
    if (variant.startsWith('burst-')) {
      const start = now();
      for (let i = 0; i < workerData.burst; i++) {
        if (variant === 'burst-channel') { while (!burstSender.post(i)) {} }
        else port.postMessage(i);
      }
      parentPort.postMessage(start);
      return;
    }
    for (let i = 0; i < messages; i++) {
      const seen = Atomics.load(ack, 0);
      if (variant === 'channel') sender.post(now());
      else port.postMessage(now());
      Atomics.wait(ack, 0, seen);
    }
    parentPort.postMessage('done');
  });
  `,
  {
    eval: true,
    workerData: { entry: `${root}/dist/index.js`, ack, handle: channel.handle, burstHandle: burstChannel.handle, port: port2, base: String(base), messages, burst },
    transferList: [port2],
  },
);

function once(emitter, event) {
  return new Promise((resolve) => emitter.once(event, resolve));
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))];
};

const variants = ['channel', 'port'];
const all = { channel: [], port: [] };
const roundMedians = { channel: [], port: [] };
await once(worker, 'online');
for (let r = 0; r < rounds + 1; r++) {
  for (const variant of r % 2 === 0 ? variants : [...variants].reverse()) {
    samples = [];
    worker.postMessage(variant);
    await once(worker, 'message');
    if (r === 0) continue; // warm-up
    all[variant].push(...samples);
    roundMedians[variant].push(median(samples));
  }
}
const perMessage = { channel: [], port: [] };
for (let r = 0; r < 2 * Math.max(1, Math.floor(rounds / 4)) + 1; r++) {
  for (const variant of r % 2 === 0 ? variants : [...variants].reverse()) {
    burstLeft = burst;
    const done = new Promise((resolve) => (burstDone = resolve));
    worker.postMessage(`burst-${variant}`);
    const [[start], end] = await Promise.all([once(worker, 'message').then((m) => [m]), done]);
    if (r > 0) perMessage[variant].push(((end - start) * 1000) / burst);
  }
}
await worker.terminate();
channel.close();
burstChannel.close();
port1.close();
loop.close();

const fmt = (x) => x.toFixed(1);
console.log(`bench/threadsafe: worker post → callback on the main thread's loop, one value in flight`);
console.log(
  `conditions: node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ` +
    `${process.env.IOR_BENCH_PINNED ? 'pinned to CPU 0' : 'not pinned'}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ` +
    `${rounds} rounds x ${messages} messages per variant, interleaved`,
);
console.log('variant                     median µs   p99 µs   round medians min–max µs');
for (const variant of variants) {
  const label = variant === 'channel' ? 'loop.threadsafeChannel' : 'MessagePort postMessage';
  console.log(
    `${label.padEnd(28)}${fmt(median(all[variant])).padStart(9)}${fmt(percentile(all[variant], 99)).padStart(9)}   ` +
      `${fmt(Math.min(...roundMedians[variant]))}–${fmt(Math.max(...roundMedians[variant]))}`,
  );
}
console.log(`ratio of medians (channel / port): ${(median(all.channel) / median(all.port)).toFixed(2)}`);
console.log(`\nbursts of ${burst} values, first post → last callback, per value (${perMessage.channel.length} rounds each, interleaved)`);
console.log('variant                     median ns   min–max ns');
for (const variant of variants) {
  const label = variant === 'channel' ? 'loop.threadsafeChannel' : 'MessagePort postMessage';
  const xs = perMessage[variant];
  console.log(`${label.padEnd(28)}${median(xs).toFixed(0).padStart(9)}   ${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`);
}
console.log(`ratio of medians (channel / port): ${(median(perMessage.channel) / median(perMessage.port)).toFixed(2)}`);
