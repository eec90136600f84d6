// Session colours for the Spend charts, as CSS classes (spend.css maps each hue to a theme variable). Pure, unit-tested.

/**
 * Theme chart hues, in stack order, that stay apart in all four kinds of theme. Not charts.yellow: in High
 * Contrast Light it is a brown that reads as its olive green and its dark red. Not orange (see styles.css).
 * Blue and purple, the closest pair left, are not neighbours.
 */
export const SERIES_HUES = ['blue', 'red', 'purple', 'green'] as const;

/**
 * The classes of a series' swatch and bars: a hue, solid for the first four sessions and hollow (a pale fill
 * inside a line of the hue) for the next four, so no two of the eight that share a hue share a look. "Other"
 * (-1) is neutral.
 */
export function seriesClass(colour: number): string {
  if (colour < 0) return 'series-other';
  const n = colour % (SERIES_HUES.length * 2);
  return `series-${SERIES_HUES[n % SERIES_HUES.length]}${n < SERIES_HUES.length ? '' : ' series-hollow'}`;
}
