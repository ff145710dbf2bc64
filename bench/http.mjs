// bench/http: wrk -t1 -c100 against the example HTTP/1.1 server on ioreactor
// (examples/http-server.ts), the same app on node:http (examples/http/node-http.ts) and the
// same parser and connection code over node:net (examples/http/net.ts), on
// GET / and GET /json — requests/s and server CPU per request, servers interleaved, server
// on CPU 0 and wrk on CPU 1 (taskset), loopback only.
// usage: npm run bench:http [-- --rounds N] [-- --duration S] [-- --connections N]
// `npm run bench` calls httpRun() (one server, every route) instead of the CLI below.
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { clockTicks, cpuTicks, freePort, hasTaskset, median, pinned, root, spawnAsync, spread, table, terminate } from './echo/harness.mjs';

export const routes = ['/', '/json'];
/** Why this benchmark cannot run here, or null. */
export const httpMissing = () => (spawnSync('sh', ['-c', 'command -v wrk']).status !== 0 ? 'skipped: wrk not installed (Debian: wrk)' : null);

export const servers = {
  ioreactor: (port) => [process.execPath, '--import', 'tsx', path.join(root, 'examples', 'http-server.ts'), '--port', String(port)],
  'node:http': (port) => [process.execPath, '--import', 'tsx', path.join(root, 'examples', 'http', 'node-http.ts'), '--port', String(port)],
  // The same parser and connection code as the ioreactor server, over node:net: isolates the I/O layer.
  'parser over node:net': (port) => [process.execPath, '--import', 'tsx', path.join(root, 'examples', 'http', 'net.ts'), '--port', String(port)],
};

async function start(name) {
  const port = await freePort();
  const [command, argv] = pinned(0, servers[name](port));
  const child = spawn(command, argv, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  for (let i = 0; i < 200; i++) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/`);
      await response.text();
      if (response.ok) return { child, port };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`${name} did not start`);
}


async function wrk(port, route, duration, connections) {
  const [command, argv] = pinned(1, ['wrk', '-t1', `-c${connections}`, `-d${duration}s`, `http://127.0.0.1:${port}${route}`]);
  const r = await spawnAsync(command, argv, (duration + 30) * 1000);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
  const total = /(\d+) requests in/.exec(r.stdout);
  if (r.status !== 0 || !rps || !total || /Non-2xx|Socket errors/.test(r.stdout)) throw new Error(`wrk failed or saw errors:\n${r.stdout}${r.stderr}`);
  return { rps: Number(rps[1]), requests: Number(total[1]) };
}


/**
 * Starts server `name` (a key of `servers`), runs wrk against each route for `duration`
 * seconds with `connections` connections, stops it; returns per route requests/s and
 * server CPU µs per request.
 */
export async function httpRun(name, { duration = 5, connections = 100 } = {}) {
  const { child, port } = await start(name);
  try {
    const out = [];
    // Warm-up (JIT, connection setup paths): one second per route, not measured.
    for (const route of routes) await wrk(port, route, 1, connections);
    for (const route of routes) {
      const before = cpuTicks(child.pid);
      const { rps, requests } = await wrk(port, route, duration, connections);
      out.push({ route, rps, requests, cpuUsPerReq: (((cpuTicks(child.pid) - before) / clockTicks) * 1e6) / requests });
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
const duration = Number(opt('--duration', 5));
const connections = Number(opt('--connections', 100));
if (httpMissing()) {
  console.error('bench/http needs wrk (Debian: wrk)');
  process.exit(2);
}
console.log('bench/http: wrk against the example HTTP/1.1 server on ioreactor, the same app on node:http, and the same parser over node:net');
console.log(
  `conditions: node ${process.version}, ${os.type()} ${os.release()}, ${os.cpus()[0]?.model ?? '?'} x${os.cpus().length}, ` +
    `${hasTaskset ? 'server on CPU 0, wrk on CPU 1' : 'no taskset (unpinned)'}, wrk -t1 -c${connections} -d${duration}s, ${rounds} rounds`,
);
const samples = {};
const names = Object.keys(servers);
for (let round = 0; round < rounds; round++) {
  const order = names.map((_, i) => names[(i + round) % names.length]);
  for (const name of order) {
    for (const { route, rps, cpuUsPerReq: cpu } of await httpRun(name, { duration, connections })) {
      const key = `${name}|${route}`;
      samples[key] ??= { rps: [], cpu: [] };
      samples[key].rps.push(rps);
      samples[key].cpu.push(cpu);
      console.log(`round ${round + 1} ${name} ${route}: ${Math.round(rps)} req/s, ${cpu.toFixed(2)} µs CPU/request`);
    }
  }
}
const rows = [];
for (const key of Object.keys(samples)) {
  const [name, route] = key.split('|');
  const mine = samples[key];
  const node = samples[`node:http|${route}`];
  rows.push({
    server: name,
    route,
    'requests/s, median (min–max)': spread(mine.rps),
    'server CPU µs/req': spread(mine.cpu, 2),
    'node:http CPU ÷ this': node ? (median(node.cpu) / median(mine.cpu)).toFixed(2) : '-',
    'parser over node:net CPU ÷ this': samples[`parser over node:net|${route}`] ? (median(samples[`parser over node:net|${route}`].cpu) / median(mine.cpu)).toFixed(2) : '-',
  });
}
table(rows);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
