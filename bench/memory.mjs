// Bytes of memory per idle connection (issue 8): each echo server of bench/echo runs as a
// child process on 127.0.0.1; this process opens N connections to it, each sends one byte
// and waits for its echo (so the server has accepted and registered it), then stays idle.
// The server's resident set (VmRSS of /proc/PID/status) is read before and after, and
// (after − before) / N is reported, per server, as the median and min–max over rounds run
// interleaved (A B C … A B C …), with its ratio to node:net in the same round.
//
// Node servers run with --expose-gc and a preloaded SIGUSR2 handler that collects garbage
// (twice) and prints process.memoryUsage(), so each sample is taken after a full GC and the
// JS heap and external (ArrayBuffer) shares per connection can be shown beside the RSS.
// The C server has no GC; both its samples are taken after the same settle time.
// Kernel memory (socket structures and buffers) is not in RSS and is not counted.
//
// usage: node bench/memory.mjs [--conns N] [--rounds R]
// `npm run bench` calls memoryRun() (one server, one sample) instead of the CLI below.
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, release } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { build, servers, startServer, stopServer, table } from './echo/harness.mjs';

const require = createRequire(import.meta.url);
const sys = require('../dist/sys.js');

const warmup = 20; // connections opened and closed before the first sample (lazy init, JIT)
const inFlight = 256; // connects outstanding at once, well under the listen backlog

// Name shown -> key in harness.servers.
export const order = [
  ['protocol', 'protocol'],
  ['streams', 'streams'],
  ['coroutine', 'coroutine'],
  ['callback', 'ioreactor'],
  ['node:net', 'node:net'],
  ['C epoll', 'c-epoll'],
];

// Preloaded into each Node server: on SIGUSR2, a full GC (twice, so objects freed by
// finalizers of the first go too), then one "mem {...}" line with process.memoryUsage().
const preload =
  'data:text/javascript,' +
  encodeURIComponent(
    'process.on("SIGUSR2", () => { globalThis.gc(); setImmediate(() => { globalThis.gc();' +
      ' process.stdout.write("mem " + JSON.stringify(process.memoryUsage()) + "\\n"); }); });',
  );

/** The client and each server need `conns` fds plus a few; children inherit the limit. */
export function raiseFdLimit(conns) {
  const need = conns + 256;
  const { soft, hard } = sys.getrlimitNofile();
  if (soft >= need) return soft;
  if (hard < need) throw new Error(`--conns ${conns} needs ${need} fds; the hard limit is ${hard}`);
  sys.setrlimitNofile(need);
  return need;
}

function rssBytes(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match[1]) * 1024;
}

/** Opens n connections, each echoing one byte before it counts as open; returns them. */
async function openIdle(port, n) {
  const sockets = [];
  let next = 0;
  const one = Buffer.from('x');
  const openOne = () =>
    new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
      sockets.push(socket);
      socket.once('error', reject);
      socket.once('connect', () => socket.write(one));
      socket.once('data', () => resolve());
    });
  const worker = async () => {
    while (next < n) {
      next += 1;
      await openOne();
    }
  };
  const deadline = sleep(120_000, 'timeout', { ref: false });
  const done = Promise.all(Array.from({ length: Math.min(inFlight, n) }, worker));
  if ((await Promise.race([done, deadline])) === 'timeout') throw new Error(`opening ${n} connections timed out`);
  return sockets;
}

/** Closes with RST (no TIME_WAIT left behind across rounds). */
function closeAll(sockets) {
  for (const socket of sockets) socket.resetAndDestroy();
}

/** Lines "mem {...}" from a Node server, awaited one at a time. */
function memLines(child) {
  let out = '';
  const waiting = [];
  child.stdout.on('data', (chunk) => {
    out += chunk;
    let match;
    while ((match = /mem (\{.*\})\n/.exec(out))) {
      out = out.slice(match.index + match[0].length);
      waiting.shift()?.(JSON.parse(match[1]));
    }
  });
  return () =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no memoryUsage reply')), 10_000);
      waiting.push((mem) => {
        clearTimeout(timer);
        resolve(mem);
      });
      child.kill('SIGUSR2');
    });
}

