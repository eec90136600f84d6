// Property: whatever the caps, usage, tiers and interleavings, recorded spend never passes a cap.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BudgetKeeper, type BudgetCaps } from '../../src/host/budgets/budgetKeeper';
import { MemoryReservationStore } from '../../src/host/budgets/reservations';
import { localDay, localMonth } from '../../src/host/ledger/localDate';
import { Rollups } from '../../src/host/ledger/rollups';
import { costOf } from '../../src/host/pricing/cost';
import { loadPriceTable } from '../../src/host/pricing/priceTable';
import type { UsageRecord } from '../../src/protocol/records';
import type { Tier } from '../../src/protocol/types';

const WORLDS = 50;
const SESSIONS_PER_WORLD = 200;
const TIERS: Tier[] = ['priority', 'standard', 'flex'];
// gpt-5.6 bills cache writes at 1.25x input: the dearest input price is then a cache write.
const table = loadPriceTable({ 'gpt-5.6': { standard: { input: 4, cachedInput: 0.4, output: 24 }, priority: { input: 10, cachedInput: 1, output: 60 } } });
const MODELS = ['gpt-5.5', 'gpt-5.4', 'gpt-5.2', 'gpt-4.1', 'gpt-5.6', 'gpt-5.4-2026-03-05'];

function prng(seed: number): { int(n: number): number; chance(p: number): boolean } {
  let s = seed;
  const next = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { int: n => Math.floor(next() * n), chance: p => next() < p };
}

interface World {
  rollups: Rollups;
  clock: number;
  caps: Map<string, BudgetCaps>;
  dayCap: number | null;
  monthCap: number | null;
}

async function runWorld(seed: number): Promise<{ world: World; records: UsageRecord[]; refused: Record<string, number> }> {
  const rnd = prng(seed);
  const usd = (max: number) => (1 + rnd.int(max * 100)) / 100;
  // Start in the evening of a month's last day, so day and month boundaries fall inside the run.
  const world: World = {
    rollups: new Rollups(),
    clock: new Date(2026, 10, 30, 18 + rnd.int(5), rnd.int(60)).getTime(),
    caps: new Map(),
    dayCap: rnd.chance(0.7) ? usd(30) : null,
    monthCap: rnd.chance(0.7) ? usd(60) : null,
  };
  const yieldRandomly = async () => {
    for (let i = rnd.int(4); i > 0; i--) await Promise.resolve();
    if (rnd.chance(0.05)) await new Promise(r => setImmediate(r));
  };
  const ledger = {
    rollups: world.rollups,
    // Reading the ledger takes time: other sessions move meanwhile.
    catchUp: async () => yieldRandomly(),
  };
  const keeper = new BudgetKeeper({
    ledger,
    store: new MemoryReservationStore(),
    prices: () => table,
    now: () => new Date(world.clock),
    maxReservationAgeMs: Number.POSITIVE_INFINITY,
  });
  const records: UsageRecord[] = [];
  const refused: Record<string, number> = { session: 0, day: 0, month: 0 };

  const session = async (sessionId: string) => {
    const caps: BudgetCaps = { sessionUsd: rnd.chance(0.7) ? usd(3) : null, dayUsd: world.dayCap, monthUsd: world.monthCap };
    world.caps.set(sessionId, caps);
    const model = MODELS[rnd.int(MODELS.length)]!;
    const requested = TIERS[rnd.int(3)]!;
    let patience = 3;
    for (let turn = 1 + rnd.int(6); turn > 0; turn--) {
      await yieldRandomly();
      const estimatedInputTokens = rnd.int(60_000);
      const r = await keeper.reserve({ sessionId, model, estimatedInputTokens, maxOutputTokens: 1 + rnd.int(8_000), minOutputTokens: rnd.int(600) }, caps);
      if (!r.ok) {
        refused[r.scope]!++;
        // Refused while others are in flight: try again once some of them settled, a few times.
        if (--patience < 0) return;
        await new Promise(resolve => setImmediate(resolve));
        turn++;
        continue;
      }
      await yieldRandomly(); // the request is in flight
      world.clock += rnd.int(3 * 60_000);
      // Any usage within the reservation's bounds (often all of it), served at any tier the model has,
      // which may be dearer than the one asked for.
      const input = rnd.chance(0.3) ? estimatedInputTokens : rnd.int(estimatedInputTokens + 1);
      const cached = rnd.int(input + 1);
      const cacheWrite = rnd.chance(0.2) ? input - cached : rnd.int(input - cached + 1);
      const output = rnd.chance(0.3) ? r.maxOutputTokens : rnd.int(r.maxOutputTokens + 1);
      const servedTiers = TIERS.filter(t => costOf(table, model, t, { input: 0, cached: 0, cacheWrite: 0, output: 0, reasoning: 0 }).costUsd !== null);
      const served = rnd.chance(0.3) ? servedTiers[rnd.int(servedTiers.length)]! : requested;
      const usage = { input, cached, cacheWrite, output, reasoning: rnd.int(output + 1) };
      const cost = costOf(table, model, served, usage);
      const rec: UsageRecord = {
        id: `${sessionId}-${turn}`, ts: new Date(world.clock).toISOString(), sessionId, repo: '/r', role: 'coder', model,
        requestedTier: requested, servedTier: served, ...usage, costUsd: cost.costUsd, standardCostUsd: cost.standardCostUsd,
        latencyMs: 1, endpoint: 'responses',
      };
      world.rollups.apply(rec);
      records.push(rec);
      await yieldRandomly();
      await keeper.settle(r.reservationId);
    }
  };
  await Promise.all(Array.from({ length: SESSIONS_PER_WORLD }, (_, i) => session(`w${seed}-s${i}`)));
  return { world, records, refused };
}

