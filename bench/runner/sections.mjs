// What `npm run bench` measures: one section per question, each a list of cells (one
// configuration) measured over rounds for several variants (servers, implementations or
// backends). plan() turns the options into sections and the ordered list of steps, each
// one measurement of one variant (or, for benchmarks that interleave inside one process,
// one round of every variant), so servers run A B C … A B C …, rotated every round.
import path from 'node:path';
import { echoRun, libuvSkipped, openLoopRun, root, servers as echoServers, spawnAsync } from '../echo/harness.mjs';
import { httpMissing, httpRun, routes as httpRoutes } from '../http.mjs';
import { memoryRun } from '../memory.mjs';
import { pipelines as respPipelines, respMissing, respRun } from '../resp.mjs';
import { median } from './stats.mjs';

export const SECTION_NAMES = ['echo', 'latency', 'http', 'resp', 'timers', 'memory', 'selector'];

/** Shown name → key of harness.servers. */
const ECHO_KEYS = {
  callback: 'ioreactor',
  coroutine: 'coroutine',
  'coroutine-readme': 'coroutine-readme',
  protocol: 'protocol',
  streams: 'streams',
  'node:net': 'node:net',
  libuv: 'libuv',
  'c-epoll': 'c-epoll',
};

/** Per mode: what each section measures. */
export const PROFILES = {
  full: {
    echo: { sizes: [64, 1024, 16384], conns: [10, 100, 1000, 10000], duration: 0.7, warmup: 0.3 },
    latency: { size: 64, conns: 100, loads: [0.25, 0.5, 0.75], duration: 1, warmup: 0.3, saturation: 1, servers: ['callback', 'coroutine', 'protocol', 'streams', 'node:net', 'libuv', 'c-epoll'] },
    http: { duration: 2, connections: 100 },
    resp: { requests: 50_000, clients: 50 },
    timers: { count: 1_000_000 },
    memory: { conns: 10_000, settleMs: 300, servers: ['protocol', 'streams', 'coroutine', 'callback', 'node:net', 'libuv', 'c-epoll'] },
    selector: { sizes: [10, 100, 1000, 10000], ms: 200 },
  },
  quick: {
    echo: { sizes: [64, 16384], conns: [100], duration: 0.4, warmup: 0.2, servers: ['callback', 'coroutine', 'protocol', 'streams', 'node:net', 'libuv', 'c-epoll'] },
    latency: { size: 64, conns: 100, loads: [0.25, 0.5, 0.75], duration: 0.5, warmup: 0.2, saturation: 0.5, servers: ['callback', 'node:net', 'libuv'] },
    http: null, // tsx-started servers and wrk: too slow for two minutes
    resp: null,
    timers: { count: 200_000 },
    memory: { conns: 2000, settleMs: 150, servers: ['protocol', 'streams', 'callback', 'node:net'] },
    selector: { sizes: [10, 1000], ms: 40 },
  },
  dry: {
    echo: { sizes: [64], conns: [10], duration: 0.1, warmup: 0.05, servers: ['callback', 'node:net', 'libuv', 'c-epoll'] },
    latency: { size: 64, conns: 10, loads: [0.5], duration: 0.15, warmup: 0.05, saturation: 0.15, servers: ['c-epoll', 'node:net'] },
    http: null,
    resp: null,
    timers: { count: 5000 },
    memory: { conns: 20, settleMs: 10, servers: ['c-epoll', 'node:net'] },
    selector: { sizes: [10], ms: 3 },
  },
};

const cellOf = (id, title, params, variants) => ({ id, title, params, variants, samples: Object.fromEntries(variants.map((v) => [v, []])) });

/** Runs `fn` and records its value, or the error, as the sample of `variant` in `round`. */
async function record(cell, variant, round, fn) {
  try {
    const { value, raw, others } = await fn();
    cell.samples[variant].push({ round, value, ...(others !== undefined ? { others } : {}), raw });
  } catch (error) {
    cell.samples[variant].push({ round, value: null, error: String(error?.message ?? error).slice(0, 500) });
  }
}

