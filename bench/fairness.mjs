// bench/fairness: does one connection flooding the server starve the others, and does a
// run of operations that all complete at once starve timers? (DESIGN.md decision 15, the
// cooperative budget.)
//
// usage: npm run bench:fairness [-- --quick] [-- --rounds N] [-- --duration S] [-- --servers a,b]
//        [-- --tree LABEL=DIR]   (another checkout's servers too, as name@LABEL; see echo/run.mjs)
//
// Echo part. Per server and round, two cells, each against a fresh server process:
//   unloaded  ten clients doing closed-loop 64 B echo (one message in flight each);
//   flooded   the same ten clients while one more connection floods: 64 KiB writes as
//             fast as the socket takes them, reading the echo and discarding it.
// Servers run on CPU 0, the ten clients and the flooder (two processes of the C load
// generator, bench/echo/client.c) on CPU 1. The C epoll server (one recv per readiness)
// is the baseline: what it loses under the flood is the share the flooder takes of the
// loopback path and of CPU 1, not unfairness of ioreactor's loop. Rounds interleave
// servers and rotate their order. Reported per server: the ten clients' messages in the measurement window
// (median, min–max over rounds), the flooded/unloaded ratio of the medians (target
// >= 50 %), the largest gap between two replies on any of the ten connections (target:
// none above 50 ms), and the flooder's echoed throughput.
//
// Timer part. In a child pinned to CPU 0: a coroutine ping-pongs 64 B over a socketpair
// with sockSendAll/sockRecvInto for 2 s, every operation able to complete at once, while
// a 10 ms setInterval counts its firings (target >= 100; 200 at most).
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, loadavg, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { addTrees, build, clientPath, clockTicks, cpuTicks, hasTaskset, othersCpu, pinned, root, servers, startServer, stopServer, table } from './echo/harness.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};

if (args.includes('--timer-child')) {
  await timerChild();
} else {
  await main();
}

