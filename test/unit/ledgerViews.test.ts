import assert from 'node:assert/strict';
import { test } from 'node:test';
import { localDay } from '../../src/host/ledger/localDate';
import { monthView } from '../../src/host/ledger/monthView';
import { report, toCsv } from '../../src/host/ledger/report';
import { Rollups } from '../../src/host/ledger/rollups';
import type { UsageRecord } from '../../src/protocol/records';
import type { ServedTier } from '../../src/protocol/types';
import { makeRecord } from './helpers/records';

const TIERS: ServedTier[] = ['priority', 'standard', 'flex', 'unknown'];

/** A deterministic pseudo-random mix over two months, sessions, models, tiers, priced and not. */
function records(count: number): UsageRecord[] {
  const rnd = mulberry32(7);
  return Array.from({ length: count }, (_, i) => {
    const priced = rnd(10) !== 0;
    const cost = rnd(5_000_000);
    return makeRecord(`r${i}`, {
      ts: new Date(2026, 9 + rnd(2), 1 + rnd(31), rnd(24), rnd(60)).toISOString(),
      sessionId: `s${rnd(20)}`,
      model: ['gpt-5.4', 'gpt-5.5', 'qwen'][rnd(3)]!,
      servedTier: TIERS[rnd(4)]!,
      requestedTier: (['priority', 'standard', 'flex'] as const)[rnd(3)]!,
      input: rnd(100_000),
      cached: rnd(1_000),
      cacheWrite: rnd(100),
      output: rnd(5_000),
      reasoning: rnd(100),
      costUsd: priced ? cost / 1e6 : null,
      standardCostUsd: priced ? Math.floor(cost / 2) / 1e6 : null,
      estimated: rnd(20) === 0 ? true : undefined,
    });
  });
}