/** Variants rotated by `round`, so no variant always runs first or after the same one. */
const rotate = (xs, round) => xs.map((_, i) => xs[(i + round) % xs.length]);

function echoSection(p, rounds, steps, fdLimit) {
  const skipped = [];
  const tooMany = p.conns.filter((n) => n + 256 > fdLimit);
  if (tooMany.length) skipped.push({ reason: `skipped: ${tooMany.join(', ')} connections need ${Math.max(...tooMany) + 256} fds per process; the open-file limit is ${fdLimit}` });
  p = { ...p, conns: p.conns.filter((n) => n + 256 <= fdLimit) };
  let variants = p.servers ?? Object.keys(ECHO_KEYS);
  if (libuvSkipped) {
    skipped.push({ variant: 'libuv', reason: libuvSkipped });
    variants = variants.filter((v) => v !== 'libuv');
  }
  const section = {
    title: 'Echo: server CPU per message',
    question: 'How much server CPU does one echoed message cost, per server, message size and connection count?',
    method:
      `Closed loop: the C client (bench/echo/client.c) keeps one message in flight per connection and checks every byte; ` +
      `${p.warmup} s warm-up then ${p.duration} s measured per run (1 s and 2 s when 64 MB or more are in flight, e.g. 16 KiB × 10,000); server CPU = utime + stime of the server process over the whole client run ÷ messages echoed.`,
    metric: 'server CPU per message',
    unit: 'µs/msg',
    better: 'lower',
    baseline: 'c-epoll',
    skipped,
    cells: [],
  };
  for (const size of p.sizes) {
    for (const conns of p.conns) {
      const cell = cellOf(`echo/${size}/${conns}`, `${size >= 1024 ? `${size / 1024} KiB` : `${size} B`} × ${conns.toLocaleString('en-US')} conns`, { size, conns }, variants);
      section.cells.push(cell);
      // With 160 MB in flight (16 KiB × 10,000) a one-second window can end before a
      // single round trip completes on a busy machine: such cells warm up and measure longer.
      const big = size * conns >= 64 * 2 ** 20;
      const warmup = big ? Math.max(p.warmup, 1) : p.warmup;
      const duration = big ? Math.max(p.duration, 2) : p.duration;
      const estimate = duration + warmup + 0.4 + (conns >= 10000 ? 1.2 : conns >= 1000 ? 0.2 : 0);
      for (let round = 1; round <= rounds; round++) {
        for (const v of rotate(variants, round - 1)) {
          steps.push({
            section: 'echo',
            label: `echo ${cell.title}, ${v}, round ${round}`,
            estimate,
            run: () =>
              record(cell, v, round, async () => {
                const r = await echoRun(ECHO_KEYS[v], size, conns, duration, warmup);
                if (!(r.total_msgs > 0)) throw new Error(`no message echoed in ${warmup + duration} s (${conns} connections of ${size} B)`);
                return { value: r.cpuUsPerMsg, others: r.others, raw: r };
              }),
          });
        }
      }
    }
  }
  return section;
}

