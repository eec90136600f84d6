import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SpendFigures, SpendSeries, SpendSummary } from '../../src/protocol/spend';
import { ZERO_USAGE } from '../../src/protocol/types';
import { budgetRow, OTHER_SERIES_ID, spendModel } from '../../src/webview/spend/spendModel';

const DAYS = ['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04'];

function figures(costUsd: number, requests: number, unpricedRequests = 0): SpendFigures {
  return {
    costUsd, usage: { ...ZERO_USAGE, input: requests * 1000, cached: requests * 800, requests },
    costByTier: { priority: 0, standard: costUsd, flex: 0, unknown: 0 }, priorityPremiumUsd: 0, unpricedRequests, estimatedRequests: 0, cacheShare: requests ? 0.8 : 0,
  };
}

function summary(over: Partial<SpendSummary> = {}): SpendSummary {
  return {
    day: '2026-11-03', month: '2026-11', today: figures(2, 3), thisMonth: figures(10, 12),
    topSessions: [], budgets: [], capReached: false, ...over,
  };
}

function series(over: Partial<SpendSeries> = {}): SpendSeries {
  return {
    days: DAYS,
    bySession: [
      { sessionId: OTHER_SERIES_ID, title: 'Other sessions', costUsd: [5, 0, 0, 0] },
      { sessionId: 'b', title: 'Small', costUsd: [0, 1, 0, 0] },
      { sessionId: 'a', title: 'Big', costUsd: [1, 2, 1, 0] },
    ],
    cacheShare: [0.5, 0.9, 0, 0],
    byTier: { priority: 4, standard: 5, flex: 1, unknown: 0 },
    byModel: [{ model: 'local', costUsd: 0, unpriced: 7 }, { model: 'gpt-5.4', costUsd: 9, unpriced: 0 }, { model: 'mixed', costUsd: 1, unpriced: 2 }],
    priorityPremiumUsd: 2, monthUsd: 10, monthSessions: 3, monthCapUsd: 100, cacheBreakLossUsd: 0.5, ...over,
  };
}

test('empty only when the month has no request and no cost', () => {
  const none = summary({ today: figures(0, 0), thisMonth: figures(0, 0) });
  assert.equal(spendModel(none, series({ bySession: [], monthUsd: 0 }), 0).empty, true);
  assert.equal(spendModel(summary(), series(), 3).empty, false);
  // Unpriced requests cost nothing in dollars but are still spend worth showing.
  const unpricedOnly = summary({ thisMonth: figures(0, 4, 4) });
  assert.equal(spendModel(unpricedOnly, series({ monthUsd: 0 }), 1).empty, false);
});

test('sessions are ordered by total with "other" last, coloured in order, and "other" cannot be opened', () => {
  const m = spendModel(summary(), series(), 5);
  assert.deepEqual(m.series.map(s => s.id), ['a', 'b', OTHER_SERIES_ID]);
  assert.deepEqual(m.series.map(s => s.colour), [0, 1, -1]);
  assert.deepEqual(m.series.map(s => s.clickable), [true, true, false]);
  assert.deepEqual(m.series.map(s => s.totalUsd), [4, 1, 5]);
  assert.deepEqual(m.dayTotals, [6, 3, 1, 0]);
});

test("another repository's session shows its title and folder, and is not offered to open (this window has no transcript of it)", () => {
  const bySession = [...series().bySession, { sessionId: 'c', title: 'Fix the login form', repoName: 'webapp', costUsd: [0, 0, 3, 0] }];
  const m = spendModel(summary(), series({ bySession }), 5);
  const other = m.series.find(s => s.id === 'c');
  assert.deepEqual(other && { title: other.title, repoName: other.repoName, clickable: other.clickable }, { title: 'Fix the login form', repoName: 'webapp', clickable: false });
  assert.equal(m.series.find(s => s.id === 'a')?.repoName, undefined);
  assert.equal(m.series.find(s => s.id === 'a')?.clickable, true);
});

