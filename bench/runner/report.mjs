// What `npm run bench` makes of its samples: per-cell summaries and per-round ratios, the
// targets check, the Markdown summary, --compare, and the HTML report with SVG charts
// (Vega-Lite specs compiled to Vega and rendered to SVG in Node, no browser).
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { conditionsLine } from './conditions.mjs';
import { autoDigits, fmtDuration, fmtSpread, median, roundRatios, SPREAD_LIMIT, summarize } from './stats.mjs';

/** Adds summary (per variant) and ratios (per variant ÷ the section's baseline) to every cell. */
export function finalize(result) {
  for (const section of Object.values(result.sections)) {
    for (const cell of section.cells ?? []) {
      cell.summary = {};
      cell.ratios = {};
      for (const v of cell.variants) {
        cell.summary[v] = summarize((cell.samples[v] ?? []).map((s) => s.value));
        if (section.baseline && v !== section.baseline && cell.variants.includes(section.baseline)) {
          const r = roundRatios(cell, v, section.baseline);
          cell.ratios[v] = { den: section.baseline, median: r.median, min: r.min, max: r.max, perRound: r.ratios };
        }
      }
    }
  }
}

const ok = (op, value, goal) => (op === '<=' ? value <= goal : value >= goal);

/** Each target of targets.json with its per-cell median ratios and met / missed / partly. */
export function checkTargets(result, targets) {
  return targets.map((t) => {
    const section = result.sections[t.section];
    const base = { id: t.id, label: t.label, op: t.op, goal: t.goal ?? null };
    if (!section || !section.cells?.length) return { ...base, status: 'not run', cells: [] };
    const cells = section.cells
      .filter((c) => (t.cells ? t.cells.includes(c.id) : c.variants.includes(t.num)))
      .map((c) => {
        const r = roundRatios(c, t.num, t.den);
        return { cell: c.id, title: c.title, median: r.median, min: r.min, max: r.max, rounds: r.ratios.length };
      })
      .filter((c) => c.median !== null);
    if (cells.length === 0) return { ...base, status: 'not run', cells };
    const overall = median(cells.map((c) => c.median));
    if (t.op === 'report') return { ...base, status: 'report', median: overall, cells };
    const met = cells.filter((c) => ok(t.op, c.median, t.goal)).length;
    const worst = cells.reduce((w, c) => (t.op === '<=' ? (c.median > w.median ? c : w) : c.median < w.median ? c : w));
    return {
      ...base,
      status: met === cells.length ? 'met' : met === 0 ? 'missed' : 'partly',
      median: overall,
      worst: { cell: worst.title, median: worst.median },
      cellsMet: met,
      cells,
    };
  });
}

const mdEscape = (s) => String(s).replace(/\|/g, '\\|');

function mdTable(header, rows) {
  const lines = [`| ${header.map(mdEscape).join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${r.map(mdEscape).join(' | ')} |`);
  return lines.join('\n');
}

/** "9.81 (9.52–10.3) ⚠ ×1.21" for one variant in one cell. */
function cellText(section, cell, v) {
  const s = cell.summary[v];
  if (!s || s.median === null) {
    const err = (cell.samples[v] ?? []).find((x) => x.error || x.skipped);
    if (err?.skipped) return err.skipped;
    if (err) return `failed: ${err.error.split('\n')[0].slice(0, 60)}`;
    return (cell.samples[v] ?? []).length ? 'no data' : '–';
  }
  const d = cell.unit === 'msgs/s' ? 0 : autoDigits(s.median);
  let text = `${s.median.toFixed(d)} (${s.min.toFixed(d)}–${s.max.toFixed(d)})`;
  if (s.flagged) text += ' ⚠';
  const r = cell.ratios[v];
  if (r && r.median !== null) text += ` [${r.median.toFixed(2)}]`;
  return text;
}