function latencySection(p, rounds, steps) {
  const skipped = [];
  let variants = p.servers;
  if (libuvSkipped && variants.includes('libuv')) {
    skipped.push({ variant: 'libuv', reason: libuvSkipped });
    variants = variants.filter((v) => v !== 'libuv');
  }
  const section = {
    title: 'Latency under an open-loop fixed rate',
    question: "What are p50 / p99 / p99.9 latencies when messages arrive on a fixed schedule at 25 %, 50 % and 75 % of node:net's saturation throughput?",
    method:
      `First node:net's saturation throughput is measured with the closed-loop client (${p.size} B, ${p.conns} connections, ${p.saturation} s per round); ` +
      `then the open-loop C client (bench/echo/openloop.c) sends at a fixed rate over ${p.conns} connections whether or not replies came back, and measures each reply from its scheduled send time (no coordinated omission); ` +
      `${p.warmup} s warm-up, ${p.duration} s measured. The cell value is p99; p50 and p99.9 are in the raw samples.`,
    metric: 'p99 latency',
    unit: 'µs',
    better: 'lower',
    baseline: 'node:net',
    skipped,
    cells: [],
  };
  const saturation = cellOf('latency/saturation', `node:net saturation, ${p.size} B × ${p.conns} conns (msgs/s)`, { size: p.size, conns: p.conns, metric: 'msgs/s', better: 'higher' }, ['node:net']);
  saturation.metric = 'throughput';
  saturation.unit = 'msgs/s';
  saturation.better = 'higher';
  section.cells.push(saturation);
  for (let round = 1; round <= rounds; round++) {
    steps.push({
      section: 'latency',
      label: `latency: node:net saturation, round ${round}`,
      estimate: p.saturation + 0.5,
      run: () =>
        record(saturation, 'node:net', round, async () => {
          const r = await echoRun('node:net', p.size, p.conns, p.saturation, p.warmup);
          return { value: r.msgs_per_s, others: r.others, raw: r };
        }),
    });
  }
  const saturationRate = () => {
    const ok = saturation.samples['node:net'].map((s) => s.value).filter((x) => Number.isFinite(x) && x > 0);
    if (ok.length === 0) throw new Error('no saturation throughput measured for node:net');
    return median(ok);
  };
  for (const load of p.loads) {
    const cell = cellOf(`latency/${Math.round(load * 100)}`, `${Math.round(load * 100)} % of node:net saturation`, { load, size: p.size, conns: p.conns }, variants);
    section.cells.push(cell);
    for (let round = 1; round <= rounds; round++) {
      for (const v of rotate(variants, round - 1)) {
        steps.push({
          section: 'latency',
          label: `latency ${Math.round(load * 100)} %, ${v}, round ${round}`,
          estimate: p.duration + p.warmup + 0.5,
          run: () =>
            record(cell, v, round, async () => {
              const rate = load * saturationRate();
              const r = await openLoopRun(ECHO_KEYS[v], p.size, p.conns, rate, p.duration, p.warmup);
              if (!(r.window_answered > 0)) throw new Error(`no reply in the measured window at ${Math.round(rate)} msgs/s`);
              return { value: r.p99_us, others: r.others, raw: r };
            }),
        });
      }
    }
  }
  return section;
}

function httpSection(p, rounds, steps) {
  const variants = ['ioreactor', 'node:http'];
  const missing = httpMissing();
  const section = {
    title: 'HTTP/1.1 (examples/http-server.ts vs node:http)',
    question: 'How much server CPU does one HTTP request cost on the example server over ioreactor, against the same app on node:http?',
    method: `wrk -t1 -c${p.connections} -d${p.duration}s per route, server on CPU 0, wrk on CPU 1; server CPU over the wrk run ÷ requests. Requests/s are in the raw samples.`,
    metric: 'server CPU per request',
    unit: 'µs/req',
    better: 'lower',
    baseline: 'node:http',
    skipped: missing ? [{ reason: missing }] : [],
    cells: httpRoutes.map((route) => cellOf(`http${route}`, `GET ${route}`, { route }, variants)),
  };
  if (missing) return section;
  for (let round = 1; round <= rounds; round++) {
    for (const v of rotate(variants, round - 1)) {
      steps.push({
        section: 'http',
        label: `http ${v}, round ${round}`,
        estimate: httpRoutes.length * p.duration + 2,
        run: async () => {
          let out;
          try {
            out = await httpRun(v, p);
          } catch (error) {
            out = error;
          }
          for (const cell of section.cells) {
            await record(cell, v, round, async () => {
              if (out instanceof Error) throw out;
              const r = out.find((x) => x.route === cell.params.route);
              return { value: r.cpuUsPerReq, raw: r };
            });
          }
        },
      });
    }
  }
  return section;
}

