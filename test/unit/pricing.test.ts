import assert from 'node:assert/strict';
import { test } from 'node:test';
import { costOf } from '../../src/host/pricing/cost';
import { dearestTierPrice, loadPriceTable, PriceTableError, priceFor, resolveModel } from '../../src/host/pricing/priceTable';
import type { NormalizedUsage } from '../../src/host/pricing/usage';
import { fromServiceTier } from '../../src/host/pricing/usage';

const table = loadPriceTable();
const usage = (u: Partial<NormalizedUsage>): NormalizedUsage => ({ input: 0, cached: 0, cacheWrite: 0, output: 0, reasoning: 0, ...u });

test('the shipped table has every published model and tier, dated', () => {
  assert.match(table.date, /^\d{4}-\d{2}-\d{2}$/);
  const published: Record<string, [number, number, number][]> = {
    // standard, priority, flex: input / cached input / output per million tokens (API-FACTS.md)
    'gpt-5.5': [[5, 0.5, 30], [12.5, 1.25, 75], [2.5, 0.25, 15]],
    'gpt-5.4': [[2.5, 0.25, 15], [5, 0.5, 30], [1.25, 0.125, 7.5]],
    'gpt-5.2': [[1.75, 0.175, 14], [3.5, 0.35, 28], [0.875, 0.0875, 7]],
    'gpt-5': [[1.25, 0.125, 10], [2.5, 0.25, 20], [0.625, 0.0625, 5]],
    'gpt-5.1': [[1.25, 0.125, 10], [2.5, 0.25, 20], [0.625, 0.0625, 5]],
    'gpt-5-codex': [[1.25, 0.125, 10], [2.5, 0.25, 20], [0.625, 0.0625, 5]],
    'gpt-5.1-codex': [[1.25, 0.125, 10], [2.5, 0.25, 20], [0.625, 0.0625, 5]],
    'gpt-4.1': [[2, 0.5, 8], [3.5, 0.875, 14]],
  };
  assert.deepEqual([...table.models.keys()].sort(), Object.keys(published).sort());
  for (const [model, tiers] of Object.entries(published)) {
    (['standard', 'priority', 'flex'] as const).forEach((tier, i) => {
      const want = tiers[i];
      const got = priceFor(table, model, tier);
      if (!want) return assert.equal(got, null, `${model} has no ${tier}`);
      // Before gpt-5.6, cache-write tokens bill as input.
      assert.deepEqual(got, { input: want[0], cachedInput: want[1], output: want[2], cacheWrite: want[0] }, `${model} ${tier}`);
    });
  }
});

test('standard: uncached, cached and output tokens at their own prices; reasoning is not billed twice', () => {
  // gpt-5.4 standard: 40,000 uncached x $2.50/M = $0.100; 60,000 cached x $0.25/M = $0.015;
  // 2,000 output x $15/M = $0.030 (1,500 of them reasoning, already inside output) => $0.145
  const u = usage({ input: 100_000, cached: 60_000, output: 2_000, reasoning: 1_500 });
  assert.deepEqual(costOf(table, 'gpt-5.4', 'standard', u), { costUsd: 0.145, standardCostUsd: 0.145 });
  assert.deepEqual(costOf(table, 'gpt-5.4', 'standard', { ...u, reasoning: 0 }), { costUsd: 0.145, standardCostUsd: 0.145 });
});

test('priority bills the priority price and reports the standard cost beside it', () => {
  // gpt-5.4 priority: 40,000 x $5 = $0.200; 60,000 x $0.50 = $0.030; 2,000 x $30 = $0.060 => $0.290
  const u = usage({ input: 100_000, cached: 60_000, output: 2_000, reasoning: 1_500 });
  assert.deepEqual(costOf(table, 'gpt-5.4', 'priority', u), { costUsd: 0.29, standardCostUsd: 0.145 });
  // gpt-5.5 priority is 2.5x standard: 1,000,000 input x $12.50 = $12.50 vs $5.00
  assert.deepEqual(costOf(table, 'gpt-5.5', 'priority', usage({ input: 1_000_000 })), { costUsd: 12.5, standardCostUsd: 5 });
});

