/**
 * Cost of one select() with N registered fds of which K are ready, per backend.
 *
 * Usage: npm run bench:selector [-- --quick] [-- --rounds N] [-- --sizes 10,100] [-- --ms 300] [-- --json]
 *
 * With --rounds N every cell is measured N times, backends interleaved within each round,
 * and the tables show medians. With --json one JSON object goes to stdout instead of the
 * tables: the conditions and, per backend/N/K, every round's µs per call (what `npm run
 * bench` reads).
 *
 * Each cell registers N socket ends for EVENT_READ (N/2 socket pairs) and makes K of them
 * readable by writing one byte to their peers; level-triggered readiness keeps them ready,
 * so every select(0) reports exactly K events. Reported: µs per select() call and ns per
 * ready event, plus each backend's ratio to epoll measured in the same run.
 */
import { cpus, release } from 'node:os';
import { availableBackends, type BackendName, type BaseSelector, EVENT_READ } from '../lib/index.js';
import * as sys from '../lib/sys.js';
import { EpollSelector, KqueueSelector, PollSelector, SelectSelector } from '../lib/index.js';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = argv.includes('--quick');
const json = argv.includes('--json');
const sizes = option('--sizes')?.split(',').map(Number) ?? [10, 100, 1000, 10000];
const targetMs = Number(option('--ms') ?? (quick ? 60 : 300));
const rounds = Number(option('--rounds') ?? 1);

const classes: Record<BackendName, new () => BaseSelector> = {
  epoll: EpollSelector,
  kqueue: KqueueSelector,
  poll: PollSelector,
  select: SelectSelector,
};

interface Cell {
  usPerCall: number;
  nsPerEvent: number;
}

function measure(backend: BackendName, n: number, k: number): Cell | string {
  const pairs: [number, number][] = [];
  const sel = new classes[backend]();
  try {
    for (let i = 0; i < n / 2; i++) pairs.push(sys.socketpair());
    const fds = pairs.flat();
    if (backend === 'select' && Math.max(...fds) >= sys.FD_SETSIZE) return 'n/a (fd ≥ FD_SETSIZE)';
    for (const fd of fds) sel.register(fd, EVENT_READ);
    const one = Buffer.from('x');
    for (let i = 0; i < k; i++) {
      // fds[i] becomes readable when its peer (the other end of its pair) is written.
      const peer = fds[i ^ 1]!;
      if (sys.write(peer, one) !== 1) throw new Error('write failed');
    }
    if (sel.select(0).length !== k) throw new Error(`expected ${k} ready`);
    // Warm up, then time batches until the target duration is reached.
    for (let i = 0; i < 50; i++) sel.select(0);
    let calls = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < targetMs * 1e6) {
      for (let i = 0; i < 20; i++) sel.select(0);
      calls += 20;
      elapsed = Number(process.hrtime.bigint() - start);
    }
    return { usPerCall: elapsed / calls / 1e3, nsPerEvent: elapsed / calls / k };
  } finally {
    sel.close();
    for (const [a, b] of pairs) {
      sys.close(a);
      sys.close(b);
    }
  }
}

function fmt(cell: Cell | string | undefined, field: keyof Cell): string {
  if (cell === undefined) return '-';
  if (typeof cell === 'string') return cell;
  return cell[field] >= 100 ? cell[field].toFixed(0) : cell[field].toFixed(2);
}

const { soft, hard } = sys.getrlimitNofile();
sys.setrlimitNofile(Math.min(hard, 20000));
const fdLimit = sys.getrlimitNofile().soft;
const backends = availableBackends();
const samples = new Map<string, (Cell | string)[]>();
for (let round = 0; round < rounds; round++) {
  for (const n of sizes) {
    for (const k of [1, n]) {
      // Rotate the order each round so no backend always runs first.
      for (let b = 0; b < backends.length; b++) {
        const backend = backends[(b + round) % backends.length]!;
        const key = `${backend}/${n}/${k}`;
        if (!samples.has(key)) samples.set(key, []);
        samples.get(key)!.push(measure(backend, n, k));
      }
    }
  }
}
sys.setrlimitNofile(soft);
const medianOf = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const results = new Map<string, Cell | string>();
for (const [key, cells] of samples) {
  const numeric = cells.filter((c): c is Cell => typeof c === 'object');
  results.set(
    key,
    numeric.length === 0
      ? (cells[0] as string)
      : { usPerCall: medianOf(numeric.map((c) => c.usPerCall)), nsPerEvent: medianOf(numeric.map((c) => c.nsPerEvent)) },
  );
}
if (json) {
  const cells = [...samples].map(([key, cs]) => {
    const [backend, n, k] = key.split('/');
    const skipped = cs.find((c) => typeof c === 'string');
    return {
      backend,
      registered: Number(n),
      ready: Number(k),
      ...(skipped !== undefined ? { skipped } : { usPerCall: cs.map((c) => (c as Cell).usPerCall) }),
    };
  });
  console.log(JSON.stringify({ node: process.version, kernel: release(), fdLimit, msPerCell: targetMs, rounds, backends, cells }));
  process.exit(0);
}
console.log('bench/selector: cost of select(0) with N registered fds, K ready');
console.log(
  `conditions: node ${process.version}, ${process.platform} ${release()}, ${cpus()[0]?.model ?? 'cpu?'} ` +
    `x${cpus().length}, open-file limit ${fdLimit}, ${targetMs} ms per cell${rounds > 1 ? `, median of ${rounds} rounds` : ''}`,
);

const header = ['N', 'K', ...backends.flatMap((b) => [`${b} µs/call`, `${b} ns/event`]), ...backends.filter((b) => b !== 'epoll').map((b) => `${b}/epoll`)];
const rows: string[][] = [];
for (const n of sizes) {
  for (const k of [1, n]) {
    const base = results.get(`epoll/${n}/${k}`);
    rows.push([
      String(n),
      String(k),
      ...backends.flatMap((b) => [fmt(results.get(`${b}/${n}/${k}`), 'usPerCall'), fmt(results.get(`${b}/${n}/${k}`), 'nsPerEvent')]),
      ...backends
        .filter((b) => b !== 'epoll')
        .map((b) => {
          const cell = results.get(`${b}/${n}/${k}`);
          if (typeof cell !== 'object' || typeof base !== 'object') return '-';
          return `${(cell.usPerCall / base.usPerCall).toFixed(2)}x`;
        }),
    ]);
  }
}
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padStart(widths[i]!)).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of rows) console.log(line(row));
