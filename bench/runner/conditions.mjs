// The conditions a run of `npm run bench` was measured under, recorded in its result file.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';

function readOr(file, fallback = null) {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return fallback;
  }
}

function git(root, args) {
  const r = spawnSync('git', ['-C', root, ...args], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** CPU model, cores, kernel, Node, commit, governor (when readable), pinning, load. */
export function conditions(root, { hasTaskset, clockTicks, fdLimit }) {
  const model = /model name\s*:\s*(.*)/.exec(readOr('/proc/cpuinfo', '') ?? '')?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const governor = readOr('/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor');
  const status = git(root, ['status', '--porcelain', '--untracked-files=no']);
  return {
    cpuModel: model,
    cores: cpus().length,
    os: `${type()} ${release()}`,
    kernel: release(),
    node: process.version,
    commit: git(root, ['rev-parse', '--short=12', 'HEAD']),
    dirty: status === null ? null : status.length > 0,
    governor,
    memoryMB: Math.round(totalmem() / 2 ** 20),
    pinning: hasTaskset ? 'server on CPU 0, load generator on CPU 1 (taskset)' : 'unpinned (no taskset)',
    clockTicks,
    fdLimit,
    loadAvgAtStart: loadavg().map((x) => Number(x.toFixed(2))),
    container: existsSync('/.dockerenv') || /docker|kubepods|containerd/.test(readOr('/proc/1/cgroup', '') ?? ''),
  };
}

/** One line for tables and charts. */
export function conditionsLine(c) {
  return (
    `${c.cpuModel} × ${c.cores}, ${c.os}, Node ${c.node}, commit ${c.commit ?? '?'}${c.dirty ? ' (+ uncommitted changes)' : ''}, ` +
    `governor ${c.governor ?? 'not readable'}, ${c.pinning}, load average ${c.loadAvgAtStart.join(' ')} at start`
  );
}