async function main() {
  const quick = args.includes('--quick');
  const rounds = Number(option('--rounds', quick ? 1 : 3));
  const duration = Number(option('--duration', quick ? 2 : 5));
  const warmup = 0.5;
  const trees = addTrees(args);
  const selected = option('--servers', 'coroutine,ioreactor,c-epoll').split(',');
  const clients = 10;
  const messageSize = 64;
  const floodSize = 65536;
  const gapTarget = 50_000;

  build();
  console.log('bench/fairness: ten closed-loop echo clients with and without one flooding connection; timers under immediate completions');
  console.log(
    `conditions: node ${process.version}, linux ${release()}, ${cpus()[0]?.model} x${cpus().length}, ` +
      `${hasTaskset ? 'server pinned to CPU 0, clients and flooder to CPU 1' : 'no taskset: unpinned'}, ` +
      `${clients} clients x ${messageSize} B, flooder 1 connection x ${floodSize} B writes, ` +
      `${duration}s measured after ${warmup}s warm-up, ${rounds} rounds, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  );

  const runClient = (port, conns, size, seconds, warm, flood) =>
    new Promise((resolve, reject) => {
      const argv = [clientPath, '127.0.0.1', String(port), String(conns), String(size), String(seconds), String(warm)];
      if (flood) argv.push('flood');
      const [cmd, cargs] = pinned(1, argv);
      const child = spawn(cmd, cargs, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + warm + 30) * 1000);
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code !== 0) reject(new Error(`client failed (${code}): ${err}`));
        else resolve(JSON.parse(out.trim()));
      });
    });

  // A cell where other processes used much of the machine was disturbed: say so.
  async function runCell(name, flooded) {
    const { result, others } = await othersCpu(() => runCellOnce(name, flooded));
    result.othersCpu = others;
    return result;
  }

  async function runCellOnce(name, flooded) {
    const { child, port } = await startServer(servers[name]);
    try {
      // The flooder starts first and outlasts the clients' whole run.
      const flooder = flooded ? runClient(port, 1, floodSize, warmup + duration + 0.6, 0, true) : null;
      if (flooder) await new Promise((r) => setTimeout(r, 300));
      const before = cpuTicks(child.pid);
      const result = await runClient(port, clients, messageSize, duration, warmup, false);
      result.serverCpu = (cpuTicks(child.pid) - before) / clockTicks / (duration + warmup);
      if (flooder) {
        const f = await flooder;
        result.floodMBps = f.flood_bytes_received / 1e6 / (warmup + duration + 0.6);
      }
      return result;
    } finally {
      await stopServer(child);
    }
  }

  const results = {};
  for (const name of selected) results[name] = { unloaded: [], flooded: [] };
  for (let round = 0; round < rounds; round++) {
    const order = selected.map((_, i) => selected[(i + round) % selected.length]);
    for (const name of order) {
      for (const flooded of round % 2 === 0 ? [false, true] : [true, false]) {
        const r = await runCell(name, flooded);
        results[name][flooded ? 'flooded' : 'unloaded'].push(r);
        process.stderr.write(
          `round ${round + 1} ${name} ${flooded ? 'flooded' : 'unloaded'}: ${r.window_msgs} msgs, ` +
            `max gap ${(r.max_gap_us / 1000).toFixed(1)} ms, other processes ${(r.othersCpu * 100).toFixed(0)}% of the machine\n`,
        );
      }
    }
  }

  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const spread = (xs, fmt = (x) => String(Math.round(x))) =>
    `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;
  const ms = (us) => (us / 1000).toFixed(1);
  const rows = [];
  for (const name of selected) {
    for (const cond of ['unloaded', 'flooded']) {
      const rs = results[name][cond];
      const base = median(results[name].unloaded.map((r) => r.window_msgs));
      const maxGap = Math.max(...rs.map((r) => r.max_gap_us));
      rows.push({
        server: name,
        load: cond,
        [`msgs in ${duration}s, median (min–max)`]: spread(rs.map((r) => r.window_msgs)),
        'vs unloaded': `${((median(rs.map((r) => r.window_msgs)) / base) * 100).toFixed(0)} %`,
        'p99 ms': spread(rs.map((r) => r.p99_us), ms),
        'max gap ms, median (min–max)': spread(rs.map((r) => r.max_gap_us), ms),
        'gap ≤ 50 ms': maxGap <= gapTarget ? 'yes' : 'no',
        'server CPU': spread(rs.map((r) => r.serverCpu * 100), (x) => `${x.toFixed(0)}%`),
        'flood MB/s': cond === 'flooded' ? spread(rs.map((r) => r.floodMBps)) : '-',
        'others CPU': spread(rs.map((r) => r.othersCpu * 100), (x) => `${x.toFixed(0)}%`),
      });
    }
  }
  table(rows);
  console.log('vs unloaded: median messages of the ten clients relative to the same server without the flooder (target >= 50 %).');
  console.log('max gap: the longest wait between two replies on one of the ten connections (target <= 50 ms in every round).');
  console.log('others CPU: what processes outside this benchmark used of the whole machine during the cell (should be ~0 %).');

  const timerTrees = [{ label: 'this tree', script: fileURLToPath(import.meta.url) }];
  for (const { label, dir } of trees) timerTrees.push({ label, script: `${dir}/bench/fairness.mjs` });
  const timerRuns = new Map(timerTrees.map((t) => [t.label, []]));
  for (let round = 0; round < rounds; round++) {
    for (const { label, script } of timerTrees) {
      const [cmd, cargs] = pinned(0, [process.execPath, script, '--timer-child']);
      const r = spawnSync(cmd, cargs, { encoding: 'utf8', timeout: 30_000 });
      if (r.status !== 0) throw new Error(`timer child failed: ${r.stderr}`);
      timerRuns.get(label).push(JSON.parse(r.stdout.trim()));
    }
  }
  console.log('\nTimer starvation: 2 s of socketpair ping-pong (sockSendAll + sockRecvInto, 64 B, all completing at once) beside a 10 ms setInterval');
  table(
    [...timerRuns].map(([label, runs]) => ({
      lib: label,
      'interval fired, median (min–max)': spread(runs.map((r) => r.fired)),
      'target ≥ 100': Math.min(...runs.map((r) => r.fired)) >= 100 ? 'yes' : 'no',
      'longest interval gap ms': spread(runs.map((r) => r.maxGapMs), (x) => x.toFixed(1)),
      'ops/s': spread(runs.map((r) => r.opsPerSec)),
    })),
  );
}

async function timerChild() {
  const require = createRequire(`${root}/`);
  const { getEventLoop } = require('./dist/index.js');
  const sys = require('./dist/sys.js');
  const loop = getEventLoop();
  const [a, b] = sys.socketpair();
  const message = Buffer.alloc(64, 1);
  const buffer = Buffer.alloc(64);
  let fired = 0;
  let last = performance.now();
  let maxGapMs = 0;
  const interval = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
    fired++;
  }, 10);
  const t0 = performance.now();
  let ops = 0;
  // Each operation finds its data (or buffer space) already there, so none needs to wait:
  // only the budget makes this loop yield to Node's timers.
  while (performance.now() - t0 < 2000) {
    await loop.sockSendAll(a, message);
    await loop.sockRecvInto(b, buffer);
    await loop.sockSendAll(b, buffer);
    await loop.sockRecvInto(a, buffer);
    ops += 4;
  }
  const elapsed = performance.now() - t0;
  maxGapMs = Math.max(maxGapMs, performance.now() - last);
  clearInterval(interval);
  loop.close();
  sys.close(a);
  sys.close(b);
  console.log(JSON.stringify({ fired, maxGapMs, opsPerSec: (ops / elapsed) * 1000 }));
}
