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

/** Label steps, densest first: every day, every other day, then multiples of 5 or weekly from the 1st. */
const DAY_STEPS = [1, 2, 5, 7, 10, 15];

/**
 * Which day indexes get an x-axis label: the densest regular grid whose closest two labels are `minGap`
 * pixels apart or more (20 keeps two-digit labels at 10 px clear of each other). Skipping only the labels
 * that crowd would read 1, 10, 15 …; a grid reads at a glance.
 */
export function dayLabelIndexes(dayCount: number, plotWidth: number, minGap = 20): number[] {
  if (dayCount <= 0) return [];
  const per = plotWidth / dayCount;
  for (const every of DAY_STEPS) {
    const days = dayGrid(every, dayCount);
    const closest = Math.min(...days.slice(1).map((d, i) => d - (days[i] ?? 0)));
    if (closest * per >= minGap) return days.map(d => d - 1);
  }
  return [0];
}

/** Day 1, then every `every`-th day: on its multiples for steps of 5, 10, 15 (1, 5, 10 …), else counted from day 1 (1, 3, 5 … / 1, 8, 15 …). */
function dayGrid(every: number, dayCount: number): number[] {
  const days = [1];
  for (let day = every % 5 === 0 ? every : 1 + every; day <= dayCount; day += every) days.push(day);
  return days;
}
