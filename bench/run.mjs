// `npm run bench`: the whole benchmark suite in one command — echo (server CPU per
// message against node:net, libuv's C API and a C epoll server), open-loop latency,
// HTTP, RESP, timers, memory per idle connection and select() cost — interleaved over
// rounds, with a progress display, a Markdown summary on stdout, the targets of
// bench/targets.json checked, and a JSON result file (every raw sample) plus a
// self-contained HTML report with SVG charts under bench/results/.
//
// usage: npm run bench [-- options]
//   --quick            a subset in about two minutes (3 rounds)
//   --dry-run          the smallest cells with tiny durations: checks the harness in seconds
//   --only a,b         sections: echo, latency, http, resp, timers, memory, selector
//   --rounds N         rounds per cell (default 5; 3 with --quick / --dry-run)
//   --compare OLD.json compare this run with an earlier result file (regressions beyond
//                      the measured spread are flagged); with two files, compare them
//                      without running anything: --compare OLD.json NEW.json
//   --reference        write the result to bench/results/reference/ (committed; the
//                      README embeds its echo chart) instead of a per-run file
//   --out DIR          write the result files to DIR
import cliProgress from 'cli-progress';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, clockTicks, hasTaskset, libuvSkipped, root } from './echo/harness.mjs';
import { conditions, conditionsLine } from './runner/conditions.mjs';
import { chartSpecs, checkTargets, compareMarkdown, compareResults, finalize, renderSvg, reportHtml, summaryMarkdown } from './runner/report.mjs';
import { plan, SECTION_NAMES } from './runner/sections.mjs';
import { fmtDuration } from './runner/stats.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const USAGE = readFileSync(fileURLToPath(import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('//'))
  .map((l) => l.slice(3))
  .join('\n');

class UsageError extends Error {}

export function parseArgs(argv) {
  const opts = { mode: 'full', rounds: null, only: [...SECTION_NAMES], explicit: false, compare: [], reference: false, out: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') opts.mode = opts.mode === 'dry' ? 'dry' : 'quick';
    else if (a === '--dry-run') opts.mode = 'dry';
    else if (a === '--reference') opts.reference = true;
    else if (a === '--only') {
      const names = value().split(',').map((s) => s.trim()).filter(Boolean);
      const bad = names.filter((n) => !SECTION_NAMES.includes(n));
      if (bad.length || !names.length) throw new UsageError(`--only: unknown section ${bad.join(', ') || '(none)'}; sections are ${SECTION_NAMES.join(', ')}`);
      opts.only = names;
      opts.explicit = true;
    } else if (a === '--rounds') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1 || n > 100) throw new UsageError('--rounds must be an integer from 1 to 100');
      opts.rounds = n;
    } else if (a === '--compare') {
      opts.compare.push(value());
      if (argv[i + 1] && !argv[i + 1].startsWith('--')) opts.compare.push(argv[++i]);
    } else if (a === '--out') opts.out = value();
    else if (a === '--help' || a === '-h') opts.help = true;
    else throw new UsageError(`unknown option ${a}`);
  }
  opts.rounds ??= opts.mode === 'full' ? 5 : 3;
  return opts;
}