/** The Markdown summary printed on stdout. */
export function summaryMarkdown(result) {
  const out = [];
  out.push(`# ioreactor benchmark (${result.mode}, ${result.rounds} rounds per cell)`);
  out.push('');
  out.push(`${result.finishedAt} — ${conditionsLine(result.conditions)}; took ${fmtDuration(result.elapsedS)} (expected ${fmtDuration(result.expectedS)}).`);
  out.push(`Command: \`${result.command}\``);
  out.push('');
  out.push(
    `Each figure: median (min–max) over the rounds; [x] = the median of the per-round ratios to the section's baseline; ⚠ = spread (max − min) above ${Math.round(SPREAD_LIMIT * 100)} % of the median.`,
  );
  for (const [name, section] of Object.entries(result.sections)) {
    out.push('');
    out.push(`## ${name}: ${section.title ?? name}`);
    for (const s of section.skipped ?? []) out.push(`- ${s.variant ? `${s.variant}: ` : ''}${s.reason}`);
    if (!section.cells?.length) continue;
    out.push(`${section.metric ?? ''}${section.unit ? `, ${section.unit}` : ''}${section.better ? ` (${section.better} is better)` : ''}${section.baseline ? `; ratios to ${section.baseline}` : ''}.`);
    if (section.source === 'text') out.push('(timers read through the runner\'s adapter for bench/timers.ts\'s text table; it has no --json output yet)');
    out.push('');
    const main = section.cells.filter((c) => !c.unit);
    const extra = section.cells.filter((c) => c.unit);
    for (const c of extra) out.push(`${c.title}: ${cellText(section, c, c.variants[0])}`);
    if (extra.length) out.push('');
    if (main.length) {
      const variants = [...new Set(main.flatMap((c) => c.variants))];
      out.push(mdTable(['cell', ...variants], main.map((c) => [c.title, ...variants.map((v) => (c.variants.includes(v) ? cellText(section, c, v) : '–'))])));
    }
  }
  if (result.targets?.length) {
    out.push('');
    out.push('## Targets (bench/targets.json)');
    out.push('');
    const mark = { met: '✅ met', missed: '❌ missed', partly: '◐ partly', report: 'ℹ report', 'not run': '– not run' };
    out.push(
      mdTable(
        ['measure', 'goal', 'measured (median over cells)', 'worst cell', 'status'],
        result.targets.map((t) => [
          t.label,
          t.op === 'report' ? 'report' : `${t.op === '<=' ? '≤' : '≥'} ${t.goal}`,
          t.median !== undefined && t.median !== null ? `${t.median.toFixed(2)}${t.cells.length > 1 ? ` (${Math.min(...t.cells.map((c) => c.median)).toFixed(2)}–${Math.max(...t.cells.map((c) => c.median)).toFixed(2)} over ${t.cells.length} cells)` : ''}` : '–',
          t.worst ? `${t.worst.cell}: ${t.worst.median.toFixed(2)}` : '–',
          `${mark[t.status] ?? t.status}${t.status === 'partly' ? ` (${t.cellsMet}/${t.cells.length} cells)` : ''}`,
        ]),
      ),
    );
  }
  const flagged = Object.values(result.sections).flatMap((s) => (s.cells ?? []).flatMap((c) => c.variants.filter((v) => c.summary?.[v]?.flagged).map((v) => `${c.id} ${v}`)));
  if (flagged.length) {
    out.push('');
    out.push(`⚠ ${flagged.length} figure(s) spread more than ${Math.round(SPREAD_LIMIT * 100)} % across rounds (machine busy or the cell is unstable): re-run on a quiet machine before trusting them.`);
  }
  const others = Object.values(result.sections).flatMap((s) => (s.cells ?? []).flatMap((c) => Object.values(c.samples).flat().map((x) => x.others))).filter((x) => Number.isFinite(x));
  if (others.length) out.push(`Other processes used ${(median(others) * 100).toFixed(0)} % of the machine (median over server runs; max ${(Math.max(...others) * 100).toFixed(0)} %).`);
  return out.join('\n');
}

/**
 * What changed from `old` to `cur`, per cell and variant: medians, change, and a
 * regression / improvement flag when the new min–max range lies entirely on the worse /
 * better side of the old one (a change beyond the measured spread).
 */
