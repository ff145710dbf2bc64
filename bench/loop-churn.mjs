// bench/loop-churn: bytes kept per EventLoop create + close (a closed loop must be
// collectable: the native wrapper drops its references to the loop's callbacks on close).
// usage: node --expose-gc bench/loop-churn.mjs [N]   (default 100,000 loops)
// Prints heap + external bytes and RSS bytes per loop after N create/close cycles, and how
// many of the N loops the garbage collector reclaimed.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { EventLoop } = require('../dist/index.js');

if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc');
  process.exit(2);
}
const N = Number(process.argv[2] ?? 100_000);
let collected = 0;
const registry = new FinalizationRegistry(() => collected++);
const turn = () => new Promise((resolve) => setImmediate(resolve));
async function settle() {
  for (let i = 0; i < 6; i++) {
    globalThis.gc();
    await turn();
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
const usage = () => {
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.external, rss: m.rss };
};
async function churn(n, track) {
  for (let i = 0; i < n; i++) {
    const loop = new EventLoop();
    // Callbacks that reach the loop itself, as real ones do: a cycle only GC can break.
    loop.callLater(60_000, () => loop.time());
    loop.callSoon(() => loop.time());
    if (track) registry.register(loop, i);
    loop.close();
    if (i % 256 === 255) await turn(); // libuv handle closes complete on the next turn
  }
}
await churn(2000, false); // warm up: JIT, pools, one-time allocations
await settle();
const start = usage();
const t0 = performance.now();
await churn(N, true);
const elapsed = performance.now() - t0;
await settle();
const end = usage();
console.log(`bench/loop-churn: ${N} EventLoop create + close, node ${process.version}, ${process.platform}`);
console.log(`heap + external: ${((end.heap - start.heap) / N).toFixed(1)} B per loop`);
console.log(`RSS:             ${((end.rss - start.rss) / N).toFixed(1)} B per loop`);
console.log(`collected:       ${collected} of ${N}`);
console.log(`time:            ${((elapsed * 1000) / N).toFixed(1)} µs per create + close`);
