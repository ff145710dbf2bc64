// bench/echo runner: closed-loop TCP echo on loopback against the servers measured in
// the same run: ioreactor's callback-level server, its coroutine-level server tuned
// (sockRecvInto) and as the README writes it (sockRecv), node:net, and a C epoll server.
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
// With --baseline-tree DIR (a checkout of another commit with dist/ built and this
// bench/echo copied in), its ioreactor servers run too, as `name@base`, interleaved with
// this tree's in the same cells: a before/after comparison in one run.
import { spawn, spawnSync } from 'node:child_process';
import { cpus, release } from 'node:os';
import * as path from 'node:path';
import { build, clientPath, clockTicks, cpuTicks, hasTaskset, pinned, servers, startServer, stopServer, table } from './harness.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const durationArg = args.indexOf('--duration');
const duration = durationArg >= 0 ? Number(args[durationArg + 1]) : quick ? 1 : 3;
const warmup = quick ? 0.3 : 0.5;
const serversArg = args.indexOf('--servers');
const sizes = [64, 1024];
const connectionCounts = quick ? [100] : [10, 100, 1000];
const countSyscalls = args.includes('--syscalls');
const syscallEvents = ['recvfrom', 'read', 'sendto', 'write', 'writev', 'epoll_wait', 'epoll_pwait', 'epoll_ctl'];

const baseArg = args.indexOf('--baseline-tree');
if (baseArg >= 0) {
  const tree = path.resolve(args[baseArg + 1]);
  for (const name of ['ioreactor', 'coroutine', 'coroutine-readme']) {
    servers[`${name}@base`] = [process.execPath, path.join(tree, 'bench', 'echo', path.basename(servers[name][1]))];
  }
}
const selected = serversArg >= 0 ? args[serversArg + 1].split(',') : Object.keys(servers);

async function runCell(name, size, conns) {
  const { child, port } = await startServer(servers[name]);
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
      clientPath, '127.0.0.1', String(port), String(conns), String(size),
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
    await stopServer(child);
  }
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
const cell = (r) => `${r.size}/${r.conns}`;
const tuned = new Map(rows.filter((r) => r.server === 'coroutine').map((r) => [cell(r), r]));
const readme = rows.filter((r) => r.server === 'coroutine-readme' && tuned.has(cell(r)));
if (readme.length > 0) {
  console.log('\nREADME-style coroutine server (sockRecv) vs the tuned one (sockRecvInto), same cells:');
  table(
    readme.map((r) => ({
      size: r.size,
      conns: r.conns,
      'CPU/msg ratio': (Number(r['CPU µs/msg']) / Number(tuned.get(cell(r))['CPU µs/msg'])).toFixed(3),
      'msgs/s ratio': (r['msgs/s'] / tuned.get(cell(r))['msgs/s']).toFixed(3),
    })),
  );
}
