// What every benchmark returns: figures next to their targets, and notes on method and findings.
export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** Human-readable target, e.g. "<= 5 ms" (omitted when the figure is informative only). */
  target?: string;
  /** Whether the target is met (undefined when there is no target). */
  ok?: boolean;
}

export interface BenchResult {
  /** Section title in BENCHMARKS.md. */
  title: string;
  /** How it was measured, in a few sentences. */
  method: string;
  figures: Figure[];
  /** A table or finding to print as is (Markdown). */
  extra?: string;
}

export type Bench = () => Promise<BenchResult>;

export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(xs: readonly number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const atMost = (value: number, limit: number, unit: string) => ({ target: `<= ${limit} ${unit}`.trim(), ok: value <= limit });
export const atLeast = (value: number, limit: number, unit: string) => ({ target: `>= ${limit} ${unit}`.trim(), ok: value >= limit });