test('cache per day: gaps for days without spend and days to come, not a false 0 %', () => {
  const m = spendModel(summary(), series({ cacheShare: [0.5, 0, 0, 0.7] }), 1);
  assert.equal(m.todayIndex, 2);
  // Days 2 and 3 had spend but nothing cached (a real 0); day 4 is still to come, though the host sent a value.
  assert.deepEqual(m.cacheByDay, [0.5, 0, 0, null]);
  const quiet = spendModel(summary(), series({ bySession: [{ sessionId: 'a', title: 'A', costUsd: [1, 0, 0, 0] }], cacheShare: [0.5, 0, 0, 0] }), 1);
  assert.deepEqual(quiet.cacheByDay, [0.5, null, null, null]);
});

test('models: unpriced shown as null (never $0), partly priced keep their cost and count', () => {
  const m = spendModel(summary(), series(), 1);
  assert.deepEqual(m.models, [
    { model: 'gpt-5.4', costUsd: 9, unpricedRequests: 0 },
    { model: 'mixed', costUsd: 1, unpricedRequests: 2 },
    { model: 'local', costUsd: null, unpricedRequests: 7 },
  ]);
});

test('tiers: fixed order with shares; "unknown" only when something was served at it', () => {
  const m = spendModel(summary(), series(), 1);
  assert.deepEqual(m.tiers.map(t => [t.tier, t.costUsd, t.share]), [['priority', 4, 0.4], ['standard', 5, 0.5], ['flex', 1, 0.1]]);
  const withUnknown = spendModel(summary(), series({ byTier: { priority: 0, standard: 0, flex: 0, unknown: 2 } }), 1);
  assert.deepEqual(withUnknown.tiers.map(t => [t.tier, t.share]), [['priority', 0], ['standard', 0], ['flex', 0], ['unknown', 1]]);
});

test('budget levels: warning from 80 %, over once the cap is reached; reserved shown apart', () => {
  assert.equal(budgetRow({ scope: 'day', capUsd: 50, spentUsd: 39.9, reservedUsd: 5 }).level, 'ok');
  assert.equal(budgetRow({ scope: 'day', capUsd: 50, spentUsd: 40, reservedUsd: 0 }).level, 'warn');
  assert.equal(budgetRow({ scope: 'day', capUsd: 50, spentUsd: 50, reservedUsd: 0 }).level, 'over');
  assert.equal(budgetRow({ scope: 'day', capUsd: 0, spentUsd: 0, reservedUsd: 0 }).level, 'over', 'a $0 cap allows nothing');
  const r = budgetRow({ scope: 'month', capUsd: 100, spentUsd: 60, reservedUsd: 30 });
  assert.equal(r.spentShare, 0.6);
  assert.equal(r.committedShare, 0.9);
  const over = budgetRow({ scope: 'month', capUsd: 100, spentUsd: 130, reservedUsd: 10 });
  assert.equal(over.spentShare, 1);
  assert.equal(over.committedShare, 1);
});

test('the day cap is said at the top beside the month\'s once it is near or reached, not before', () => {
  const day = (spentUsd: number) => spendModel(summary({ budgets: [{ scope: 'month', capUsd: 100, spentUsd: 4, reservedUsd: 0 }, { scope: 'day', capUsd: 5, spentUsd, reservedUsd: 0 }] }), series(), 1).dayAlert;
  assert.equal(day(2), null);
  assert.equal(day(4.2)?.level, 'warn');
  assert.equal(day(5)?.level, 'over');
});

test('month budget comes from the budget status, else from the series cap, else none', () => {
  const withStatus = spendModel(summary({ budgets: [{ scope: 'month', capUsd: 12, spentUsd: 10, reservedUsd: 1 }, { scope: 'day', capUsd: 5, spentUsd: 2, reservedUsd: 0 }] }), series(), 1);
  assert.equal(withStatus.monthBudget?.capUsd, 12);
  assert.equal(withStatus.monthBudget?.level, 'warn');
  assert.deepEqual(withStatus.budgets.map(b => b.scope), ['day', 'month']);
  assert.equal(spendModel(summary(), series(), 1).monthBudget?.capUsd, 100);
  assert.equal(spendModel(summary(), series({ monthCapUsd: null }), 1).monthBudget, null);
});