export function compareResults(old, cur) {
  const rows = [];
  for (const [name, section] of Object.entries(cur.sections)) {
    const before = old.sections?.[name];
    if (!before?.cells) continue;
    for (const cell of section.cells ?? []) {
      const prev = before.cells.find((c) => c.id === cell.id);
      if (!prev) continue;
      for (const v of cell.variants) {
        const a = prev.summary?.[v] ?? summarize((prev.samples?.[v] ?? []).map((s) => s.value));
        const b = cell.summary?.[v];
        if (!a || !b || a.median === null || b.median === null) continue;
        const higherBetter = (cell.better ?? section.better) === 'higher';
        const change = (b.median - a.median) / a.median;
        const worse = higherBetter ? b.max < a.min : b.min > a.max;
        const better = higherBetter ? b.min > a.max : b.max < a.min;
        rows.push({ section: name, cell: cell.id, title: cell.title, variant: v, old: a.median, new: b.median, change, verdict: worse ? 'regression' : better ? 'improvement' : 'within spread', unit: cell.unit ?? section.unit });
        // The ratio to the section's baseline, same round: steadier than absolute figures
        // when the two runs saw a differently busy machine.
        const ra = prev.ratios?.[v];
        const rb = cell.ratios?.[v];
        if (ra?.median != null && rb?.median != null && ra.den === rb.den) {
          const rWorse = higherBetter ? rb.max < ra.min : rb.min > ra.max;
          const rBetter = higherBetter ? rb.min > ra.max : rb.max < ra.min;
          rows.push({ section: name, cell: cell.id, title: cell.title, variant: `${v} ÷ ${rb.den}`, old: ra.median, new: rb.median, change: (rb.median - ra.median) / ra.median, verdict: rWorse ? 'regression' : rBetter ? 'improvement' : 'within spread', unit: '×' });
        }
      }
    }
  }
  return rows;
}

export function compareMarkdown(rows, oldLabel, newLabel) {
  const regressions = rows.filter((r) => r.verdict === 'regression');
  const out = [
    `## Compared with ${oldLabel}`,
    '',
    `${newLabel}: ${rows.length} figures compared, ${regressions.length} regression(s) beyond the measured spread, ${rows.filter((r) => r.verdict === 'improvement').length} improvement(s).`,
    'A regression / improvement: the new min–max range lies entirely on the worse / better side of the old one. Rows "a ÷ b" compare the per-round ratios to the baseline, which stay comparable when the machine was busier in one run than in the other.',
    '',
  ];
  out.push(
    mdTable(
      ['cell', 'variant', 'old', 'new', 'change', 'verdict'],
      rows.map((r) => [r.title, r.variant, `${r.old.toFixed(autoDigits(r.old))} ${r.unit ?? ''}`, `${r.new.toFixed(autoDigits(r.new))}`, `${r.change >= 0 ? '+' : ''}${(r.change * 100).toFixed(1)} %`, r.verdict === 'regression' ? '❌ regression' : r.verdict === 'improvement' ? '✅ improvement' : 'within spread']),
    ),
  );
  return out.join('\n');
}

// ---------------------------------------------------------------- charts

/** One colour per variant in every chart (Tableau 10 and a few more). */
const COLORS = {
  'c-epoll': '#4e79a7', libuv: '#f28e2b', callback: '#e15759', protocol: '#76b7b2', coroutine: '#59a14f', 'coroutine-readme': '#edc948',
  streams: '#b07aa1', 'node:net': '#ff9da7', 'redis-server': '#4e79a7', ioreactor: '#e15759', 'node:http': '#ff9da7',
  setTimeout: '#ff9da7', epoll: '#4e79a7', poll: '#f28e2b', select: '#59a14f', kqueue: '#b07aa1',
};
const colorScale = (variants) => ({ domain: variants, range: variants.map((v, i) => COLORS[v] ?? ['#9c755f', '#bab0ac', '#17becf'][i % 3]) });
const orderOf = (rows) => SERVER_ORDER.filter((s) => rows.some((r) => r.variant === s)).concat([...new Set(rows.map((r) => r.variant))].filter((v) => !SERVER_ORDER.includes(v)));

