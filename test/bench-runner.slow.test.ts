// `npm run bench` (bench/run.mjs) in its dry mode: the smallest cells with tiny durations,
// three rounds, every section that runs without extra tools. Checks the harness, not the
// figures: the result file validates against bench/result.schema.json, every variant has
// one sample per round, ratios are computed round by round, the targets are checked, the
// report has SVG charts, and --compare and bad options behave. In the slow suite
// (`npm run test:slow`, which CI runs): it starts some fifteen servers. The real run is never
// part of any test suite.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolEnv } from './helpers.js';

const root = path.resolve(__dirname, '..');
const runner = path.join(root, 'bench', 'run.mjs');
const schema = JSON.parse(readFileSync(path.join(root, 'bench', 'result.schema.json'), 'utf8'));

// The runner is a harness, not the code under test: under `npm run test:asan` it runs with
// the regular addon (the sanitized one needs the sanitizer runtime preloaded, which the C
// programs and tools the runner starts must not get).
const runnerEnv = toolEnv();
delete runnerEnv.IOREACTOR_NATIVE_PATH;

function run(args: string[], timeoutMs = 90_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [runner, ...args], { cwd: root, env: runnerEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

function validator() {
  // Formats (date-time) are checked below by parsing, not by ajv-formats.
  const ajv = new Ajv({ allErrors: true, strict: true, validateFormats: false });
  return ajv.compile(schema);
}

interface Sample {
  round: number;
  value: number | null;
  error?: string;
}
interface Cell {
  id: string;
  variants: string[];
  samples: Record<string, Sample[]>;
  summary: Record<string, { median: number | null; flagged: boolean }>;
  ratios: Record<string, { median: number | null; perRound: number[] }>;
}
interface Result {
  mode: string;
  rounds: number;
  startedAt: string;
  finishedAt: string;
  sections: Record<string, { skipped: { variant?: string; reason: string }[]; cells: Cell[]; baseline?: string }>;
  targets: { id: string; status: string }[];
}

describe('npm run bench -- --dry-run', () => {
  let dir: string;
  let out: { status: number | null; stdout: string; stderr: string };
  let result: Result;
  let jsonFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ior-bench-'));
    out = await run(['--dry-run', '--out', dir]);
    const json = readdirSync(dir).find((f) => f.endsWith('.json'));
    if (out.status !== 0 || !json) throw new Error(`runner failed (${out.status}):\n${out.stderr}\n${out.stdout}`);
    jsonFile = path.join(dir, json);
    result = JSON.parse(readFileSync(jsonFile, 'utf8')) as Result;
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes a result file that validates against bench/result.schema.json', () => {
    const validate = validator();
    const valid = validate(result);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect(Number.isNaN(Date.parse(result.startedAt))).toBe(false);
    expect(Date.parse(result.finishedAt)).toBeGreaterThanOrEqual(Date.parse(result.startedAt));
    expect(result.mode).toBe('dry');
    expect(result.rounds).toBe(3);
  });

  it('the schema rejects a result without conditions or with a malformed sample', () => {
    const validate = validator();
    const { conditions: _dropped, ...noConditions } = result as unknown as Record<string, unknown>;
    expect(validate(noConditions)).toBe(false);
    const broken = JSON.parse(JSON.stringify(result)) as Result;
    const cell = broken.sections.echo!.cells[0]!;
    (cell.samples[cell.variants[0]!]![0] as unknown as Record<string, unknown>).round = 0;
    expect(validate(broken)).toBe(false);
  });

  it('measures every variant of every cell once per round, interleaved, with per-round ratios', () => {
    for (const name of ['echo', 'latency', 'timers', 'memory', 'selector']) {
      const section = result.sections[name]!;
      expect(section.cells.length, name).toBeGreaterThan(0);
      for (const cell of section.cells) {
        for (const v of cell.variants) {
          const samples = cell.samples[v]!;
          expect(samples.map((s) => s.round), `${cell.id} ${v}`).toEqual([1, 2, 3]);
          for (const s of samples) {
            expect(s.error, `${cell.id} ${v}`).toBeUndefined();
            expect(Number.isFinite(s.value), `${cell.id} ${v}`).toBe(true);
          }
          expect(cell.summary[v]!.median).not.toBeNull();
          if (section.baseline && v !== section.baseline && cell.variants.includes(section.baseline)) {
            expect(cell.ratios[v]!.perRound, `${cell.id} ${v}`).toHaveLength(3);
          }
        }
      }
    }
    // Sections that need servers started through tsx and wrk/redis are left out of a dry run, with the reason.
    expect(result.sections.http!.skipped[0]!.reason).toMatch(/dry-run/);
    expect(result.sections.echo!.cells[0]!.variants).toEqual(expect.arrayContaining(['callback', 'node:net', 'c-epoll']));
  });

  it('names the libuv C server, or says why it was skipped', () => {
    const echo = result.sections.echo!;
    const skipped = echo.skipped.find((s) => s.variant === 'libuv');
    if (skipped) expect(skipped.reason).toMatch(/libuv/);
    else expect(echo.cells[0]!.variants).toContain('libuv');
  });

  it('checks the targets and prints a Markdown summary and the file names', () => {
    const ids = result.targets.map((t) => t.id);
    expect(ids).toEqual(expect.arrayContaining(['callback-vs-c', 'net-vs-callback', 'timers-distinct', 'timers-equal']));
    const byId = Object.fromEntries(result.targets.map((t) => [t.id, t.status]));
    expect(['met', 'missed', 'partly']).toContain(byId['callback-vs-c']);
    expect(byId['coroutine-vs-c']).toBe('not run');
    expect(out.stdout).toMatch(/^## Targets/m);
    expect(out.stdout).toMatch(/^\| cell \| callback \|/m);
    expect(out.stdout).toContain(`result: `);
    expect(out.stderr).toMatch(/expected duration about/);
  });

  it('writes a self-contained HTML report with SVG charts', () => {
    const html = readFileSync(path.join(dir, readdirSync(dir).find((f) => f.endsWith('.html'))!), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(4);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('--compare of a result with itself finds no regression', async () => {
    const r = await run(['--compare', jsonFile, jsonFile]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/0 regression\(s\)/);
    expect(r.stdout).not.toMatch(/❌ regression/);
  });
});

describe('npm run bench: bad options', () => {
  it('rejects an unknown option and an unknown section with exit code 2 and the usage', async () => {
    const cases = [['--bogus'], ['--only', 'echo,nope'], ['--rounds', '0'], ['--compare']];
    const results = await Promise.all(cases.map((args) => run(args, 20_000)));
    results.forEach((r, i) => {
      expect(r.status, cases[i]!.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/usage: npm run bench/);
    });
  });
});
