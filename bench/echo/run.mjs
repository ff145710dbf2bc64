// bench/echo runner: closed-loop TCP echo on loopback against three servers measured in
// the same run: ioreactor's callback-level server, node:net, and a C epoll server.
//
// usage: npm run bench:echo [-- --quick] [-- --duration S] [-- --servers a,b] [-- --syscalls]
//
// For each message size (64 B, 1 KiB) and connection count (10, 100, 1000) every server
// is started pinned to CPU 0 and the C load generator pinned to CPU 1 (when taskset
// exists). Reported per cell: msgs/s and p50/p99 latency in the measurement window, and
// server CPU µs per echoed message (utime+stime from /proc/<pid>/stat over the whole
// client run, divided by every message echoed in it), with ratios to node:net and to C.
// With --syscalls, `perf stat` counts the server's recv/send/epoll system calls through
// kernel tracepoints (no ptrace slowdown) and the table adds them per message.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const durationArg = args.indexOf('--duration');
const duration = durationArg >= 0 ? Number(args[durationArg + 1]) : quick ? 1 : 3;
const warmup = quick ? 0.3 : 0.5;
const serversArg = args.indexOf('--servers');
const sizes = [64, 1024];
const connectionCounts = quick ? [100] : [10, 100, 1000];
const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const countSyscalls = args.includes('--syscalls');
const syscallEvents = ['recvfrom', 'read', 'sendto', 'write', 'writev', 'epoll_wait', 'epoll_pwait', 'epoll_ctl'];
const hasTaskset = spawnSync('sh', ['-c', 'command -v taskset'], { encoding: 'utf8' }).status === 0;

const bin = path.join(root, 'build-bench');
const servers = {
  ioreactor: [process.execPath, path.join(here, 'server-ioreactor.mjs')],
  'node:net': [process.execPath, path.join(here, 'server-net.mjs')],
  coroutine: [process.execPath, path.join(here, 'server-coroutine.mjs')],
  'c-epoll': [path.join(bin, 'echo_server_epoll')],
};
const selected = serversArg >= 0 ? args[serversArg + 1].split(',') : Object.keys(servers);

function build() {
  const steps = [
    ['cmake', ['-S', root, '-B', bin, '-DIOR_BUILD_BENCH=ON', '-DCMAKE_BUILD_TYPE=Release']],
    ['cmake', ['--build', bin, '--target', 'echo_client', 'echo_server_epoll']],
  ];
  for (const [cmd, argv] of steps) {
    const r = spawnSync(cmd, argv, { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed`);
  }
  if (!existsSync(path.join(root, 'dist', 'index.js'))) throw new Error('dist/ is missing: run npm run build:ts');
}

function pinned(cpu, argv) {
  return hasTaskset ? ['taskset', ['-c', String(cpu), ...argv]] : [argv[0], argv.slice(1)];
}

function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

async function startServer(name) {
  const [cmd, argv] = pinned(0, [...servers[name], '0']);
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start`)), 10_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /port (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.on('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
  return { child, port };
}

async function runCell(name, size, conns) {
  const { child, port } = await startServer(name);
  try {
    const perf = countSyscalls
      ? spawn('perf', ['stat', '-x', ',', '-e', syscallEvents.map((e) => `syscalls:sys_enter_${e}`).join(','), '-p', String(child.pid)], {
          stdio: ['ignore', 'ignore', 'pipe'],
        })
      : null;
    let perfOut = '';
    perf?.stderr.on('data', (d) => (perfOut += d));
    if (perf) await new Promise((r) => setTimeout(r, 300)); // let perf attach
    const before = cpuTicks(child.pid);
    const [cmd, argv] = pinned(1, [
      path.join(bin, 'echo_client'), '127.0.0.1', String(port), String(conns), String(size),
      String(duration), String(warmup),
    ]);
    const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: (duration + warmup + 30) * 1000 });
    const after = cpuTicks(child.pid);
    if (r.status !== 0) throw new Error(`client failed against ${name}: ${r.stderr}`);
    const result = JSON.parse(r.stdout.trim());
    result.cpuUsPerMsg = (((after - before) / clockTicks) * 1e6) / result.total_msgs;
    if (perf) {
      perf.kill('SIGINT');
      await new Promise((resolve) => perf.on('close', resolve));
      result.syscalls = {};
      for (const line of perfOut.split('\n')) {
        const [count, , event] = line.split(',');
        const name = event?.replace('syscalls:sys_enter_', '');
        if (name && /^\d+$/.test(count ?? '')) result.syscalls[name] = Number(count) / result.total_msgs;
      }
    }
    return result;
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.on('exit', resolve)));
  }
}

function table(rows) {
  const header = Object.keys(rows[0]);
  const widths = header.map((h) => Math.max(h.length, ...rows.map((r) => String(r[h]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padStart(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(header.map((h) => row[h])));
}

build();
console.log('bench/echo: closed-loop TCP echo on 127.0.0.1, one message in flight per connection');
console.log(
  `conditions: node ${process.version}, linux ${release()}, ${cpus()[0]?.model} x${cpus().length}, ` +
    `${hasTaskset ? 'server pinned to CPU 0, client to CPU 1' : 'no taskset: unpinned'}, ` +
    `${duration}s measured after ${warmup}s warm-up per cell, CLK_TCK ${clockTicks}`,
);
const rows = [];
for (const size of sizes) {
  for (const conns of connectionCounts) {
    const results = {};
    for (const name of selected) results[name] = await runCell(name, size, conns);
    for (const name of selected) {
      const r = results[name];
      rows.push({
        size: `${size} B`,
        conns,
        server: name,
        'msgs/s': Math.round(r.msgs_per_s),
        'p50 µs': r.p50_us,
        'p99 µs': r.p99_us,
        'CPU µs/msg': r.cpuUsPerMsg.toFixed(2),
        'vs node:net': results['node:net'] ? (r.cpuUsPerMsg / results['node:net'].cpuUsPerMsg).toFixed(2) : '-',
        'vs C': results['c-epoll'] ? (r.cpuUsPerMsg / results['c-epoll'].cpuUsPerMsg).toFixed(2) : '-',
        ...(r.syscalls
          ? {
              'recv/msg': ((r.syscalls.recvfrom ?? 0) + (r.syscalls.read ?? 0)).toFixed(2),
              'send/msg': ((r.syscalls.sendto ?? 0) + (r.syscalls.write ?? 0) + (r.syscalls.writev ?? 0)).toFixed(2),
              'epoll_wait/msg': ((r.syscalls.epoll_wait ?? 0) + (r.syscalls.epoll_pwait ?? 0)).toFixed(3),
              'epoll_ctl/msg': (r.syscalls.epoll_ctl ?? 0).toFixed(3),
            }
          : {}),
      });
    }
  }
}
table(rows);
console.log('CPU ratios are server CPU per message relative to the baseline in the same cell (lower is better).');