function respSection(p, rounds, steps) {
  const variants = ['redis-server', 'ioreactor', 'node:net'];
  const missing = respMissing();
  const section = {
    title: 'RESP (examples/resp-server.ts vs redis-server and node:net)',
    question: 'How much server CPU does one Redis-protocol request cost on the example server over ioreactor, against the same engine over node:net and redis-server itself?',
    method: `redis-benchmark -t set,get -n ${p.requests} -c ${p.clients}, pipeline 1 and 16, server on CPU 0, client on CPU 1; server CPU over both tests ÷ requests. Requests/s per test are in the raw samples.`,
    metric: 'server CPU per request',
    unit: 'µs/req',
    better: 'lower',
    baseline: 'node:net',
    skipped: missing ? [{ reason: missing }] : [],
    cells: respPipelines.map((pl) => cellOf(`resp/P${pl}`, `pipeline ${pl}`, { pipeline: pl }, variants)),
  };
  if (missing) return section;
  for (let round = 1; round <= rounds; round++) {
    for (const v of rotate(variants, round - 1)) {
      steps.push({
        section: 'resp',
        label: `resp ${v}, round ${round}`,
        estimate: 2 + (v === 'redis-server' ? 2 : 5),
        run: async () => {
          let out;
          try {
            out = await respRun(v, p);
          } catch (error) {
            out = error;
          }
          for (const cell of section.cells) {
            await record(cell, v, round, async () => {
              if (out instanceof Error) throw out;
              const rs = out.filter((x) => x.pipeline === cell.params.pipeline);
              return { value: rs[0].cpuUsPerReq, raw: { rps: Object.fromEntries(rs.map((x) => [x.test, x.rps])) } };
            });
          }
        },
      });
    }
  }
  return section;
}

/**
 * One run of bench/timers.ts (owned by the timer work, not this runner). Reads its
 * `--json` output when it has one; otherwise an adapter parses its Markdown table:
 * rows "| ioreactor callLater/cancel | … | ns per timer |" and "| setTimeout/clearTimeout | … |",
 * the shape taken from the nearest preceding line naming "distinct" or "equal" deadlines.
 * Returns { distinct?: { ioreactor, setTimeout }, equal?: {…} } in ns per timer.
 */
export async function timersRun(count, rounds) {
  const r = await spawnAsync(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'timers.ts'), '--count', String(count), '--rounds', String(rounds), '--json'], 900_000, { cwd: root });
  if (r.status !== 0) throw new Error(`bench/timers.ts failed: ${r.stderr.trim().slice(0, 300)}`);
  const fromJson = parseTimersJson(r.stdout, count);
  if (fromJson) return { ...fromJson, source: 'json' };
  // The text table has one (best) figure per implementation: it becomes round 1.
  const text = parseTimersText(r.stdout);
  for (const shape of Object.keys(text)) for (const impl of Object.keys(text[shape])) text[shape][impl] = [text[shape][impl]];
  return { ...text, source: 'text' };
}

export function parseTimersJson(stdout, count) {
  let json;
  try {
    json = JSON.parse(stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop() ?? '');
  } catch {
    return null;
  }
  // bench/timers.ts --json (version 1): results.<shape>.samples.<impl>[i].total (ms for
  // all `count` timers, one entry per round, the two implementations alternating inside
  // the script). Returns ns per timer per round: { <shape>: { ioreactor: [..], setTimeout: [..] } }.
  const out = {};
  const results = json?.results;
  if (results && typeof results === 'object' && !Array.isArray(results)) {
    for (const [shape, r] of Object.entries(results)) {
      const ns = {};
      for (const impl of ['ioreactor', 'setTimeout']) {
        const totals = (r?.samples?.[impl] ?? []).map((x) => x.total).filter(Number.isFinite);
        if (totals.length) ns[impl] = totals.map((t) => (t * 1e6) / (json.count ?? count));
      }
      if (ns.ioreactor && ns.setTimeout) out[/equal/i.test(shape) ? 'equal' : 'distinct'] = ns;
    }
  }
  return Object.keys(out).length ? out : null;
}

