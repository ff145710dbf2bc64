// Statistics of `npm run bench`: medians, min–max spread, per-round ratios.

/** The median (mean of the middle two for an even count); NaN for none. */
export function median(xs) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** A cell whose min–max spread exceeds this share of its median is flagged. */
export const SPREAD_LIMIT = 0.15;

/** { n, median, min, max, spread: (max − min) / median, flagged } of one variant's samples. */
export function summarize(values) {
  const xs = values.filter((x) => Number.isFinite(x));
  if (xs.length === 0) return { n: 0, median: null, min: null, max: null, spread: null, flagged: false };
  const m = median(xs);
  const min = Math.min(...xs);
  const max = Math.max(...xs);
  const spread = m === 0 ? 0 : (max - min) / Math.abs(m);
  return { n: xs.length, median: m, min, max, spread, flagged: spread > SPREAD_LIMIT };
}

/**
 * Ratio `num ÷ den` of one cell computed round by round (only rounds where both ran), and
 * its median: the ratio is never taken between medians of different rounds.
 */
export function roundRatios(cell, num, den) {
  const byRound = (variant) => new Map((cell.samples[variant] ?? []).filter((s) => Number.isFinite(s.value)).map((s) => [s.round, s.value]));
  const a = byRound(num);
  const b = byRound(den);
  const ratios = [];
  for (const [round, x] of a) if (b.has(round) && b.get(round) !== 0) ratios.push(x / b.get(round));
  return { ratios, median: ratios.length ? median(ratios) : null, min: ratios.length ? Math.min(...ratios) : null, max: ratios.length ? Math.max(...ratios) : null };
}

/** "12.3 (11.9–13.0)" with digits chosen by size. */
export function fmtSpread(s, digits) {
  if (!s || s.median === null) return '–';
  const d = digits ?? autoDigits(s.median);
  return `${s.median.toFixed(d)} (${s.min.toFixed(d)}–${s.max.toFixed(d)})`;
}

export function autoDigits(x) {
  const a = Math.abs(x);
  return a >= 1000 ? 0 : a >= 100 ? 0 : a >= 10 ? 1 : 2;
}

/** Seconds as "1m05s" / "42s". */
export function fmtDuration(seconds) {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