test('flex, rounded once over the whole response (not per part)', () => {
  // gpt-5.2 flex, in micro-dollars: 11,321 uncached x 0.875 = 9,905.875; 1,024 cached x 0.0875 = 89.6;
  // 678 output x 7 = 4,746. Sum 14,741.475 -> $0.014741. Rounding each part first would give 14,742.
  // Standard: 11,321 x 1.75 = 19,811.75; 1,024 x 0.175 = 179.2; 678 x 14 = 9,492; sum 29,482.95 -> $0.029483
  const u = usage({ input: 12_345, cached: 1_024, output: 678, reasoning: 100 });
  assert.deepEqual(costOf(table, 'gpt-5.2', 'flex', u), { costUsd: 0.014741, standardCostUsd: 0.029483 });
  // gpt-5 flex: 1 output token x $5/M = 5 micro-dollars; 1 cached token x $0.0625/M = 0.0625 -> rounds to 0
  assert.equal(costOf(table, 'gpt-5', 'flex', usage({ output: 1 })).costUsd, 0.000005);
  assert.equal(costOf(table, 'gpt-5', 'flex', usage({ input: 1, cached: 1 })).costUsd, 0);
  // half a micro-dollar rounds up: 4 cached x $0.125/M (gpt-5.4 flex) = 0.5 -> 1
  assert.equal(costOf(table, 'gpt-5.4', 'flex', usage({ input: 4, cached: 4 })).costUsd, 0.000001);
});

test('exact at large counts: no float drift', () => {
  // 1,000,000,000 output tokens x $75/M = $75,000 exactly; plus 3 cached x $1.25/M = 3.75 -> 4 micro-dollars
  const u = usage({ input: 3, cached: 3, output: 1_000_000_000 });
  assert.equal(costOf(table, 'gpt-5.5', 'priority', u).costUsd, 75_000.000004);
  // 0.1 + 0.2 style sums: 7 x 0.175 (gpt-5.2 cached) = 1.225 micro-dollars -> 1
  assert.equal(costOf(table, 'gpt-5.2', 'standard', usage({ input: 7, cached: 7 })).costUsd, 0.000001);
});

test('cache writes: billed as input before gpt-5.6, at 1.25x input from gpt-5.6 on', () => {
  // gpt-5.5 standard: 2,000 uncached x $5 = 10,000; 8,000 written x $5 = 40,000; 100 output x $30 = 3,000
  // => 53,000 micro-dollars, the same as if all 10,000 input were plain input.
  const u = usage({ input: 10_000, cacheWrite: 8_000, output: 100 });
  assert.equal(costOf(table, 'gpt-5.5', 'standard', u).costUsd, 0.053);
  assert.equal(costOf(table, 'gpt-5.5', 'standard', usage({ input: 10_000, output: 100 })).costUsd, 0.053);

  // gpt-5.6 (added by override, no cacheWrite given): $4 input => cache write $5.
  // 2,000 x $4 = 8,000; 8,000 x $5 = 40,000; 100 x $24 = 2,400 => 50,400 micro-dollars
  const t = loadPriceTable({ 'gpt-5.6': { standard: { input: 4, cachedInput: 0.4, output: 24 } } });
  assert.equal(priceFor(t, 'gpt-5.6', 'standard')?.cacheWrite, 5);
  assert.equal(costOf(t, 'gpt-5.6', 'standard', u).costUsd, 0.0504);
  // An explicit cacheWrite wins: 8,000 x $6 = 48,000 => 58,400
  const t2 = loadPriceTable({ 'gpt-5.6': { standard: { input: 4, cachedInput: 0.4, output: 24, cacheWrite: 6 } } });
  assert.equal(costOf(t2, 'gpt-5.6', 'standard', u).costUsd, 0.0584);
  // gpt-5.10 is after 5.6 too; gpt-5.5-mini is not
  assert.equal(priceFor(loadPriceTable({ 'gpt-5.10': { standard: { input: 2, cachedInput: 0.2, output: 8 } } }), 'gpt-5.10', 'standard')?.cacheWrite, 2.5);
  assert.equal(priceFor(loadPriceTable({ 'gpt-5.5-mini': { standard: { input: 2, cachedInput: 0.2, output: 8 } } }), 'gpt-5.5-mini', 'standard')?.cacheWrite, 2);
});

test('an unknown model, or a tier the model lacks, is unpriced (null), never $0', () => {
  const u = usage({ input: 1_000, output: 1_000 });
  assert.deepEqual(costOf(table, 'llama3.1:8b', 'standard', u), { costUsd: null, standardCostUsd: null });
  // A prefix is not a match: gpt-5-mini is another model than gpt-5.
  assert.deepEqual(costOf(table, 'gpt-5-mini', 'standard', u), { costUsd: null, standardCostUsd: null });
  assert.deepEqual(costOf(table, 'gpt-4.1', 'flex', u), { costUsd: null, standardCostUsd: null });
  assert.equal(dearestTierPrice(table, 'llama3.1:8b'), null);
});

test('cost follows the served tier, whatever was asked for', () => {
  const requested = 'flex' as const;
  const served = fromServiceTier('priority');
  const u = usage({ input: 10_000, output: 1_000 });
  // gpt-5 priority: 10,000 x $2.50 = 25,000; 1,000 x $20 = 20,000 => $0.045 (flex would be $0.01125)
  assert.equal(costOf(table, 'gpt-5', served === 'unknown' ? requested : served, u).costUsd, 0.045);
  // Newer models echo "fast" for the same tier.
  assert.equal(costOf(table, 'gpt-5', fromServiceTier('fast'), u).costUsd, 0.045);
  // A response that did not say: the caller passes the requested tier; 'unknown' alone prices as standard.
  assert.equal(costOf(table, 'gpt-5', fromServiceTier(undefined) === 'unknown' ? requested : 'standard', u).costUsd, 0.01125);
  assert.equal(costOf(table, 'gpt-5', 'unknown', u).costUsd, 0.0225);
});

