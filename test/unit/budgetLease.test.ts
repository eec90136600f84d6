// Leases: far from the caps a process reserves in memory (no lock, no file write per request); near a cap
// leases are exact and a settled request's share goes back at once, so another process can use it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BudgetKeeper, type BudgetCaps } from '../../src/host/budgets/budgetKeeper';
import { MemoryReservationStore, type Reservation, type ReservationStore } from '../../src/host/budgets/reservations';
import { Rollups } from '../../src/host/ledger/rollups';
import { loadPriceTable } from '../../src/host/pricing/priceTable';
import { makeRecord } from './helpers/records';

const prices = loadPriceTable();
const NOW = new Date(2026, 10, 15, 12, 0, 0);
const caps = (c: Partial<BudgetCaps>): BudgetCaps => ({ sessionUsd: null, dayUsd: null, monthUsd: null, ...c });
// gpt-5.4 at the dearest tier: 10,000 x $5/M + 1,000 x $30/M = $0.08 per request.
const req = (sessionId: string) => ({ sessionId, model: 'gpt-5.4', estimatedInputTokens: 10_000, maxOutputTokens: 1_000, minOutputTokens: 1_000 });

class CountingStore implements ReservationStore {
  updates = 0;
  constructor(private readonly inner: ReservationStore) {}
  update<T>(fn: (current: readonly Reservation[]) => Promise<{ next: readonly Reservation[]; result: T }>): Promise<T> {
    this.updates++;
    return this.inner.update(fn);
  }
  peek(): readonly Reservation[] {
    return this.inner.peek();
  }
}

function keeperOn(store: ReservationStore, rollups: Rollups): BudgetKeeper {
  return new BudgetKeeper({ ledger: { rollups, catchUp: async () => undefined }, store, prices: () => prices, now: () => NOW });
}

test('far from the caps, requests are reserved and settled in memory', async () => {
  const store = new CountingStore(new MemoryReservationStore());
  const rollups = new Rollups();
  const keeper = keeperOn(store, rollups);
  for (let i = 0; i < 20; i++) {
    const r = await keeper.reserve(req('a'), caps({ dayUsd: 100, monthUsd: 1000 }));
    assert.ok(r.ok);
    rollups.apply(makeRecord(`r${i}`, { sessionId: 'a', ts: NOW.toISOString(), costUsd: 0.01, standardCostUsd: 0.01 }));
    await keeper.settle(r.reservationId);
  }
  assert.ok(store.updates <= 2, `${store.updates} locked updates for 20 requests`);
  assert.equal(store.peek().length, 1, 'one lease is published for the process');
  await keeper.releaseLease();
  assert.equal(store.peek().length, 0, 'released, its headroom is free for others');
});

test('near a cap, leases are exact: what one process settles, another can use at once', async () => {
  const shared = new MemoryReservationStore();
  const rollups = new Rollups();
  const a = keeperOn(shared, rollups);
  const b = keeperOn(shared, rollups);
  const c = caps({ dayUsd: 0.16 });
  const ra = await a.reserve(req('a'), c);
  const rb = await b.reserve(req('b'), c);
  assert.ok(ra.ok && rb.ok);
  assert.equal((await b.reserve(req('b2'), c)).ok, false, 'the cap is fully held by the two requests');
  // a's request cost less than its worst case; once settled, the difference is b's to use.
  rollups.apply(makeRecord('a1', { sessionId: 'a', ts: NOW.toISOString(), costUsd: 0.005, standardCostUsd: 0.005 }));
  await a.settle(ra.reservationId);
  const again = await b.reserve({ ...req('b3'), minOutputTokens: 1 }, c);
  assert.ok(again.ok, 'the share a handed back is available to b');
});

test('a cap lowered while a lease is held holds from the next request: the lease is sized anew', async () => {
  const rollups = new Rollups();
  const keeper = keeperOn(new MemoryReservationStore(), rollups);
  const first = await keeper.reserve(req('a'), caps({ dayUsd: 50, monthUsd: 500 }));
  assert.ok(first.ok);
  rollups.apply(makeRecord('r1', { sessionId: 'a', ts: NOW.toISOString(), costUsd: 0.24, standardCostUsd: 0.24 }));
  await keeper.settle(first.reservationId);
  // The day cap is lowered below what was spent today (config.json, read by a run going on).
  const next = await keeper.reserve(req('a'), caps({ dayUsd: 0.01, monthUsd: 500 }));
  assert.equal(next.ok, false, 'the old lease, granted under a $50 cap, is not drawn on');
  assert.equal(next.ok ? '' : next.scope, 'day');
});

test('many processes sharing the caps each take a share that leaves room for the others: none waits on headroom nobody spends', async () => {
  const store = new MemoryReservationStore();
  const rollups = new Rollups();
  // Twenty processes, one request each in flight ($0.08 worst case): $1.60 together, under a $4 day cap.
  // (A process's share is sized with those it sees: closer to the cap, latecomers may wait for a renewal.)
  const keepers = Array.from({ length: 20 }, () => keeperOn(store, rollups));
  const results = [];
  for (const [i, k] of keepers.entries()) results.push(await k.reserve(req(`s${i}`), caps({ dayUsd: 4 })));
  assert.deepEqual(results.map((r, i) => (r.ok ? 'ok' : `${i}: ${r.message}`)).filter(x => x !== 'ok'), []);
});
