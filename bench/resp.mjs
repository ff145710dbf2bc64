// bench/resp: redis-benchmark against redis-server itself, the RESP example server on
// ioreactor (examples/resp-server.ts) and the same engine over node:net — requests/s and
// server CPU per request, servers interleaved, server on CPU 0 and redis-benchmark on
// CPU 1 (taskset), loopback only.
// usage: npm run bench:resp [-- --rounds N] [-- --requests N] [-- --clients N] [-- --tests set,get]
// `npm run bench` calls respRun() (one server, both pipelines) instead of the CLI below.
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { clockTicks, cpuTicks, freePort, hasTaskset, median, pinned, root, spawnAsync, spread, table, terminate } from './echo/harness.mjs';

export const pipelines = [1, 16];
/** Why this benchmark cannot run here, or null. */
export const respMissing = () =>
  spawnSync('sh', ['-c', 'command -v redis-benchmark && command -v redis-server && command -v redis-cli']).status !== 0
    ? 'skipped: redis-benchmark/redis-server not installed (Debian: redis-tools, redis-server)'
    : null;

const tsx = ['--import', 'tsx'];
export const servers = {
  'redis-server': (port) => ['redis-server', '--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'],
  ioreactor: (port) => [process.execPath, ...tsx, path.join(root, 'examples', 'resp-server.ts'), '--port', String(port), '--transport', 'ioreactor'],
  'node:net': (port) => [process.execPath, ...tsx, path.join(root, 'examples', 'resp-server.ts'), '--port', String(port), '--transport', 'net'],
};

async function start(name) {
  const port = await freePort();
  const [command, argv] = pinned(0, servers[name](port));
  const child = spawn(command, argv, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  // Ready once it answers a PING.
  for (let i = 0; i < 200; i++) {
    const r = spawnSync('redis-cli', ['-p', String(port), 'PING'], { encoding: 'utf8' });
    if (r.stdout.trim() === 'PONG') return { child, port };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`${name} did not start`);
}


async function run(port, pipeline, tests, requests, clients) {
  const [command, argv] = pinned(1, ['redis-benchmark', '-p', String(port), '-t', tests, '-n', String(requests), '-c', String(clients), '-P', String(pipeline), '--csv']);
  const r = await spawnAsync(command, argv, 120_000);
  if (r.status !== 0 || /ERR/.test(r.stdout)) throw new Error(`redis-benchmark failed: ${r.stdout}${r.stderr}`);
  // CSV: "test","rps",...; header line first.
  const rows = r.stdout.trim().split('\n').filter((l) => !l.startsWith('"test"'));
  return rows.map((l) => {
    const [test, rps] = l.split(',').map((c) => c.replace(/"/g, ''));
    return { test, rps: Number(rps) };
  });
}


/**
 * Starts server `name` (a key of `servers`), runs redis-benchmark with each pipeline depth,
 * stops it; returns per pipeline and test requests/s and the server CPU µs per request
 * (over all tests of that pipeline depth).
 */
export async function respRun(name, { requests = 200_000, clients = 50, tests = 'set,get' } = {}) {
  const { child, port } = await start(name);
  try {
    const out = [];
    for (const pipeline of pipelines) {
      const before = cpuTicks(child.pid);
      const results = await run(port, pipeline, tests, requests, clients);
      const cpuUsPerReq = (((cpuTicks(child.pid) - before) / clockTicks) * 1e6) / (results.length * requests);
      for (const { test, rps } of results) out.push({ pipeline, test, rps, cpuUsPerReq });
    }
    return out;
  } finally {
    await terminate(child);
  }
}

async function main() {
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const rounds = Number(opt('--rounds', 3));
const requests = Number(opt('--requests', 200_000));
const clients = Number(opt('--clients', 50));
const tests = opt('--tests', 'set,get');
if (respMissing()) {
  console.error('bench/resp needs redis-benchmark and redis-server (Debian: redis-tools, redis-server)');
  process.exit(2);
}
console.log('bench/resp: redis-benchmark against redis-server, ioreactor and node:net RESP servers');
console.log(
  `conditions: node ${process.version}, ${os.type()} ${os.release()}, ${os.cpus()[0]?.model ?? '?'} x${os.cpus().length}, ` +
    `${hasTaskset ? 'server on CPU 0, redis-benchmark on CPU 1' : 'no taskset (unpinned)'}, ` +
    `${requests} requests per test, ${clients} clients, tests ${tests}, pipelines ${pipelines.join('/')}, ${rounds} rounds`,
);
const samples = {}; // key `${server}|${test}|P${p}` -> { rps: [], cpu: [] }
const names = Object.keys(servers);
for (let round = 0; round < rounds; round++) {
  const order = names.map((_, i) => names[(i + round) % names.length]);
  for (const name of order) {
    const results = await respRun(name, { requests, clients, tests });
    for (const p of pipelines) {
      const mine = results.filter((r) => r.pipeline === p);
      for (const { test, rps, cpuUsPerReq } of mine) {
        const key = `${name}|${test}|P${p}`;
        samples[key] ??= { rps: [], cpu: [] };
        samples[key].rps.push(rps);
        samples[key].cpu.push(cpuUsPerReq);
      }
      console.log(`round ${round + 1} ${name} -P ${p}: ${mine.map((r) => `${r.test} ${Math.round(r.rps)}/s`).join(', ')}, ${mine[0].cpuUsPerReq.toFixed(2)} µs CPU/request`);
    }
  }
}
const rows = [];
for (const key of Object.keys(samples)) {
  const [name, test, p] = key.split('|');
  const mine = samples[key];
  const ref = samples[`redis-server|${test}|${p}`];
  const net = samples[`node:net|${test}|${p}`];
  rows.push({
    server: name,
    test,
    pipeline: p,
    'requests/s, median (min–max)': spread(mine.rps),
    'server CPU µs/req': spread(mine.cpu, 2),
    'vs redis-server': ref ? (median(mine.rps) / median(ref.rps)).toFixed(2) : '-',
    'vs node:net': net ? (median(mine.rps) / median(net.rps)).toFixed(2) : '-',
  });
}
table(rows);
console.log('vs columns: throughput relative to that server in the same run (medians). CPU per request counts the whole server process over all tests of the run.');
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
