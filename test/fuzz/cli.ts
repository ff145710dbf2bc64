/**
 * `npm run fuzz -- --seed N --ops M [--replay SEED:PATH] [--json] [--state FILE] [--sab auto|on|off]`
 *
 * Runs a campaign and prints the seed, ops done, every new failure with its shrunk
 * counterexample and replay command, the KNOWN_OPEN hits, and the elapsed time. Exits 1
 * when a new failure or a leaked kernel object was found. `--json` prints the result as
 * one JSON object on the last line of stdout (the vitest wrapper reads it); `--state`
 * names a file that always holds the ops of the run in progress, so a crash can be
 * replayed from it.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { decodeOps, runCampaign, runOnce } from './campaign.js';
import { failure, KNOWN_OPEN, knownDefectFor } from './oracle.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    ops: { type: 'string', default: '10000' },
    replay: { type: 'string' },
    run: { type: 'string' },
    json: { type: 'boolean', default: false },
    state: { type: 'string' },
    sab: { type: 'string', default: 'auto' },
    'settle-ms': { type: 'string', default: '200' },
  },
});

/** Probes SharedArrayBuffer handling in a child process (see sab-probe.ts). */
function probeSab(): boolean {
  if (values.sab === 'on') return true;
  if (values.sab === 'off') return false;
  const probe = path.join(__dirname, 'sab-probe.ts');
  const r = spawnSync(process.execPath, ['--import', 'tsx', probe], { stdio: 'ignore', env: process.env, timeout: 60_000 });
  return r.status === 0;
}

async function main(): Promise<void> {
  const seed = Number(values.seed);
  const ops = Number(values.ops);
  if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(ops) || ops <= 0) throw new Error('--seed and --ops must be integers');
  const sabSafe = probeSab();
  const log = values.json ? (line: string) => console.error(line) : (line: string) => console.log(line);
  if (values.run !== undefined) {
    // One exact op sequence, as printed in a failure report.
    const file = path.join(tmpdir(), `ioreactor-fuzz-run-${process.pid}.bin`);
    writeFileSync(file, Buffer.alloc(100_000, 0x42));
    const failures = await runOnce(decodeOps(values.run), { seed, ops, sabSafe, settleMs: Number(values['settle-ms']) }, file, { ops: 0, skippedSab: 0 });
    rmSync(file, { force: true });
    for (const f of failures) log(`[${f.kind}] ${f.api}: ${f.detail}`);
    log(failures.length === 0 ? 'no failures' : `${failures.length} failure(s)`);
    process.exitCode = failures.length === 0 ? 0 : 1;
    return;
  }
  log(`ioreactor fuzz: seed ${seed}, ${ops} ops${values.replay ? `, replay ${values.replay}` : ''}; SharedArrayBuffer cases ${sabSafe ? 'on' : 'off (this build mishandles them: KNOWN_OPEN sab-view-base)'}`);
  const result = await runCampaign({
    seed,
    ops,
    sabSafe,
    settleMs: Number(values['settle-ms']),
    ...(values.replay === undefined ? {} : { replay: values.replay }),
    ...(values.state === undefined ? {} : { beforeRun: (run) => writeFileSync(values.state!, JSON.stringify(run)) }),
    log,
  });
  if (!sabSafe) {
    // The probe's verdict is a defect of its own: known while the allow-list names it.
    const f = failure('crash', 'sab-probe', 'SharedArrayBuffer-backed views are mishandled by this build');
    const k = knownDefectFor(f);
    if (k !== undefined) result.known[k.id] = 1;
    else result.reported.push({ failures: [f], counterexample: [], replay: '', run: '[]' });
  }
  const seconds = result.elapsedMs / 1000;
  log(`\nseed ${result.seed}: ${result.opsDone} ops in ${result.runs} runs, ${seconds.toFixed(1)} s (${Math.round(result.opsDone / seconds)} ops/s)` +
    (result.skippedSab > 0 ? `; ${result.skippedSab} SharedArrayBuffer ops skipped` : ''));
  for (const [id, hits] of Object.entries(result.known)) {
    log(`  known open: ${id} (${hits} hits) — ${KNOWN_OPEN.find((k) => k.id === id)?.api ?? ''}`);
  }
  if (result.leakedFds.length > 0) log(`  kernel objects open after the campaign that were not before: ${result.leakedFds.length}`);
  log(result.reported.length === 0 ? '  no new failures' : `  ${result.reported.length} new failure(s); reproduce each with the command printed above`);
  if (values.json) console.log(JSON.stringify({ ...result, sabSafe }));
  process.exitCode = result.reported.length > 0 ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 2;
});