test(`${WORLDS * SESSIONS_PER_WORLD} randomized sessions: spend never passes a session, day or month cap`, { timeout: 60_000 }, async t => {
  let sessions = 0;
  let requests = 0;
  const refusals: Record<string, number> = { session: 0, day: 0, month: 0 };
  let tightDays = 0;
  for (let w = 0; w < WORLDS; w++) {
    const { world, records, refused } = await runWorld(1_000 + w);
    sessions += world.caps.size;
    requests += records.length;
    for (const k of Object.keys(refusals)) refusals[k]! += refused[k]!;
    const micro = (r: UsageRecord) => Math.round(r.costUsd! * 1e6);
    const bySession = new Map<string, number>();
    const byDay = new Map<string, number>();
    const byMonth = new Map<string, number>();
    for (const r of records) {
      const d = new Date(r.ts);
      bySession.set(r.sessionId, (bySession.get(r.sessionId) ?? 0) + micro(r));
      byDay.set(localDay(d), (byDay.get(localDay(d)) ?? 0) + micro(r));
      byMonth.set(localMonth(d), (byMonth.get(localMonth(d)) ?? 0) + micro(r));
    }
    for (const [id, spent] of bySession) {
      const cap = world.caps.get(id)!.sessionUsd;
      if (cap !== null) assert.ok(spent <= Math.round(cap * 1e6), `world ${w}: session ${id} spent ${spent} > cap ${cap}`);

    }
    for (const [day, spent] of byDay) {
      if (world.dayCap !== null) {
        assert.ok(spent <= Math.round(world.dayCap * 1e6), `world ${w}: day ${day} spent ${spent} > cap ${world.dayCap}`);
        if (spent >= world.dayCap * 1e6 * 0.75) tightDays++;
      }
    }
    for (const [month, spent] of byMonth) {
      if (world.monthCap !== null) assert.ok(spent <= Math.round(world.monthCap * 1e6), `world ${w}: month ${month} spent ${spent} > cap ${world.monthCap}`);
    }
  }
  t.diagnostic(`${sessions} sessions, ${requests} requests, refusals ${JSON.stringify(refusals)}, ${tightDays} days spent >= 75% of their cap`);
  assert.ok(sessions >= 10_000);
  // The property is only worth something if every kind of cap was actually pressed against.
  for (const [scope, count] of Object.entries(refusals)) assert.ok(count > 200, `only ${count} refusals by a ${scope} cap`);
  assert.ok(tightDays > 20, `only ${tightDays} days came within 25% of their cap`);
  assert.ok(requests > 10_000);
});