const SERVER_ORDER = ['c-epoll', 'libuv', 'callback', 'protocol', 'coroutine', 'coroutine-readme', 'streams', 'node:net', 'redis-server', 'ioreactor', 'node:http', 'setTimeout', 'epoll', 'poll', 'select', 'kqueue'];

function rowsOf(section, pick = (c) => !c.unit) {
  const rows = [];
  for (const cell of section.cells.filter(pick)) {
    for (const v of cell.variants) {
      const s = cell.summary?.[v];
      if (!s || s.median === null) continue;
      rows.push({ cell: cell.title, ...cell.params, variant: v, median: s.median, min: s.min, max: s.max });
    }
  }
  return rows;
}

function footer(result) {
  return `${result.finishedAt.slice(0, 10)} · ${result.mode}, ${result.rounds} rounds · ${result.conditions.cpuModel} ×${result.conditions.cores} · Linux ${result.conditions.kernel} · Node ${result.conditions.node} · ${result.conditions.commit ?? ''}`;
}

/** Bars of medians with min–max rules, grouped by `x`, one panel per `column`. */
function barSpec({ title, subtitle, rows, x, xTitle, column, columnTitle, columnSort = null, yTitle, yLog = false, width = 160 }) {
  const variants = orderOf(rows);
  const enc = {
    x: { field: x, type: 'ordinal', title: xTitle, sort: null },
    xOffset: { field: 'variant', type: 'nominal', sort: variants },
    color: { field: 'variant', type: 'nominal', sort: variants, title: null, scale: colorScale(variants), legend: { orient: 'bottom', columns: 8 } },
  };
  const y = { type: 'quantitative', title: yTitle, ...(yLog ? { scale: { type: 'log' } } : {}) };
  const inner = {
    width,
    height: 220,
    encoding: enc,
    layer: [
      { mark: { type: 'bar' }, encoding: { y: { field: 'median', ...y }, tooltip: [{ field: 'variant' }, { field: 'median', format: '.3~f' }, { field: 'min', format: '.3~f' }, { field: 'max', format: '.3~f' }] } },
      { mark: { type: 'rule', color: '#222' }, encoding: { y: { field: 'min', ...y }, y2: { field: 'max' } } },
    ],
  };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: title, subtitle, anchor: 'start', subtitleFontSize: 10 },
    data: { values: rows },
    config: { font: 'sans-serif', view: { stroke: null } },
  };
  return column ? { ...spec, facet: { column: { field: column, type: 'ordinal', title: columnTitle, sort: columnSort } }, spec: inner, resolve: { scale: { y: 'independent' } } } : { ...spec, ...inner };
}

function lineSpec({ title, subtitle, rows, x, xTitle, y, yTitle, column, columnTitle, xLog = false }) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: title, subtitle, anchor: 'start', subtitleFontSize: 10 },
    data: { values: rows },
    config: { font: 'sans-serif' },
    facet: { column: { field: column, type: 'ordinal', title: columnTitle, sort: null } },
    spec: {
      width: 200,
      height: 220,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: x, type: 'quantitative', title: xTitle, ...(xLog ? { scale: { type: 'log' } } : {}) },
        y: { field: y, type: 'quantitative', title: yTitle, scale: { type: 'log' } },
        color: { field: 'variant', type: 'nominal', title: null, sort: orderOf(rows), scale: colorScale(orderOf(rows)), legend: { orient: 'bottom' } },
      },
    },
    resolve: { scale: { y: 'shared' } },
  };
}