export function parseTimersText(stdout) {
  const out = {};
  let shape = 'distinct';
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('|') && /equal/i.test(line)) shape = 'equal';
    else if (!line.startsWith('|') && /distinct/i.test(line)) shape = 'distinct';
    const cells = line.split('|').map((c) => c.trim()).filter(Boolean);
    if (cells.length < 2) continue;
    const value = Number(cells[cells.length - 1]);
    if (!Number.isFinite(value)) continue;
    const rowShape = /equal/i.test(cells[0]) ? 'equal' : /distinct/i.test(cells[0]) ? 'distinct' : shape;
    const impl = /callLater|ioreactor/i.test(cells[0]) ? 'ioreactor' : /setTimeout/i.test(cells[0]) ? 'setTimeout' : null;
    if (!impl) continue;
    out[rowShape] ??= {};
    out[rowShape][impl] = value;
  }
  if (!out.distinct && !out.equal) throw new Error('could not read bench/timers.ts output');
  return out;
}

function timersSection(p, rounds, steps) {
  const variants = ['ioreactor', 'setTimeout'];
  const section = {
    title: `Timers: ${p.count.toLocaleString('en-US')} schedule + cancel`,
    question: 'How long do N timers take to schedule and then cancel with EventLoop.callLater/cancel, against setTimeout/clearTimeout, with distinct deadlines (Node\'s worst case) and equal deadlines (Node\'s best case)?',
    method: `bench/timers.ts --count ${p.count} --rounds ${rounds} --json (the two implementations alternate inside it, round by round); the value is total ns per timer (schedule + cancel).`,
    metric: 'schedule + cancel per timer',
    unit: 'ns',
    better: 'lower',
    baseline: 'setTimeout',
    skipped: [],
    cells: [cellOf('timers/distinct', 'distinct deadlines', { shape: 'distinct' }, variants), cellOf('timers/equal', 'equal deadlines', { shape: 'equal' }, variants)],
  };
  steps.push({
    section: 'timers',
    label: `timers, ${rounds} rounds`,
    estimate: 1.5 + rounds * (p.count / 1e6) * 6,
    run: async () => {
      let out;
      try {
        out = await timersRun(p.count, rounds);
      } catch (error) {
        out = error;
      }
      if (!(out instanceof Error)) section.source = out.source;
      for (const cell of section.cells) {
        const shape = cell.params.shape;
        for (const v of variants) {
          const values = out instanceof Error || !out[shape] ? [null] : out[shape][v];
          values.forEach((value, i) => {
            const error = out instanceof Error ? out.message : !out[shape] ? `bench/timers.ts does not report ${shape} deadlines` : null;
            cell.samples[v].push(error ? { round: i + 1, value: null, error } : { round: i + 1, value, raw: { nsPerTimer: value, source: out.source } });
          });
        }
      }
    },
  });
  return section;
}

function memorySection(p, rounds, steps, fdLimit) {
  const skipped = [];
  if (p.conns + 256 > fdLimit) {
    return { title: 'Memory', skipped: [{ reason: `skipped: ${p.conns} connections need ${p.conns + 256} fds; the open-file limit is ${fdLimit}` }], cells: [] };
  }
  let variants = p.servers;
  if (libuvSkipped && variants.includes('libuv')) {
    skipped.push({ variant: 'libuv', reason: libuvSkipped });
    variants = variants.filter((v) => v !== 'libuv');
  }
  const section = {
    title: `Memory: bytes per idle connection at ${p.conns.toLocaleString('en-US')} connections`,
    question: 'How many bytes of server memory does one idle connection cost?',
    method: `bench/memory.mjs: ${p.conns} connections each echo one byte then idle; (VmRSS after − before) ÷ N, Node servers after a forced GC. Kernel socket memory is not in RSS.`,
    metric: 'RSS per idle connection',
    unit: 'B/conn',
    better: 'lower',
    baseline: 'node:net',
    skipped,
    cells: [cellOf(`memory/${p.conns}`, `${p.conns.toLocaleString('en-US')} idle connections`, { conns: p.conns }, variants)],
  };
  const cell = section.cells[0];
  for (let round = 1; round <= rounds; round++) {
    for (const v of rotate(variants, round - 1)) {
      steps.push({
        section: 'memory',
        label: `memory ${v}, round ${round}`,
        estimate: 1 + (4 * p.settleMs) / 1000 + p.conns / 4000,
        run: () =>
          record(cell, v, round, async () => {
            const r = await memoryRun(ECHO_KEYS[v], p.conns, p.settleMs);
            return { value: r.perConn, raw: r };
          }),
      });
    }
  }
  return section;
}

