import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SERIES_HUES, seriesClass } from '../../src/webview/spend/palette';

const hue = (cls: string) => /series-(\w+)/.exec(cls)?.[1];

test('seriesClass: eight sessions, eight looks (four theme hues, solid then hollow); "other" is neutral', () => {
  const classes = Array.from({ length: 8 }, (_, i) => seriesClass(i));
  assert.deepEqual(classes.slice(0, 4), ['series-blue', 'series-red', 'series-purple', 'series-green']);
  assert.deepEqual(classes.slice(4), classes.slice(0, 4).map(c => `${c} series-hollow`));
  assert.equal(new Set(classes).size, 8);
  assert.equal(seriesClass(8), seriesClass(0), 'the ninth repeats the first (the host sends eight and "other")');
  assert.equal(seriesClass(-1), 'series-other');
});

test('seriesClass: stacked neighbours never share a hue, and no hue High Contrast Light draws as a brown', () => {
  for (let i = 0; i < 8; i++) assert.notEqual(hue(seriesClass(i)), hue(seriesClass(i + 1)), `series ${i} and ${i + 1}`);
  // charts.yellow is #895503 there, beside an olive green (#374e06) and a dark red; orange is a mix or missing.
  for (const h of ['yellow', 'orange']) assert.ok(!(SERIES_HUES as readonly string[]).includes(h), h);
  // Blue and purple, the nearest pair of those left in dark themes, are kept apart.
  assert.ok(Math.abs(SERIES_HUES.indexOf('blue') - SERIES_HUES.indexOf('purple')) > 1);
});