/** Vega-Lite specs of the charts this result has data for: { name: spec }. */
export function chartSpecs(result) {
  const specs = {};
  const s = result.sections;
  const sub = footer(result);
  if (s.echo?.cells?.length) {
    const rows = rowsOf(s.echo).map((r) => ({ ...r, sizeLabel: r.size >= 1024 ? `${r.size / 1024} KiB` : `${r.size} B` }));
    const sizes = [...new Set(rows.map((r) => r.size))].sort((a, b) => a - b);
    const columnSort = sizes.map((n) => (n >= 1024 ? `${n / 1024} KiB` : `${n} B`));
    if (rows.length) specs.echo = barSpec({ title: 'Echo: server CPU µs per message (lower is better; bar = median, line = min–max)', subtitle: sub, rows, x: 'conns', xTitle: 'connections', column: 'sizeLabel', columnTitle: 'message size', columnSort, yTitle: 'server CPU µs/msg', width: 60 + 45 * new Set(rows.map((r) => r.conns)).size });
  }
  if (s.latency?.cells?.length) {
    const rows = [];
    for (const cell of s.latency.cells.filter((c) => !c.unit)) {
      for (const v of cell.variants) {
        const ok = (cell.samples[v] ?? []).filter((x) => x.raw);
        if (!ok.length) continue;
        for (const [key, label] of [['p50_us', 'p50'], ['p99_us', 'p99'], ['p999_us', 'p99.9']]) {
          rows.push({ variant: v, load: Math.round(cell.params.load * 100), percentile: label, us: Math.max(1, median(ok.map((x) => x.raw[key]))) });
        }
      }
    }
    if (rows.length) specs.latency = lineSpec({ title: "Open-loop latency at a fixed share of node:net's saturation throughput (median over rounds)", subtitle: sub, rows, x: 'load', xTitle: '% of node:net saturation', y: 'us', yTitle: 'latency µs (log)', column: 'percentile', columnTitle: 'percentile' });
  }
  if (s.timers?.cells?.length) {
    const rows = rowsOf(s.timers);
    if (rows.length) specs.timers = barSpec({ title: 'Timers: ns per timer, schedule + cancel (lower is better)', subtitle: sub, rows, x: 'shape', xTitle: 'deadlines', yTitle: 'ns per timer', width: 220 });
  }
  if (s.memory?.cells?.length) {
    const rows = rowsOf(s.memory);
    if (rows.length) specs.memory = barSpec({ title: 'Memory: server RSS bytes per idle connection (lower is better)', subtitle: sub, rows, x: 'conns', xTitle: 'idle connections', yTitle: 'bytes per connection', width: 260 });
  }
  if (s.selector?.cells?.length) {
    const rows = rowsOf(s.selector).map((r) => ({ ...r, readyLabel: r.ready === 1 ? 'K = 1 ready' : 'K = N ready', us: r.median }));
    if (rows.length) specs.selector = lineSpec({ title: 'select(0) µs per call by registered fds N', subtitle: sub, rows, x: 'registered', xTitle: 'registered fds N (log)', y: 'us', yTitle: 'µs per call (log)', column: 'readyLabel', columnTitle: null, xLog: true });
  }
  for (const name of ['http', 'resp']) {
    if (!s[name]?.cells?.length) continue;
    const rows = rowsOf(s[name]);
    if (rows.length) specs[name] = barSpec({ title: `${s[name].title}: server CPU µs per request (lower is better)`, subtitle: sub, rows, x: 'cell', xTitle: null, yTitle: 'server CPU µs/req', width: 220 });
  }
  return specs;
}

