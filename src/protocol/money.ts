// Dollars as every surface says them (sidebar, meter, Spend view, transcript, budget messages): one rule, so
// the same cost never reads $0.013 in one place and $0.0128 in the next. CLI tables keep four fixed decimals
// for their columns.

/**
 * Below a dollar up to four decimals, at least two ($0.0123, $0.013, $0.61); cents above ($12.34), grouped
 * thousands. Null is "unpriced": an unknown price is never shown as $0.
 */
export function usd(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'unpriced';
  const sign = v < 0 ? '-' : '';
  const a = Math.abs(v);
  if (a < 0.00005) return v > 0 ? '<$0.0001' : '$0.00';
  if (a < 0.99995) return `${sign}$${a.toFixed(4).replace(/(\.\d\d\d*?)0+$/, '$1')}`;
  return `${sign}$${a.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** As usd, but a sum below a hundredth of a cent (a cap set so for a trial) keeps its digits: "<$0.0001" would not say which. */
export function usdExact(v: number): string {
  return v > 0 && v < 0.0001 ? `$${v.toFixed(8).replace(/0+$/, '')}` : usd(v);
}
