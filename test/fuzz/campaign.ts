/**
 * Runs a fuzz campaign: batches of fast-check runs, each run a random sequence of ops
 * against a fresh World. A run fails on a failure that is neither on the KNOWN_OPEN list
 * nor already reported in this campaign; fast-check then shrinks it, the shrunk sequence
 * is reported with its replay command, and the campaign goes on with the next batch so
 * one defect does not hide the others.
 */
import { readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { getEventLoop } from '../../lib/index.js';
import * as sys from '../../lib/sys.js';
import { type Failure, failure, judgeThrown, knownDefectFor } from './oracle.js';
import { installHandler, type Op, type OpDef, OPS } from './ops.js';
import { isSab } from './values.js';
import { World } from './world.js';

export interface CampaignOptions {
  seed: number;
  /** Stop once this many ops ran. */
  ops: number;
  /** Longest op sequence per run. @defaultValue 40 */
  runLength?: number;
  /** fast-check runs per batch (each batch has its own seed: seed + batch). @defaultValue 100 */
  runsPerBatch?: number;
  /** Whether SharedArrayBuffer views may be passed to the addon (see sab-probe.ts). */
  sabSafe: boolean;
  /** Time pending operations get to settle after cleanup. @defaultValue 200 */
  settleMs?: number;
  /** Replays one counterexample: `"<batch seed>:<path>"` as printed in a report. */
  replay?: string;
  /** Called before each run with its ops (the CLI saves them so a crash can be replayed). */
  beforeRun?: (ops: readonly Op[]) => void;
  log?: (line: string) => void;
}

export interface Reported {
  failures: Failure[];
  counterexample: Op[];
  replay: string;
  /** Arguments for `npm run fuzz -- --run '<this>'`: the exact shrunk op sequence. */
  run: string;
}

export interface CampaignResult {
  seed: number;
  opsDone: number;
  runs: number;
  elapsedMs: number;
  skippedSab: number;
  /** New defects, each with its shrunk counterexample. */
  reported: Reported[];
  /** KNOWN_OPEN id → how many times it was hit. */
  known: Record<string, number>;
  /** Kernel objects (sockets, pipes, epoll fds) left open by the whole campaign. */
  leakedFds: string[];
}

const byName = new Map<string, OpDef>(OPS.map((d) => [d.name, d]));
export const opArb: fc.Arbitrary<Op> = fc.oneof(
  ...OPS.map((d) => fc.tuple(...d.args).map((args): Op => ({ op: d.name, args }))),
);

/**
 * Ops as JSON that keeps NaN, ±Infinity, -0 and undefined (plain JSON loses them), for the
 * `--run` reproduction command.
 */
export function encodeOps(ops: readonly Op[]): string {
  return JSON.stringify(ops, (_key, value: unknown) => {
    if (value === undefined) return { $: 'undefined' };
    if (typeof value === 'number' && (!Number.isFinite(value) || Object.is(value, -0))) return { $: String(Object.is(value, -0) ? '-0' : value) };
    return value;
  });
}

export function decodeOps(text: string): Op[] {
  return JSON.parse(text, (_key, value: unknown) => {
    if (typeof value === 'object' && value !== null && Object.keys(value).length === 1 && '$' in value) {
      const tag = (value as { $: string }).$;
      return tag === 'undefined' ? undefined : tag === '-0' ? -0 : Number(tag);
    }
    return value;
  }) as Op[];
}

function describeOp(op: Op): string {
  return `${op.op}(${op.args.map((a) => fc.stringify(a)).join(', ')})`;
}

function kernelFds(): Map<string, string> {
  const out = new Map<string, string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      out.set(fd, readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // Closed between readdir and readlink (the directory's own fd).
    }
  }
  return out;
}

/** Sockets, pipes and epoll fds open now that were not (or were other files) in `before`. */
function leakedSince(before: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [fd, target] of kernelFds()) {
    if (before.get(fd) !== target && /^(socket|pipe|anon_inode)/.test(target)) out.push(`${fd} → ${target}`);
  }
  return out;
}

/** Process-wide hooks: an uncaught exception or unhandled rejection is a failure of the current run. */
let activeWorld: World | null = null;
function onUncaught(error: unknown): void {
  if (activeWorld === null) throw error;
  // A harness callback's own exception with nowhere else to go (a Future done callback)
  // surfaces as uncaught, as a Node callback's would: acceptable. Anything else is not.
  const f = judgeThrown(error, 'uncaught exception', activeWorld.userValues);
  if (f !== undefined) activeWorld.failures.push({ ...f, kind: 'uncaught', detail: `${f.detail}\n      during ${activeWorld.current}` });
}
function onUnhandled(reason: unknown): void {
  const f = judgeThrown(reason, 'unhandled rejection', activeWorld?.userValues ?? new Set());
  // Even an acceptable value must not be left unhandled: the harness observes every
  // Promise the library returns, so this one was made and dropped inside the library.
  let text = 'a hostile value';
  try {
    text = String(reason);
  } catch {
    // keep the placeholder
  }
  activeWorld?.failures.push(f ?? failure('uncaught', 'unhandled rejection', `unhandled rejection inside the library: ${text}`));
}