/** A small seeded PRNG (mulberry32): integers in [0, n). */
function mulberry32(seed: number): (n: number) => number {
  return n => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

interface Naive { micro: number; requests: number; input: number; unpriced: number; premium: number; estimated: number }
function naive(recs: UsageRecord[], keep: (r: UsageRecord) => boolean): Naive {
  const n: Naive = { micro: 0, requests: 0, input: 0, unpriced: 0, premium: 0, estimated: 0 };
  for (const r of recs.filter(keep)) {
    n.requests++;
    n.input += r.input;
    if (r.estimated) n.estimated++;
    if (r.costUsd === null) { n.unpriced++; continue; }
    n.micro += Math.round(r.costUsd * 1e6);
    if (billed(r) === 'priority') n.premium += Math.round(r.costUsd * 1e6) - Math.round(r.standardCostUsd! * 1e6);
  }
  return n;
}
const usd = (micro: number) => micro / 1e6;
/** The tier a record is counted at: the one served, or where the response never said, the one asked for. */
const billed = (r: UsageRecord): ServedTier => (r.servedTier === 'unknown' ? r.requestedTier : r.servedTier);
const dayOf = (r: UsageRecord) => localDay(new Date(r.ts));

test('month view: totals, every day, sessions, models and tiers agree with the records', () => {
  const recs = records(5_000);
  const rollups = new Rollups();
  recs.forEach(r => rollups.apply(r));
  const month = '2026-11';
  const v = monthView(rollups, month, 5);
  const inMonth = (r: UsageRecord) => dayOf(r).startsWith(month);

  const t = naive(recs, inMonth);
  assert.equal(v.total.costUsd, usd(t.micro));
  assert.equal(v.total.usage.requests, t.requests);
  assert.equal(v.total.usage.input, t.input);
  assert.equal(v.total.unpricedRequests, t.unpriced);
  assert.equal(v.total.estimatedRequests, t.estimated);
  assert.equal(v.total.priorityPremiumUsd, usd(t.premium));

  assert.equal(v.days.length, 30);
  assert.equal(v.days[0], '2026-11-01');
  v.days.forEach((d, i) => assert.equal(v.perDay[i]!.costUsd, usd(naive(recs, r => dayOf(r) === d).micro), d));

  assert.equal(v.perSession.length, new Set(recs.filter(inMonth).map(r => r.sessionId)).size);
  for (const s of v.perSession) assert.equal(s.totals.costUsd, usd(naive(recs, r => inMonth(r) && r.sessionId === s.sessionId).micro));
  const costs = v.perSession.map(s => s.totals.costUsd);
  assert.deepEqual(costs, [...costs].sort((a, b) => b - a), 'sessions dearest first');

  for (const m of v.perModel) assert.equal(m.totals.usage.requests, naive(recs, r => inMonth(r) && r.model === m.model).requests);
  for (const tier of TIERS) {
    assert.equal(v.perTier[tier].costUsd, usd(naive(recs, r => inMonth(r) && billed(r) === tier).micro));
    assert.equal(v.total.costByTier[tier], v.perTier[tier].costUsd);
  }

  // Five named series plus "other" add up to each day's total.
  assert.equal(v.sessionSeries.length, 6);
  assert.equal(v.sessionSeries[5]!.sessionId, null);
  v.days.forEach((d, i) => {
    const sum = v.sessionSeries.reduce((acc, s) => acc + Math.round(s.costUsd[i]! * 1e6), 0);
    assert.equal(sum, Math.round(v.perDay[i]!.costUsd * 1e6), d);
  });
});

test('a month with no records is all zeros, not an error', () => {
  const v = monthView(new Rollups(), '2027-02');
  assert.equal(v.days.length, 28);
  assert.equal(v.total.costUsd, 0);
  assert.deepEqual(v.perSession, []);
  assert.deepEqual(v.sessionSeries, []);
  assert.throws(() => monthView(new Rollups(), 'February'), RangeError);
});

test('reports by session, day, model and tier, with and without a start date', () => {
  const recs = records(3_000);
  const rollups = new Rollups();
  recs.forEach(r => rollups.apply(r));
  const since = '2026-11-10';
  const from = (r: UsageRecord) => dayOf(r) >= since;

  const byDay = report(rollups, 'day', since);
  assert.ok(byDay.every(r => r.key >= since));
  assert.deepEqual(byDay.map(r => r.key), [...new Set(recs.filter(from).map(dayOf))].sort());
  for (const row of byDay) assert.equal(row.costUsd, usd(naive(recs, r => dayOf(r) === row.key).micro));

  for (const row of report(rollups, 'session', since, id => `Session ${id}`)) {
    const n = naive(recs, r => from(r) && r.sessionId === row.key);
    assert.equal(row.label, `Session ${row.key}`);
    assert.equal(row.costUsd, usd(n.micro));
    assert.equal(row.usage.requests, n.requests);
    assert.equal(row.unpricedRequests, n.unpriced);
    assert.equal(row.estimatedRequests, n.estimated);
    assert.equal(row.priorityPremiumUsd, usd(n.premium));
  }
  const allModels = report(rollups, 'model');
  assert.equal(allModels.reduce((a, r) => a + r.usage.requests, 0), recs.length);
  const tiers = report(rollups, 'tier');
  // A response that never named its tier is counted at the tier asked for: no row of its own.
  assert.deepEqual(tiers.map(r => r.key).sort(), ['flex', 'priority', 'standard']);
  for (const row of tiers) assert.equal(row.costUsd, usd(naive(recs, r => billed(r) === row.key).micro));
  for (const row of byDay) assert.equal(row.estimatedRequests, naive(recs, r => dayOf(r) === row.key).estimated);
  assert.ok(byDay.some(r => r.estimatedRequests > 0) && byDay.some(r => r.estimatedRequests === 0), 'the mix has days with and without estimates');
  assert.throws(() => report(rollups, 'day', '10/11/2026'), /YYYY-MM-DD/);
});

test('CSV: one header, one line per row, quoted and spreadsheet-safe', () => {
  const rollups = new Rollups();
  rollups.apply(makeRecord('a', { sessionId: 'one', costUsd: 1.5, standardCostUsd: 0.75, servedTier: 'priority' }));
  rollups.apply(makeRecord('b', { sessionId: 'two', costUsd: null, standardCostUsd: null }));
  rollups.apply(makeRecord('c', { sessionId: 'two', costUsd: null, standardCostUsd: null, estimated: true }));
  const labels: Record<string, string> = { one: 'Fix "flaky", tests', two: '=HYPERLINK("http://x")' };
  const csv = toCsv(report(rollups, 'session', undefined, id => labels[id]!));
  const lines = csv.split('\r\n');
  assert.equal(lines.at(-1), '');
  // The estimated count comes last, so columns read by position before it stay where they were.
  assert.equal(lines[0], 'key,label,requests,input,cached,cache_write,output,reasoning,cost_usd,unpriced_requests,priority_premium_usd,estimated_requests');
  assert.equal(lines[1], 'one,"Fix ""flaky"", tests",1,1000,200,0,100,20,1.500000,0,0.750000,0');
  assert.equal(lines[2], `two,"'=HYPERLINK(""http://x"")",2,2000,400,0,200,40,0.000000,2,0.000000,1`);
});

test('by tier, a response cut short counts at the tier asked for; one served at a tier without a price here stays unknown', () => {
  const rollups = new Rollups();
  rollups.apply(makeRecord('cut', { servedTier: 'unknown', requestedTier: 'priority', costUsd: 0.02, standardCostUsd: 0.01, estimated: true }));
  rollups.apply(makeRecord('ultra', { servedTier: 'unknown', requestedTier: 'standard', costUsd: 0.03, standardCostUsd: 0.015, estimated: true, costBound: true }));
  const byTier = Object.fromEntries(report(rollups, 'tier').map(r => [r.key, r.costUsd]));
  assert.deepEqual(byTier, { priority: 0.02, unknown: 0.03 });
  assert.equal(report(rollups, 'tier').find(r => r.key === 'priority')?.priorityPremiumUsd, 0.01);
});
