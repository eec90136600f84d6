// Token counts as every surface says them (sidebar, tooltips, transcript, Spend view): one rule, so the
// same count never reads 13k in one place and 12.8k in the next.

/** Token counts: 950, 12.3k, 123k, 4.5M, 1.2B. */
export function tokens(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  if (a < 1000) return String(Math.round(n));
  const units: [number, string][] = [[1e9, 'B'], [1e6, 'M'], [1e3, 'k']];
  for (const [size, unit] of units) {
    if (a >= size * 0.9995) {
      const x = n / size;
      return `${Math.abs(x) >= 99.95 ? Math.round(x) : String(Number(x.toFixed(1)))}${unit}`;
    }
  }
  return String(Math.round(n));
}