async function execute(w: World, op: Op, stats: { ops: number; skippedSab: number }, checkInvariants: boolean): Promise<boolean> {
  const def = byName.get(op.op);
  if (def === undefined) return checkInvariants;
  if (!w.limits.sabSafe && op.args.some(isSab)) {
    stats.skippedSab++;
    return checkInvariants;
  }
  stats.ops++;
  w.current = describeOp(op);
  w.currentApi = def.name;
  const judge = (error: unknown, api: string): void => {
    const f = judgeThrown(error, api, w.userValues);
    if (f !== undefined) w.failures.push({ ...f, detail: `${f.detail}\n      in ${w.current}` });
  };
  w.judge = judge;
  try {
    const result = def.run(w, op.args);
    if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
      const promise = Promise.resolve(result as PromiseLike<unknown>);
      w.track(promise, w.current, def.mustSettle === true, (error) => judge(error, def.name));
      if (def.name === 'tick') await promise;
    }
  } catch (error) {
    judge(error, def.name);
  }
  if (!checkInvariants) return false;
  const broken = w.checkInvariants();
  if (broken === undefined) return true;
  w.failures.push({ ...failure('invariant', def.name, broken), detail: `${broken}\n      after ${w.current}` });
  return false; // one broken invariant is enough for this run
}

function setup(w: World): void {
  const p = sys.pipe();
  w.addFd(p[0], 'pipeR');
  w.addFd(p[1], 'pipeW');
  const s = sys.socketpair();
  w.addFd(s[0], 'unix');
  w.addFd(s[1], 'unix');
  for (const op of ['tcpListener', 'selector.new', 'loop.new'] as const) byName.get(op)!.run(w, op === 'tcpListener' ? [{ k: 'bool', v: false }] : op === 'loop.new' ? [{ k: 'opts', o: 'empty' }] : [{ k: 'num', v: 0 }]);
  installHandler(w, getEventLoop());
}

/** One run: setup, the ops, cleanup. Returns every failure it saw. */
export async function runOnce(ops: readonly Op[], options: CampaignOptions, filePath: string, stats: { ops: number; skippedSab: number }): Promise<Failure[]> {
  const w = new World({ sabSafe: options.sabSafe, settleMs: options.settleMs ?? 200 }, filePath);
  activeWorld = w;
  const before = kernelFds();
  try {
    setup(w);
    let check = true;
    for (const op of ops) check = await execute(w, op, stats, check);
    w.currentApi = 'cleanup';
    w.current = 'cleanup';
    const stuck = await w.cleanup();
    for (const p of stuck) w.failures.push({ ...failure('unsettled', p.what.replace(/\(.*$/s, ''), 'still pending after every loop, socket and fd was closed'), detail: `still pending after every loop, socket and fd was closed: ${p.what}` });
    // Let late callbacks and rejections land in this run, not the next.
    await new Promise((r) => setImmediate(r));
    const leaked = leakedSince(before);
    if (leaked.length > 0) w.failures.push({ ...failure('fd-leak', 'run', 'kernel objects left open after cleanup'), detail: `kernel objects left open after cleanup: ${leaked.join(', ')}` });
    return w.failures;
  } finally {
    activeWorld = null;
  }
}

export async function runCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const started = Date.now();
  const log = options.log ?? ((line: string) => console.log(line));
  const filePath = path.join(tmpdir(), `ioreactor-fuzz-${process.pid}.bin`);
  writeFileSync(filePath, Buffer.alloc(100_000, 0x42));
  const fdsBefore = kernelFds();
  const stats = { ops: 0, skippedSab: 0 };
  const known: Record<string, number> = {};
  const seen = new Set<string>();
  const reported: Reported[] = [];
  let runs = 0;
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUnhandled);
  try {
    const runLength = options.runLength ?? 40;
    const property = fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: runLength, size: 'max' }), async (ops) => {
      runs++;
      options.beforeRun?.(ops);
      const failures = await runOnce(ops, options, filePath, stats);
      let fresh = 0;
      for (const f of failures) {
        const k = knownDefectFor(f);
        if (k !== undefined) known[k.id] = (known[k.id] ?? 0) + 1;
        else if (!seen.has(f.signature)) fresh++;
      }
      return fresh === 0;
    });
    const batches = options.replay === undefined ? Infinity : 1;
    for (let batch = 0; batch < batches && stats.ops < options.ops; batch++) {
      const [seedText, replayPath] = options.replay?.split(':') ?? [String(options.seed + batch), undefined];
      const seed = Number(seedText);
      const remaining = Math.max(1, Math.ceil((options.ops - stats.ops) / (runLength / 2)));
      const details = await fc.check(property, {
        seed,
        numRuns: options.replay === undefined ? Math.min(options.runsPerBatch ?? 100, remaining) : 1,
        ...(replayPath === undefined ? {} : { path: replayPath }),
        endOnFailure: false,
      });
      if (!details.failed || details.counterexample === null) continue;
      const [ops] = details.counterexample;
      // Run the shrunk sequence once more to collect its failures for the report.
      const failures = (await runOnce(ops, options, filePath, stats)).filter((f) => knownDefectFor(f) === undefined && !seen.has(f.signature));
      for (const f of failures) seen.add(f.signature);
      const entry: Reported = { failures, counterexample: ops, replay: `${seed}:${details.counterexamplePath ?? ''}`, run: encodeOps(ops) };
      reported.push(entry);
      log(`\nFAILURE ${reported.length} (batch seed ${seed}): ${failures.length === 0 ? '(flaky: did not reproduce on re-run)' : ''}`);
      for (const f of failures) log(`  [${f.kind}] ${f.api}: ${f.detail}`);
      log(`  shrunk counterexample (${ops.length} ops):`);
      for (const op of ops) log(`    ${describeOp(op)}`);
      log(`  reproduce: npm run fuzz -- --run '${entry.run}'`);
      log(`         or: npm run fuzz -- --replay ${entry.replay}  (same campaign position; needs the same KNOWN_OPEN list)`);
    }
  } finally {
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUnhandled);
    rmSync(filePath, { force: true });
  }
  const leakedFds = leakedSince(fdsBefore);
  return { seed: options.seed, opsDone: stats.ops, runs, elapsedMs: Date.now() - started, skippedSab: stats.skippedSab, reported, known, leakedFds };
}
