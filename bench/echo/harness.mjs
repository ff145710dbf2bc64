// What bench/echo/run.mjs and bench/fairness.mjs share: the servers, building the C
// programs, CPU pinning, server start-up and CPU accounting, and table printing.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..', '..');
export const bin = path.join(root, 'build-bench');
export const clientPath = path.join(bin, 'echo_client');
export const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
export const hasTaskset = spawnSync('sh', ['-c', 'command -v taskset'], { encoding: 'utf8' }).status === 0;

/** Every echo server: argv before the port. */
export const servers = {
  ioreactor: [process.execPath, path.join(here, 'server-ioreactor.mjs')],
  'node:net': [process.execPath, path.join(here, 'server-net.mjs')],
  coroutine: [process.execPath, path.join(here, 'server-coroutine.mjs')],
  'coroutine-readme': [process.execPath, path.join(here, 'server-coroutine-readme.mjs')],
  protocol: [process.execPath, path.join(here, 'server-protocol.mjs')],
  streams: [process.execPath, path.join(here, 'server-streams.mjs')],
  'c-epoll': [path.join(bin, 'echo_server_epoll')],
};

/**
 * Adds, for every `--tree LABEL=DIR` argument (a checkout of another commit with dist/
 * built and this bench/ copied in), that tree's ioreactor servers as `name@LABEL`.
 *
 * @returns the trees, as { label, dir }.
 */
export function addTrees(args) {
  const trees = [];
  args.forEach((arg, i) => {
    if (arg !== '--tree') return;
    const [label, dir] = args[i + 1].split('=');
    trees.push({ label, dir: path.resolve(dir) });
    for (const name of ['ioreactor', 'coroutine', 'coroutine-readme']) {
      servers[`${name}@${label}`] = [process.execPath, path.join(path.resolve(dir), 'bench', 'echo', path.basename(servers[name][1]))];
    }
  });
  return trees;
}

export const openLoopPath = path.join(bin, 'echo_openloop');

/**
 * Why the libuv C server is not available (libuv1-dev missing, compile error), or null
 * once build() has compiled it and added it to `servers` as `libuv`.
 */
export let libuvSkipped = 'not built yet';

/** `cc -O2 SRC -o OUT LIBS`; returns stderr on failure, null on success. */
function compileC(src, out, libs = []) {
  if (existsSync(out) && statSync(out).mtimeMs > statSync(path.join(here, src)).mtimeMs) return null;
  const r = spawnSync('cc', ['-O2', '-Wall', '-o', out, path.join(here, src), ...libs], { encoding: 'utf8' });
  return r.status === 0 ? null : (r.stderr || r.error?.message || `cc exited with ${r.status}`).trim();
}

/** Builds the C load generator and the C server into build-bench/; checks dist/. */
export function build() {
  // Configure once; `cmake --build` re-configures by itself when CMakeLists.txt changes.
  const steps = [
    ...(existsSync(path.join(bin, 'CMakeCache.txt')) ? [] : [['cmake', ['-S', root, '-B', bin, '-DIOR_BUILD_BENCH=ON', '-DCMAKE_BUILD_TYPE=Release']]]),
    ['cmake', ['--build', bin, '--target', 'echo_client', 'echo_server_epoll']],
  ];
  const fresh = (exe, src) => existsSync(exe) && statSync(exe).mtimeMs > statSync(path.join(here, src)).mtimeMs;
  const upToDate = fresh(clientPath, 'client.c') && fresh(path.join(bin, 'echo_server_epoll'), 'server_epoll.c');
  for (const [cmd, argv] of upToDate ? [] : steps) {
    const r = spawnSync(cmd, argv, { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed`);
  }
  // Not CMake targets (CMakeLists.txt belongs to the addon build): plain cc, and the libuv
  // server only where libuv's header and library are installed.
  const openLoopError = compileC('openloop.c', openLoopPath);
  if (openLoopError) throw new Error(`building bench/echo/openloop.c failed:\n${openLoopError}`);
  if (!existsSync('/usr/include/uv.h') && spawnSync('sh', ['-c', 'echo "#include <uv.h>" | cc -E - >/dev/null 2>&1']).status !== 0) {
    libuvSkipped = 'skipped: libuv1-dev not installed (Debian: apt-get install libuv1-dev)';
  } else {
    const error = compileC('server_libuv.c', path.join(bin, 'echo_server_libuv'), ['-luv']);
    libuvSkipped = error ? `skipped: building server_libuv.c against libuv failed: ${error.split('\n')[0]}` : null;
  }
  if (libuvSkipped === null) servers.libuv = [path.join(bin, 'echo_server_libuv')];
  if (!existsSync(path.join(root, 'dist', 'index.js'))) throw new Error('dist/ is missing: run npm run build:ts');
}

/** [command, argv] running argv on one CPU when taskset exists. */
export function pinned(cpu, argv) {
  return hasTaskset ? ['taskset', ['-c', String(cpu), ...argv]] : [argv[0], argv.slice(1)];
}

/** utime + stime of a process, in clock ticks. */
export function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Starts a server on CPU 0 and waits for its "port N" line. */
export async function startServer(argv) {
  const [cmd, args] = pinned(0, [...argv, '0']);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${argv.join(' ')} did not start`)), 10_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /port (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.on('exit', (code) => reject(new Error(`${argv.join(' ')} exited with ${code}`)));
  });
  return { child, port };
}

