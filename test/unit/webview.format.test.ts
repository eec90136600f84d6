import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clock, dayLabel, duration, monthLabel, percent, tokens, usd, usdAxis } from '../../src/webview/format';
import { dayLabelIndexes, niceScale } from '../../src/webview/spend/scale';

test('usd: four decimals below a dollar, cents above, never $0 for unpriced', () => {
  assert.equal(usd(0.0123), '$0.0123');
  assert.equal(usd(0.61), '$0.61');
  assert.equal(usd(0.1), '$0.10');
  assert.equal(usd(0.04213), '$0.0421');
  assert.equal(usd(12.345), '$12.35');
  assert.equal(usd(1234.5), '$1,234.50');
  assert.equal(usd(0.99999), '$1.00');
  assert.equal(usd(0), '$0.00');
  assert.equal(usd(0.00001), '<$0.0001');
  assert.equal(usd(-2.5), '-$2.50');
  assert.equal(usd(null), 'unpriced');
  assert.equal(usd(Number.NaN), 'unpriced');
});

test('usdAxis: short labels for chart ticks', () => {
  assert.deepEqual([0, 0.05, 0.5, 2.5, 10, 40, 1500].map(usdAxis), ['$0', '$0.05', '$0.5', '$2.5', '$10', '$40', '$1.5k']);
  // Steps of 2.5: each tick reads as itself, never as its neighbour.
  assert.deepEqual([0.005, 0.01, 0.015, 0.025, 0.075, 1.25, 12.5, 2250].map(usdAxis), ['$0.005', '$0.01', '$0.015', '$0.025', '$0.075', '$1.25', '$12.5', '$2.25k']);
});

test('tokens: compact counts', () => {
  assert.deepEqual([0, 950, 999, 1000, 12_345, 123_456, 999_999, 4_500_000, 1_200_000_000].map(tokens), ['0', '950', '999', '1k', '12.3k', '123k', '1M', '4.5M', '1.2B']);
});

test('percent: shares as people read them', () => {
  assert.deepEqual([0, 0.004, 0.0004, 0.87, 0.996, 1, -1].map(percent), ['0%', '0.4%', '<0.1%', '87%', '>99%', '100%', '0%']);
});

test('dates and durations', () => {
  assert.equal(dayLabel('2026-11-07'), 'Nov 7');
  assert.equal(dayLabel('not a day'), 'not a day');
  assert.equal(monthLabel('2026-02'), 'February 2026');
  assert.equal(clock('garbage'), '');
  assert.equal(clock(new Date(0).toISOString()), '', 'the epoch marks an unknown time');
  assert.match(clock('2026-11-21T09:12:00Z'), /^\d\d:\d\d:\d\d$/);
  assert.equal(duration(850), '850 ms');
  assert.equal(duration(2140), '2.1 s');
  assert.equal(duration(125_000), '2 min 5 s');
});

test('niceScale: round ticks from 0 that cover the maximum', () => {
  assert.deepEqual(niceScale(27.3, 4), { max: 30, ticks: [0, 10, 20, 30] });
  assert.deepEqual(niceScale(0.37, 4).ticks, [0, 0.1, 0.2, 0.3, 0.4]);
  assert.deepEqual(niceScale(9, 4).ticks, [0, 2.5, 5, 7.5, 10]);
  assert.deepEqual(niceScale(0), { max: 1, ticks: [0, 0.5, 1] });
  for (const max of [0.0003, 1, 7.7, 123, 99_999]) {
    const s = niceScale(max);
    assert.ok(s.max >= max && s.ticks[0] === 0 && s.ticks.length <= 6, `scale for ${max}: ${JSON.stringify(s)}`);
  }
});

test('dayLabelIndexes: a regular grid from day 1, the densest that fits', () => {
  const days = (count: number, width: number) => dayLabelIndexes(count, width).map(i => i + 1);
  assert.deepEqual(days(31, 2000).length, 31);
  assert.deepEqual(days(30, 700).slice(0, 4), [1, 2, 3, 4]);
  assert.deepEqual(days(30, 500), [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29]);
  // 5.3 px a day (a 260 px sidebar): the old labels skipped day 5 to read 1, 10, 15 …
  assert.deepEqual(days(30, 160), [1, 5, 10, 15, 20, 25, 30]);
  assert.deepEqual(days(31, 120), [1, 8, 15, 22, 29]);
  assert.deepEqual(days(30, 84), [1, 10, 20, 30]);
  assert.deepEqual(days(31, 50), [1, 15, 30]);
  assert.deepEqual(days(31, 20), [1]);
  assert.deepEqual(dayLabelIndexes(0, 300), []);
});

test('dayLabelIndexes: at any width, one step throughout (after the 1st on multiples of 5) and never crowded', () => {
  const grid = (count: number, every: number) => {
    const first = every % 5 === 0 ? every : 1 + every;
    return [1, ...Array.from({ length: Math.max(0, Math.floor((count - first) / every) + 1) }, (_, i) => first + i * every)];
  };
  for (const count of [28, 29, 30, 31]) {
    for (let w = 10; w <= 1200; w += 2) {
      const days = dayLabelIndexes(count, w).map(i => i + 1);
      const at = `${count} days in ${w} px: ${days.join(', ')}`;
      assert.ok(days.length === 1 || [1, 2, 5, 7, 10, 15].some(every => grid(count, every).join() === days.join()), at);
      assert.equal(days[0], 1, at);
      for (let i = 1; i < days.length; i++) assert.ok((days[i]! - days[i - 1]!) * (w / count) >= 20, `labels crowd: ${at}`);
    }
  }
});
