// Text for the page: counts, durations, axis ticks, table numbers, error messages, HTML.

export const fmtInt = (n: number): string => n.toLocaleString('en');

export const fmtMs = (ms: number): string =>
  ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** A round tick spacing (1, 2 or 5 × 10ⁿ) that cuts `range` into about `count` steps. */
export function niceStep(range: number, count: number): number {
  const raw = range / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

/** Removes the sign of a label that reads as zero ("-0.00" → "0.00"). */
function unsignedZero(text: string): string {
  return /^-[0.,]*(e[+-]?\d+)?$/.test(text) ? text.slice(1) : text;
}

/** A tick label with just enough decimals to tell neighbouring ticks apart. */
export function formatTick(v: number, step: number, extraDecimals = 0): string {
  const a = Math.max(Math.abs(v), Math.abs(step));
  if (a >= 1e9 || (a < 1e-4 && v !== 0)) {
    const digits = Math.max(1, Math.min(15, Math.ceil(Math.log10(a / step)) + 1 + extraDecimals));
    return unsignedZero(v.toExponential(digits));
  }
  const decimals = Math.max(0, Math.min(15, -Math.floor(Math.log10(step) + 1e-9) + extraDecimals));
  return unsignedZero(
    Math.abs(v) >= 1e4
      ? v.toLocaleString('en', { minimumFractionDigits: decimals, maximumFractionDigits: decimals })
      : v.toFixed(decimals),
  );
}

/**
 * Round tick values (1, 2 or 5 × 10ⁿ apart) covering [lo, hi], about `count` of them, and
 * their labels, which always differ from one another, however narrow the range (a fit that
 * converges in two iterations spans a few units in the seventh digit).
 */
export function niceTicks(
  lo: number,
  hi: number,
  count: number,
  integer = false,
): { values: number[]; labels: string[] } {
  let step = niceStep(hi - lo, count);
  if (integer) step = Math.max(1, Math.round(step));
  const values: number[] = [];
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) values.push(i * step);
  for (let extra = 0; extra < 6; extra++) {
    const labels = values.map((v) => formatTick(v, step, extra));
    if (new Set(labels).size === labels.length) return { values, labels };
  }
  return { values, labels: values.map((v) => formatTick(v, step, 6)) };
}

/**
 * A number for the parameter table, by magnitude: four significant digits, thousands
 * separated from 10,000 on, scientific notation below 0.001 and from 10⁹; never "-0".
 */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e9 || a < 1e-3) return unsignedZero(v.toExponential(3));
  if (a >= 1e4) return Math.round(v).toLocaleString('en');
  const text = v.toPrecision(4);
  return text.includes('e') ? Math.round(v).toLocaleString('en') : unsignedZero(text);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
