// bench/resp: redis-benchmark against redis-server itself, the RESP example server on
// ioreactor (examples/resp-server.ts) and the same engine over node:net — requests/s and
// server CPU per request, servers interleaved, server on CPU 0 and redis-benchmark on
// CPU 1 (taskset), loopback only.
// usage: npm run bench:resp [-- --rounds N] [-- --requests N] [-- --clients N] [-- --tests set,get]
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { clockTicks, cpuTicks, freePort, hasTaskset, median, pinned, root, spread, table, terminate } from './echo/harness.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const rounds = Number(opt('--rounds', 3));
const requests = Number(opt('--requests', 200_000));
const clients = Number(opt('--clients', 50));
const tests = opt('--tests', 'set,get');
const pipelines = [1, 16];

if (spawnSync('sh', ['-c', 'command -v redis-benchmark && command -v redis-server']).status !== 0) {
  console.error('bench/resp needs redis-benchmark and redis-server (Debian: redis-tools, redis-server)');
  process.exit(2);
}


const tsx = ['--import', 'tsx'];
const servers = {
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


function run(port, pipeline) {
  const [command, argv] = pinned(1, ['redis-benchmark', '-p', String(port), '-t', tests, '-n', String(requests), '-c', String(clients), '-P', String(pipeline), '--csv']);
  const r = spawnSync(command, argv, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0 || /ERR/.test(r.stdout)) throw new Error(`redis-benchmark failed: ${r.stdout}${r.stderr}`);
  // CSV: "test","rps",...; header line first.
  const rows = r.stdout.trim().split('\n').filter((l) => !l.startsWith('"test"'));
  return rows.map((l) => {
    const [test, rps] = l.split(',').map((c) => c.replace(/"/g, ''));
    return { test, rps: Number(rps) };
  });
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
    const { child, port } = await start(name);
    try {
      for (const p of pipelines) {
        const before = cpuTicks(child.pid);
        const results = run(port, p);
        const ticks = cpuTicks(child.pid) - before;
        const total = results.length * requests;
        const cpuUsPerRequest = ((ticks / clockTicks) * 1e6) / total;
        for (const { test, rps } of results) {
          const key = `${name}|${test}|P${p}`;
          samples[key] ??= { rps: [], cpu: [] };
          samples[key].rps.push(rps);
          samples[key].cpu.push(cpuUsPerRequest);
        }
        console.log(`round ${round + 1} ${name} -P ${p}: ${results.map((r) => `${r.test} ${Math.round(r.rps)}/s`).join(', ')}, ${cpuUsPerRequest.toFixed(2)} µs CPU/request`);
      }
    } finally {
      await terminate(child);
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