test('dated snapshot names resolve to their base model; case and spaces do not matter', () => {
  assert.equal(resolveModel(table, 'gpt-5.4-2026-03-05'), 'gpt-5.4');
  assert.equal(resolveModel(table, ' GPT-5.4 '), 'gpt-5.4');
  assert.equal(resolveModel(table, 'gpt-5-codex-2025-09-15'), 'gpt-5-codex');
  assert.equal(resolveModel(table, 'gpt-5.4-nano'), null);
  const u = usage({ input: 100_000, cached: 60_000, output: 2_000 });
  assert.deepEqual(costOf(table, 'gpt-5.4-2026-03-05', 'standard', u), { costUsd: 0.145, standardCostUsd: 0.145 });
  // An override for one snapshot applies to that snapshot only.
  const t = loadPriceTable({ 'gpt-5.4-2026-03-05': { standard: { input: 0, cachedInput: 0, output: 1 } } });
  assert.equal(costOf(t, 'gpt-5.4-2026-03-05', 'standard', u).costUsd, 0.002);
  assert.equal(costOf(t, 'gpt-5.4-2026-04-01', 'standard', u).costUsd, 0.145);
});

test('overrides replace a tier, keep the others, and add models and tiers', () => {
  const t = loadPriceTable({
    'gpt-5.4': { standard: { input: 3, cachedInput: 0.3, output: 18 } },
    'GPT-4.1': { flex: { input: 1, cachedInput: 0.25, output: 4 } },
    'my-local-model': { standard: { input: 0, cachedInput: 0, output: 0 } },
  });
  assert.deepEqual(priceFor(t, 'gpt-5.4', 'standard'), { input: 3, cachedInput: 0.3, output: 18, cacheWrite: 3 });
  assert.deepEqual(priceFor(t, 'gpt-5.4', 'priority'), { input: 5, cachedInput: 0.5, output: 30, cacheWrite: 5 });
  assert.deepEqual(priceFor(t, 'gpt-4.1', 'flex'), { input: 1, cachedInput: 0.25, output: 4, cacheWrite: 1 });
  assert.deepEqual(priceFor(t, 'gpt-4.1', 'standard'), { input: 2, cachedInput: 0.5, output: 8, cacheWrite: 2 });
  // A model priced at zero is free, which is not the same as unpriced.
  assert.deepEqual(costOf(t, 'my-local-model', 'standard', usage({ input: 5, output: 5 })), { costUsd: 0, standardCostUsd: 0 });
  // The shipped table is untouched by another table's overrides.
  assert.equal(priceFor(table, 'gpt-5.4', 'standard')?.input, 2.5);
});

test('bad prices are refused with a message that names the model, tier and field', () => {
  assert.throws(() => loadPriceTable({ 'gpt-5': { standard: { input: -1, cachedInput: 0, output: 1 } } }), (e: unknown) => {
    assert.ok(e instanceof PriceTableError);
    assert.match(e.message, /"gpt-5" standard\.input/);
    return true;
  });
  assert.throws(() => loadPriceTable({ 'gpt-5': { standard: { input: 1, output: 1 } as never } }), /cachedInput/);
  assert.throws(() => loadPriceTable({ 'gpt-5': { turbo: { input: 1, cachedInput: 1, output: 1 } } as never }), /unknown tier "turbo"/);
  assert.throws(() => loadPriceTable(undefined, { models: {} }), /date/);
});

test('a table may call priority "fast"', () => {
  const t = loadPriceTable(undefined, { date: '2026-12-01', source: 'test', models: { m: { fast: { input: 2, cachedInput: 1, output: 3 }, default: { input: 1, cachedInput: 0.5, output: 1.5 } } } });
  assert.equal(priceFor(t, 'm', 'priority')?.input, 2);
  assert.equal(priceFor(t, 'm', 'standard')?.input, 1);
});

test('the dearest tier bounds every tier, field by field', () => {
  assert.deepEqual(dearestTierPrice(table, 'gpt-5.5'), { input: 12.5, cachedInput: 1.25, output: 75, cacheWrite: 12.5 });
  const t = loadPriceTable({ odd: { standard: { input: 1, cachedInput: 0.9, output: 10 }, flex: { input: 2, cachedInput: 0.1, output: 5 } } });
  assert.deepEqual(dearestTierPrice(t, 'odd'), { input: 2, cachedInput: 0.9, output: 10, cacheWrite: 2 });
});
