// Per-call overhead of runInExecutor against piscina alone running the same worker file:
// 2000 trivial calls one at a time and 2000 at once, 7 interleaved rounds, median (min–max).
// usage: npm run build:ts && node bench/executor-overhead.cjs
const io = require('../dist/index.js');
const path = require('path');
const fns = path.join(__dirname, '..', 'test', 'fixtures', 'executor-fns.mjs');
const { performance } = require('perf_hooks');
function median(a) { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; }
io.run(async () => {
  const pool = new io.ThreadPoolExecutor({ maxThreads: 2, minThreads: 2 });
  const task = { filename: fns, name: 'add' };
  for (let i = 0; i < 500; i++) await io.runInExecutor(pool, task, 1, 2); // warm-up
  const { Piscina } = require('piscina');
  const raw = new Piscina({ filename: path.join(__dirname, '..', 'dist', 'executor', 'worker.cjs'), maxThreads: 2, minThreads: 2 });
  const call = { filename: fns, name: 'add', args: [1, 2] };
  for (let i = 0; i < 500; i++) await raw.run(call);
  const rseq = [], rpar = [];
  const seq = [], par = [];
  for (let round = 0; round < 7; round++) {
    let r = performance.now();
    for (let i = 0; i < 2000; i++) await raw.run(call);
    rseq.push((performance.now() - r) * 1000 / 2000);
    r = performance.now();
    await Promise.all(Array.from({ length: 2000 }, () => raw.run(call)));
    rpar.push((performance.now() - r) * 1000 / 2000);
    let t = performance.now();
    for (let i = 0; i < 2000; i++) await io.runInExecutor(pool, task, 1, 2);
    seq.push((performance.now() - t) * 1000 / 2000);
    t = performance.now();
    await Promise.all(Array.from({ length: 2000 }, () => io.runInExecutor(pool, task, 1, 2)));
    par.push((performance.now() - t) * 1000 / 2000);
  }
  const f = (a) => `${median(a).toFixed(1)} µs (${Math.min(...a).toFixed(1)}–${Math.max(...a).toFixed(1)})`;
  console.log(`one call at a time: ${f(seq)} per call; 2000 at once: ${f(par)} per call`);
  console.log(`piscina alone, same worker: one at a time ${f(rseq)}; 2000 at once: ${f(rpar)}`);
  await pool.shutdown();
  await raw.destroy();
});