export async function stopServer(child) {
  child.kill('SIGTERM');
  await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.on('exit', resolve)));
}

/**
 * Measures what processes outside this benchmark used of the whole machine while `fn`
 * ran: busy time from /proc/stat minus this process and its reaped children. A cell
 * where it is high was disturbed and should be discounted.
 */
export async function othersCpu(fn) {
  const busy = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    return f.reduce((a, b) => a + b, 0) - f[3] - f[4];
  };
  const own = () => {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    return f[11] + f[12] + f[13] + f[14]; // utime stime cutime cstime
  };
  const busy0 = busy();
  const own0 = own();
  const t0 = performance.now();
  const result = await fn();
  const wall = (performance.now() - t0) / 1000;
  return { result, others: (busy() - busy0 - (own() - own0)) / clockTicks / (wall * cpus().length) };
}

export function table(rows) {
  const header = Object.keys(rows[0]);
  const widths = header.map((h) => Math.max(h.length, ...rows.map((r) => String(r[h]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padStart(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(header.map((h) => row[h])));
}

/** A free TCP port on 127.0.0.1 (for servers that take a port, not 0). */
export async function freePort() {
  const { createServer } = await import('node:net');
  const { once } = await import('node:events');
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  return port;
}

/** SIGTERM, then SIGKILL after 3 s; resolves once the process has exited. */
export async function terminate(child) {
  const { once } = await import('node:events');
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await once(child, 'exit');
  clearTimeout(timer);
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** "median (min–max)" with `digits` decimals. */
export const spread = (xs, digits = 0) =>
  `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;

/**
 * One closed-loop echo run: starts `name`'s server on CPU 0, runs the C client on CPU 1
 * for `warmup` + `duration` seconds with `conns` connections of `size`-byte messages,
 * and returns the client's JSON plus the server's CPU µs per echoed message (utime +
 * stime over the whole client run / every message echoed in it) and `others`, the share
 * of the machine other processes used meanwhile.
 */
export async function echoRun(name, size, conns, duration, warmup) {
  const { result, others } = await othersCpu(async () => {
    const { child, port } = await startServer(servers[name]);
    try {
      const before = cpuTicks(child.pid);
      const [cmd, argv] = pinned(1, [clientPath, '127.0.0.1', String(port), String(conns), String(size), String(duration), String(warmup)]);
      const r = await spawnAsync(cmd, argv, (duration + warmup + 60) * 1000);
      const after = cpuTicks(child.pid);
      if (r.status !== 0) throw new Error(`echo client failed against ${name} (${size} B, ${conns} conns): ${r.stderr.trim()}`);
      const out = JSON.parse(r.stdout.trim());
      return { ...out, cpuUsPerMsg: (((after - before) / clockTicks) * 1e6) / out.total_msgs };
    } finally {
      await stopServer(child);
    }
  });
  return { ...result, others };
}

/**
 * One open-loop run (openloop.c): `rate` messages/s of `size` bytes over `conns`
 * connections on a fixed schedule, latency from each message's scheduled send time.
 */
export async function openLoopRun(name, size, conns, rate, duration, warmup) {
  const { result, others } = await othersCpu(async () => {
    const { child, port } = await startServer(servers[name]);
    try {
      const before = cpuTicks(child.pid);
      const [cmd, argv] = pinned(1, [openLoopPath, '127.0.0.1', String(port), String(conns), String(size), String(Math.round(rate)), String(duration), String(warmup)]);
      const r = await spawnAsync(cmd, argv, (duration + warmup + 60) * 1000);
      const after = cpuTicks(child.pid);
      if (r.status !== 0) throw new Error(`open-loop client failed against ${name}: ${r.stderr.trim()}`);
      const out = JSON.parse(r.stdout.trim());
      return { ...out, rate, cpuUsPerMsg: (((after - before) / clockTicks) * 1e6) / Math.max(1, out.total_msgs) };
    } finally {
      await stopServer(child);
    }
  });
  return { ...result, others };
}

/** spawn, collecting stdout/stderr, without blocking the event loop (progress keeps ticking). */
export function spawnAsync(cmd, argv, timeoutMs, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}
