/**
 * The fuzz campaign in the default suite: a fixed-seed short run (IOR_FUZZ_OPS raises it;
 * scripts/test-asan.sh runs 100,000 ops under ASan+UBSan). The campaign runs in a child
 * process so that a crash (the oracle's first rule: the process survives) is reported with
 * the ops of the run that crashed instead of taking the test runner down, and so that
 * SharedArrayBuffer probing cannot corrupt this process. See test/fuzz/ for the harness and
 * test/fuzz/oracle.ts for the KNOWN_OPEN allow-list.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import type { CampaignResult } from './fuzz/campaign.js';

const ops = Number(process.env.IOR_FUZZ_OPS ?? 3000);
const seed = Number(process.env.IOR_FUZZ_SEED ?? 20240601);
// About 2,000 ops/s normally; a sanitized build is several times slower.
const budgetMs = 60_000 + ops * 10;

it(`survives a fixed-seed fuzz campaign of ${ops} ops (seed ${seed})`, { timeout: budgetMs + 10_000 }, () => {
  const state = path.join(tmpdir(), `ioreactor-fuzz-state-${process.pid}.json`);
  const cli = path.join(__dirname, 'fuzz', 'cli.ts');
  const child = spawnSync(process.execPath, ['--import', 'tsx', cli, '--seed', String(seed), '--ops', String(ops), '--json', '--state', state], {
    env: process.env,
    encoding: 'utf8',
    timeout: budgetMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  // Sanitizer reports go to stderr: pass it on so scripts/test-asan.sh can grep for them.
  process.stderr.write(child.stderr);
  let lastRun = '';
  try {
    lastRun = readFileSync(state, 'utf8');
  } catch {
    // no run started
  }
  rmSync(state, { force: true });
  if (child.signal !== null || (child.status !== 0 && child.status !== 1)) {
    expect.fail(
      `the fuzz process died (${child.signal ?? `exit ${child.status}`}${child.error ? `, ${child.error.message}` : ''}).\n` +
        `Ops of the run in progress — reproduce with: npm run fuzz -- --run '${lastRun}'\n${child.stderr.slice(-4000)}`,
    );
  }
  const lines = child.stdout.trim().split('\n');
  const result = JSON.parse(lines[lines.length - 1]!) as CampaignResult;
  expect(result.opsDone).toBeGreaterThanOrEqual(ops);
  const summary = result.reported
    .map((r) => `${r.failures.map((f) => `[${f.kind}] ${f.api}: ${f.detail}`).join('\n')}\n  reproduce: npm run fuzz -- --run '${r.run}'`)
    .join('\n\n');
  expect(result.reported, `new defects (not in KNOWN_OPEN):\n${summary}\n\n${child.stderr.slice(-8000)}`).toEqual([]);
});