function selectorSection(p, rounds, steps) {
  const section = {
    title: 'select() cost by registered and ready fds',
    question: 'What does one select(0) cost with N registered fds of which K are ready, per backend?',
    method: `bench/selector.ts --json --rounds ${rounds} (backends interleaved inside it, rotated every round, ${p.ms} ms per cell); value: µs per select() call.`,
    metric: 'select(0) call',
    unit: 'µs',
    better: 'lower',
    baseline: 'epoll',
    skipped: [],
    cells: [],
  };
  steps.push({
    section: 'selector',
    label: `selector, ${rounds} rounds`,
    estimate: 1.5 + (rounds * p.sizes.length * 2 * 3 * (p.ms + 30)) / 1000,
    run: async () => {
      const r = await spawnAsync(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'selector.ts'), '--json', '--rounds', String(rounds), '--sizes', p.sizes.join(','), '--ms', String(p.ms)], 900_000, { cwd: root });
      let out;
      try {
        if (r.status !== 0) throw new Error(`bench/selector.ts failed: ${r.stderr.trim().slice(0, 300)}`);
        out = JSON.parse(r.stdout.trim().split('\n').pop());
      } catch (error) {
        section.skipped.push({ reason: `failed: ${error.message}` });
        return;
      }
      for (const c of out.cells) {
        const id = `selector/${c.registered}/${c.ready}`;
        let cell = section.cells.find((x) => x.id === id);
        if (!cell) {
          cell = cellOf(id, `N = ${c.registered}, K = ${c.ready}`, { registered: c.registered, ready: c.ready }, out.backends);
          section.cells.push(cell);
        }
        if (c.skipped) cell.samples[c.backend].push({ round: 1, value: null, skipped: c.skipped });
        else c.usPerCall.forEach((value, i) => cell.samples[c.backend].push({ round: i + 1, value, raw: { usPerCall: value } }));
      }
    },
  });
  return section;
}

const BUILDERS = { echo: echoSection, latency: latencySection, http: httpSection, resp: respSection, timers: timersSection, memory: memorySection, selector: selectorSection };

/**
 * Sections and steps for `mode` ('full' | 'quick' | 'dry'), `rounds` per cell and the
 * selected section names. A section with nothing to run in this mode is listed as skipped.
 */
export function plan({ mode, rounds, only, explicit = false, fdLimit = 1024 }) {
  const profile = PROFILES[mode];
  const steps = [];
  const sections = {};
  for (const name of SECTION_NAMES) {
    if (!only.includes(name)) continue;
    // --quick --only http: a section left out of quick mode runs with its full settings.
    const p = profile[name] ?? (mode === 'quick' && explicit ? PROFILES.full[name] : null);
    if (!p) {
      sections[name] = { title: name, skipped: [{ reason: `skipped: not part of --${mode === 'dry' ? 'dry-run' : mode} (run without --${mode === 'dry' ? 'dry-run' : mode}, or --only ${name})` }], cells: [] };
      continue;
    }
    sections[name] = BUILDERS[name](p, rounds, steps, fdLimit);
    sections[name].settings = p;
  }
  return { sections, steps };
}

export { echoServers };
