// Axis arithmetic for the Spend charts. Pure, unit-tested.

export interface Scale {
  /** Top of the axis: the largest tick, at least the data's maximum. */
  max: number;
  ticks: number[];
}

/** Round ticks (1, 2, 2.5, 5 × 10ⁿ) from 0 to at least `max`, about `count` intervals. */
export function niceScale(max: number, count = 4): Scale {
  if (!Number.isFinite(max) || max <= 0) return { max: 1, ticks: [0, 0.5, 1] };
  const raw = max / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map(m => m * mag).find(s => s >= raw * (1 - 1e-9)) ?? 10 * mag;
  const n = Math.ceil(max / step - 1e-9);
  const ticks: number[] = [];
  // Multiplying instead of accumulating keeps ticks like 0.3 exact enough to print.
  for (let i = 0; i <= n; i++) ticks.push(Number((i * step).toPrecision(12)));
  return { max: ticks[ticks.length - 1] ?? max, ticks };
}

/**
 * Which day indexes get an x-axis label so labels never crowd: day 1, then every k-th day. Steps of 5 or
 * more land on round days (5, 10, 15 …); smaller steps count from day 1 (1, 3, 5 …).
 */
export function dayLabelIndexes(dayCount: number, plotWidth: number, minGap = 26): number[] {
  if (dayCount <= 0) return [];
  const per = plotWidth / dayCount;
  const every = [1, 2, 5, 10, 15].find(k => k * per >= minGap) ?? dayCount;
  const out: number[] = [0];
  const first = every < 5 ? 1 + every : every;
  for (let day = first; day <= dayCount; day += every) {
    const idx = day - 1;
    if ((idx - (out[out.length - 1] ?? 0)) * per >= minGap) out.push(idx);
  }
  return out;
}