/** GC (Node servers), let the process settle, sample RSS twice and keep the second. */
async function sample(child, gc, settleMs) {
  const mem = gc ? await gc() : null;
  await sleep(settleMs);
  rssBytes(child.pid);
  await sleep(settleMs);
  return { rss: rssBytes(child.pid), mem };
}

/**
 * Starts echo server `key` (of harness.servers), opens `conns` idle connections to it and
 * returns (VmRSS after − before) / conns, with JS heap and external shares for Node
 * servers. `settleMs`: the pause before each of the two RSS reads of a sample.
 */
export async function memoryRun(key, conns, settleMs = 500) {
  const argv = servers[key];
  const isNode = argv[0] === process.execPath;
  const { child, port } = await startServer(isNode ? [argv[0], '--expose-gc', '--import', preload, ...argv.slice(1)] : argv);
  const gc = isNode ? memLines(child) : null;
  let sockets = [];
  try {
    closeAll(await openIdle(port, warmup));
    await sleep(200);
    const before = await sample(child, gc, settleMs);
    sockets = await openIdle(port, conns);
    const after = await sample(child, gc, settleMs);
    const per = (field) => (before.mem ? (after.mem[field] - before.mem[field]) / conns : null);
    return {
      perConn: (after.rss - before.rss) / conns,
      rssBefore: before.rss,
      heap: per('heapUsed'),
      external: per('external'),
    };
  } finally {
    closeAll(sockets);
    await stopServer(child);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x) => (x === null ? '–' : Math.round(x).toLocaleString('en-US'));

async function main() {
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const conns = option('--conns', 10_000);
const rounds = option('--rounds', 3);
build();
const fdLimit = raiseFdLimit(conns);
console.log('bytes of server memory per idle connection (VmRSS after − before, / N)');
console.log(
  `node ${process.version}, Linux ${release()}, ${cpus()[0]?.model ?? '?'} × ${cpus().length}, ` +
    `N = ${conns}, ${rounds} rounds interleaved, open-file limit ${fdLimit}, ${new Date().toISOString()}`,
);

const results = Object.fromEntries(order.map(([name]) => [name, []]));
for (let round = 1; round <= rounds; round++) {
  const line = [];
  for (const [name, key] of order) {
    const r = await memoryRun(key, conns);
    results[name].push(r);
    line.push(`${name} ${fmt(r.perConn)}`);
  }
  console.log(`round ${round}: ${line.join(', ')}`);
}

const baseline = results['node:net'];
const rows = order.map(([name]) => {
  const rs = results[name];
  const per = rs.map((r) => r.perConn);
  const ratios = rs.map((r, i) => r.perConn / baseline[i].perConn);
  const nodeOnly = (field) => (rs[0][field] === null ? null : median(rs.map((r) => r[field])));
  return {
    server: name,
    'B/conn (median)': fmt(median(per)),
    'min–max': `${fmt(Math.min(...per))}–${fmt(Math.max(...per))}`,
    'vs node:net': median(ratios).toFixed(2),
    'JS heap B/conn': fmt(nodeOnly('heap')),
    'external B/conn': fmt(nodeOnly('external')),
    'RSS before (MB)': (median(rs.map((r) => r.rssBefore)) / 2 ** 20).toFixed(1),
  };
});
console.log();
table(rows);
const goal = (name) => rows.find((r) => r.server === name)['vs node:net'];
console.log(
  `\ngoal (issue 8): protocol and streams ≤ 0.25 × node:net; measured protocol ${goal('protocol')}×, streams ${goal('streams')}×.`,
);
console.log('JS heap and external: process.memoryUsage() after a forced GC, same before/after difference (Node servers only).');
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
