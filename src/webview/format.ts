// Numbers as people read them. Pure (no DOM), shared by both views and unit-tested.

export { usd } from '../protocol/money';
export { monthLabel } from '../protocol/calendar';
export { tokens } from '../protocol/tokenCount';

/** Short dollars for chart axes: $0, $0.05, $2.5, $40, $1.2k; a tick such as $0.015 or $12.5 keeps its digits. */
export function usdAxis(v: number): string {
  if (v === 0) return '$0';
  const a = Math.abs(v);
  if (a >= 1000) return `$${exact(v / 1000, 1)}k`;
  if (a >= 10) return `$${exact(v, 0)}`;
  if (a >= 1) return `$${exact(v, 1)}`;
  if (a >= 0.01) return `$${exact(v, 2)}`;
  return `$${exact(v, 4)}`;
}

/** With the fewest decimals from `min` that show `v` as it is (ticks step by 1, 2, 2.5 or 5): two ticks never read alike. */
function exact(v: number, min: number): string {
  for (let d = min; d < min + 2; d++) if (Math.abs(Number(v.toFixed(d)) - v) <= 1e-9 * Math.abs(v)) return trim(v, d);
  return trim(v, min + 2);
}

/** A share 0..1 as a percentage: 87%, 0.4%, 0%. */
export { percent } from '../protocol/percent';

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** '2026-11-07' -> 'Nov 7'. Days are local calendar days from the host, so no time zone applies. */
export function dayLabel(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return day;
  return `${MONTHS[Number(m[2]) - 1] ?? m[2]} ${Number(m[3])}`;
}


/** Local clock time of an ISO timestamp, e.g. 14:03:22; '' when unreadable. */
export function clock(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime()) || d.getTime() === 0) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${trim(ms / 1000, 1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function trim(v: number, digits: number): string {
  return String(Number(v.toFixed(digits)));
}