function readResult(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--compare: cannot read ${file}: ${error.message}`);
  }
}

/** Progress on stderr: a cli-progress bar on a terminal, plain lines otherwise. */
function progress(steps, expectedS) {
  const tty = process.stderr.isTTY && process.stdout.isTTY;
  const t0 = performance.now();
  let done = 0;
  let doneEstimate = 0;
  let label = '';
  let current = null;
  let stepStart = t0;
  const elapsed = () => (performance.now() - t0) / 1000;
  const eta = () => {
    const left = expectedS - doneEstimate;
    // The plan's estimate scaled by how fast the run has gone so far, less the time
    // already spent in the current step (up to its own scaled estimate).
    const pace = doneEstimate > 5 ? (stepStart - t0) / 1000 / doneEstimate : 1;
    const inStep = current ? Math.min((performance.now() - stepStart) / 1000, current.estimate * pace) : 0;
    return Math.max(0, left * pace - inStep);
  };
  const payload = () => ({ elapsedText: fmtDuration(elapsed()), etaText: fmtDuration(eta()), step: label });
  let bar = null;
  let timer = null;
  let lastLine = 0;
  if (tty) {
    bar = new cliProgress.SingleBar(
      { format: '{bar} cell {value}/{total} | elapsed {elapsedText} | ETA {etaText} | {step}', barsize: 24, hideCursor: true, clearOnComplete: true, stream: process.stderr },
      cliProgress.Presets.shades_classic,
    );
    bar.start(steps.length, 0, payload());
    timer = setInterval(() => bar.update(done, payload()), 500);
  }
  return {
    begin(step) {
      label = step.label;
      current = step;
      stepStart = performance.now();
      if (bar) bar.update(done, payload());
      else if (performance.now() - lastLine > 2000 || done === 0) {
        lastLine = performance.now();
        process.stderr.write(`[cell ${done + 1}/${steps.length}] ${label} — elapsed ${fmtDuration(elapsed())}, ETA ${fmtDuration(eta())}\n`);
      }
    },
    end(step) {
      done += 1;
      doneEstimate += step.estimate;
      if (bar) bar.update(done, payload());
    },
    stop() {
      if (timer) clearInterval(timer);
      if (bar) bar.stop();
      return elapsed();
    },
  };
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`bench: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  const targets = JSON.parse(readFileSync(path.join(here, 'targets.json'), 'utf8')).targets;

  // Two files: compare only.
  if (opts.compare.length === 2) {
    const [a, b] = opts.compare.map(readResult);
    console.log(compareMarkdown(compareResults(a, b), opts.compare[0], opts.compare[1]));
    return;
  }
  const old = opts.compare.length === 1 ? readResult(opts.compare[0]) : null;

  build();
  // 10,000 connections need 10,000 fds in the client and in the server (each its own
  // process, under the same limit); children inherit this process's soft limit.
  const sys = createRequire(import.meta.url)('../dist/sys.js');
  const { hard } = sys.getrlimitNofile();
  sys.setrlimitNofile(Math.min(hard, 20000));
  const fdLimit = sys.getrlimitNofile().soft;

  const { sections, steps } = plan({ mode: opts.mode, rounds: opts.rounds, only: opts.only, explicit: opts.explicit, fdLimit });
  const expectedS = steps.reduce((a, s) => a + s.estimate, 0);
  const cond = conditions(root, { hasTaskset, clockTicks, fdLimit });
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  console.error(`ioreactor bench: ${opts.mode} mode, ${opts.rounds} rounds per cell, sections ${Object.keys(sections).join(', ')}`);
  console.error(`conditions: ${conditionsLine(cond)}`);
  if (libuvSkipped) console.error(`libuv C server: ${libuvSkipped}`);
  console.error(`${steps.length} measurements, expected duration about ${fmtDuration(expectedS)}`);

  const startedAt = new Date().toISOString();
  const bar = progress(steps, expectedS);
  for (const step of steps) {
    bar.begin(step);
    await step.run();
    bar.end(step);
  }
  const elapsedS = bar.stop();

  const result = {
    schema: 'ioreactor-bench-result/1',
    mode: opts.mode,
    rounds: opts.rounds,
    only: opts.only,
    command,
    startedAt,
    finishedAt: new Date().toISOString(),
    elapsedS: Math.round(elapsedS * 10) / 10,
    expectedS: Math.round(expectedS),
    conditions: cond,
    sections,
  };
  finalize(result);
  result.targets = checkTargets(result, targets);
  const compareRows = old ? compareResults(old, result) : null;

  // Files: bench/results/<stamp>-<mode>.{json,html}, or the committed reference.
  const stamp = result.finishedAt.replace(/[:.]/g, '-').replace(/-\d+Z$/, 'Z');
  const dir = opts.out ? path.resolve(opts.out) : opts.reference ? path.join(here, 'results', 'reference') : path.join(here, 'results');
  mkdirSync(dir, { recursive: true });
  // A new reference replaces the old one whole: no chart left from a section not run now.
  if (opts.reference) for (const f of readdirSync(dir)) if (f.endsWith('.svg')) rmSync(path.join(dir, f));
  const base = opts.reference ? 'result' : `${stamp}-${opts.mode}`;
  const jsonPath = path.join(dir, `${base}.json`);
  writeFileSync(jsonPath, `${JSON.stringify(result, null, 1)}\n`);
  const svgs = {};
  for (const [name, spec] of Object.entries(chartSpecs(result))) {
    try {
      svgs[name] = await renderSvg(spec);
      if (opts.reference) writeFileSync(path.join(dir, `${name}.svg`), svgs[name]);
    } catch (error) {
      console.error(`chart ${name} failed: ${error.message}`);
    }
  }
  const htmlPath = path.join(dir, opts.reference ? 'report.html' : `${base}.html`);
  writeFileSync(htmlPath, reportHtml(result, svgs, compareRows));

  console.log(summaryMarkdown(result));
  if (compareRows) {
    console.log();
    console.log(compareMarkdown(compareRows, opts.compare[0], 'this run'));
  }
  console.log();
  console.log(`result: ${path.relative(process.cwd(), jsonPath)}\nreport: ${path.relative(process.cwd(), htmlPath)}`);
}

await main();
