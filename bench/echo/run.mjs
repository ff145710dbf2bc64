// bench/echo runner: closed-loop TCP echo on loopback against the servers measured in
// the same run: ioreactor's callback-level server, its coroutine-level server tuned
// (sockRecvInto) and as the README writes it (sockRecv), node:net, and a C epoll server.
//
// usage: npm run bench:echo [-- --quick] [-- --duration S] [-- --servers a,b] [-- --syscalls] [-- --tree LABEL=DIR]
//        [-- --sizes 64,1024] [-- --conns 10,100,1000] [-- --rounds N]
//
// For each message size (64 B, 1 KiB) and connection count (10, 100, 1000) every server
// is started pinned to CPU 0 and the C load generator pinned to CPU 1 (when taskset
// exists). Reported per cell: msgs/s and p50/p99 latency in the measurement window, and
// server CPU µs per echoed message (utime+stime from /proc/<pid>/stat over the whole
// client run, divided by every message echoed in it), with ratios to node:net and to C.
// With --syscalls, `perf stat` counts the server's recv/send/epoll system calls through
// kernel tracepoints (no ptrace slowdown) and the table adds them per message.
// With --tree LABEL=DIR (a checkout of another commit with dist/ built and this bench/
// copied in; may repeat), its ioreactor servers run too, as `name@LABEL`, in the same
// cells as this tree's: a before/after comparison in one run.
import { spawn, spawnSync } from 'node:child_process';
import { cpus, release } from 'node:os';
import * as path from 'node:path';
import { addTrees, build, clientPath, clockTicks, cpuTicks, hasTaskset, othersCpu, pinned, servers, startServer, stopServer, table } from './harness.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const durationArg = args.indexOf('--duration');
const duration = durationArg >= 0 ? Number(args[durationArg + 1]) : quick ? 1 : 3;
const warmup = quick ? 0.3 : 0.5;
const serversArg = args.indexOf('--servers');
const listArg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1].split(',').map(Number) : fallback;
};
const sizes = listArg('--sizes', [64, 1024]);
const connectionCounts = listArg('--conns', quick ? [100] : [10, 100, 1000]);
const rounds = Number(listArg('--rounds', [1])[0]);
const countSyscalls = args.includes('--syscalls');
const syscallEvents = ['recvfrom', 'read', 'sendto', 'write', 'writev', 'epoll_wait', 'epoll_pwait', 'epoll_ctl'];

addTrees(args);
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
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
// One figure, or with --rounds N the median and min–max over the rounds.
const spread = (xs, digits) =>
  xs.length === 1 ? xs[0].toFixed(digits) : `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
const rows = [];
for (const size of sizes) {
  for (const conns of connectionCounts) {
    const runs = Object.fromEntries(selected.map((name) => [name, []]));
    for (let round = 0; round < rounds; round++) {
      // Rounds rotate the order, so no server always runs first or right after another.
      const results = {};
      for (let k = 0; k < selected.length; k++) {
        const name = selected[(k + round) % selected.length];
        const { result, others } = await othersCpu(() => runCell(name, size, conns));
        results[name] = { ...result, others };
      }
      for (const name of selected) {
        const r = results[name];
        r.vsNet = results['node:net'] ? r.cpuUsPerMsg / results['node:net'].cpuUsPerMsg : NaN;
        r.vsC = results['c-epoll'] ? r.cpuUsPerMsg / results['c-epoll'].cpuUsPerMsg : NaN;
        runs[name].push(r);
      }
    }
    for (const name of selected) {
      const rs = runs[name];
      const pick = (f) => rs.map(f);
      const syscalls = rs[0].syscalls ? (key) => median(pick((r) => key.reduce((a, k) => a + (r.syscalls[k] ?? 0), 0))) : null;
      rows.push({
        size: `${size} B`,
        conns,
        server: name,
        'msgs/s': Math.round(median(pick((r) => r.msgs_per_s))),
        'p50 µs': median(pick((r) => r.p50_us)),
        'p99 µs': median(pick((r) => r.p99_us)),
        'CPU µs/msg': spread(pick((r) => r.cpuUsPerMsg), 2),
        'vs node:net': results(rs, 'vsNet'),
        'vs C': results(rs, 'vsC'),
        'others CPU': `${(median(pick((r) => r.others)) * 100).toFixed(0)}%`,
        ...(syscalls
          ? {
              'recv/msg': syscalls(['recvfrom', 'read']).toFixed(2),
              'send/msg': syscalls(['sendto', 'write', 'writev']).toFixed(2),
              'epoll_wait/msg': syscalls(['epoll_wait', 'epoll_pwait']).toFixed(3),
              'epoll_ctl/msg': syscalls(['epoll_ctl']).toFixed(3),
            }
          : {}),
      });
    }
  }
}
function results(rs, key) {
  return Number.isNaN(rs[0][key]) ? '-' : spread(rs.map((r) => r[key]), 2);
}
table(rows);
console.log('CPU ratios are server CPU per message relative to the baseline in the same cell and round (lower is better);');
console.log('with --rounds N: median (min–max) over the rounds. others CPU: what processes outside the benchmark used of the machine (should be ~0 %).');
const cell = (r) => `${r.size}/${r.conns}`;
const tuned = new Map(rows.filter((r) => r.server === 'coroutine').map((r) => [cell(r), r]));
const readme = rows.filter((r) => r.server === 'coroutine-readme' && tuned.has(cell(r)));
if (readme.length > 0) {
  console.log('\nREADME-style coroutine server (sockRecv) vs the tuned one (sockRecvInto), same cells:');
  table(
    readme.map((r) => ({
      size: r.size,
      conns: r.conns,
      'CPU/msg ratio (medians)': (parseFloat(r['CPU µs/msg']) / parseFloat(tuned.get(cell(r))['CPU µs/msg'])).toFixed(3),
      'msgs/s ratio': (r['msgs/s'] / tuned.get(cell(r))['msgs/s']).toFixed(3),
    })),
  );
}