/** Renders a Vega-Lite spec to an SVG string headlessly (Vega's SVG renderer, no canvas). */
export async function renderSvg(spec) {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

function htmlTable(header, rows) {
  return `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

/** A self-contained HTML report: conditions, targets, one table and chart per section. */
export function reportHtml(result, svgs, compareRows) {
  const c = result.conditions;
  const parts = [];
  parts.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ioreactor benchmark ${esc(result.finishedAt)}</title><style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f4f4f4}
td:first-child,th:first-child{text-align:left}.met{color:#0a0}.missed{color:#c00}.partly{color:#b80}svg{max-width:100%;height:auto}
.note{color:#555}</style></head><body>`);
  parts.push(`<h1>ioreactor benchmark</h1><p>${esc(result.mode)} run, ${result.rounds} rounds per cell, finished ${esc(result.finishedAt)} in ${fmtDuration(result.elapsedS)}. Command: <code>${esc(result.command)}</code></p>`);
  parts.push(
    htmlTable(
      ['condition', 'value'],
      [
        ['CPU', `${c.cpuModel} × ${c.cores}`],
        ['kernel', c.os],
        ['Node', c.node],
        ['commit', `${c.commit ?? '?'}${c.dirty ? ' + uncommitted changes' : ''}`],
        ['governor', c.governor ?? 'not readable'],
        ['pinning', c.pinning],
        ['load average at start', c.loadAvgAtStart.join(' ')],
        ['open-file limit', String(c.fdLimit)],
      ],
    ),
  );
  parts.push(`<p class="note">Figures: median (min–max) over rounds; [x]: median of per-round ratios to the section's baseline; ⚠: spread above ${Math.round(SPREAD_LIMIT * 100)} % of the median.</p>`);
  if (result.targets?.length) {
    parts.push('<h2>Targets</h2>');
    parts.push(
      `<table><thead><tr><th>measure</th><th>goal</th><th>measured (median over cells)</th><th>worst cell</th><th>status</th></tr></thead><tbody>${result.targets
        .map(
          (t) =>
            `<tr><td>${esc(t.label)}</td><td>${t.op === 'report' ? 'report' : `${t.op === '<=' ? '≤' : '≥'} ${t.goal}`}</td><td>${t.median !== undefined && t.median !== null ? t.median.toFixed(2) : '–'}</td><td>${t.worst ? esc(`${t.worst.cell}: ${t.worst.median.toFixed(2)}`) : '–'}</td><td class="${t.status}">${esc(t.status)}${t.status === 'partly' ? ` (${t.cellsMet}/${t.cells.length})` : ''}</td></tr>`,
        )
        .join('')}</tbody></table>`,
    );
  }
  for (const [name, section] of Object.entries(result.sections)) {
    parts.push(`<h2>${esc(name)}: ${esc(section.title ?? name)}</h2>`);
    if (section.question) parts.push(`<p><b>Question.</b> ${esc(section.question)}</p>`);
    if (section.method) parts.push(`<p class="note"><b>Method.</b> ${esc(section.method)}</p>`);
    for (const s of section.skipped ?? []) parts.push(`<p class="note">${esc(s.variant ? `${s.variant}: ` : '')}${esc(s.reason)}</p>`);
    if (svgs[name]) parts.push(svgs[name]);
    const cells = section.cells ?? [];
    if (!cells.length) continue;
    for (const cell of cells.filter((x) => x.unit)) parts.push(`<p>${esc(cell.title)}: ${esc(cellText(section, cell, cell.variants[0]))}</p>`);
    const main = cells.filter((x) => !x.unit);
    if (main.length) {
      const variants = [...new Set(main.flatMap((x) => x.variants))];
      parts.push(`<p class="note">${esc(section.metric)}, ${esc(section.unit)} (${esc(section.better)} is better)${section.baseline ? `; [ratio] to ${esc(section.baseline)}` : ''}</p>`);
      parts.push(htmlTable(['cell', ...variants], main.map((x) => [x.title, ...variants.map((v) => (x.variants.includes(v) ? cellText(section, x, v) : '–'))])));
    }
  }
  if (compareRows) {
    parts.push('<h2>Compared with the previous result</h2>');
    parts.push(htmlTable(['cell', 'variant', 'old', 'new', 'change', 'verdict'], compareRows.map((r) => [r.title, r.variant, r.old.toFixed(autoDigits(r.old)), r.new.toFixed(autoDigits(r.new)), `${(r.change * 100).toFixed(1)} %`, r.verdict])));
  }
  parts.push('<p class="note">Raw samples: the JSON result file next to this report (schema: bench/result.schema.json).</p></body></html>');
  return parts.join('\n');
}

export { fmtSpread };
