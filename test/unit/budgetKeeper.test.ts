import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { BudgetKeeper, type BudgetCaps } from '../../src/host/budgets/budgetKeeper';
import { RESERVATIONS_FILE } from '../../src/host/budgets/reservations';
import { Ledger } from '../../src/host/ledger/ledger';
import { loadPriceTable } from '../../src/host/pricing/priceTable';
import { currentProcess } from '../../src/host/util/fileLock';
import { makeRecord } from './helpers/records';

let tmp: string;
before(() => (tmp = mkdtempSync(path.join(os.tmpdir(), 'sy-budget-'))));
after(() => rmSync(tmp, { recursive: true, force: true }));

const prices = loadPriceTable();
const NOW = new Date(2026, 10, 15, 12, 0, 0);
let n = 0;

async function setup(now: () => Date = () => NOW, maxReservationAgeMs?: number) {
  const dir = path.join(tmp, `b${++n}`);
  const ledger = await Ledger.open(dir);
  const keeper = new BudgetKeeper({ ledger, dir, prices: () => prices, now, ...(maxReservationAgeMs ? { maxReservationAgeMs } : {}) });
  return { dir, ledger, keeper };
}
const caps = (c: Partial<BudgetCaps>): BudgetCaps => ({ sessionUsd: null, dayUsd: null, monthUsd: null, ...c });

test('a reservation holds the worst case at the dearest tier until it is settled', async () => {
  const { ledger, keeper } = await setup();
  // gpt-5.4 dearest (priority): 10,000 x $5/M = $0.05 + 1,000 x $30/M = $0.03 => $0.08, whatever tier the session asks for.
  const r = await keeper.reserve({ sessionId: 'a', model: 'gpt-5.4', estimatedInputTokens: 10_000, maxOutputTokens: 1_000 }, caps({ dayUsd: 1 }));
  assert.ok(r.ok);
  assert.equal(r.reservedUsd, 0.08);
  assert.equal(r.maxOutputTokens, 1_000);
  assert.deepEqual(keeper.status(caps({ dayUsd: 1, sessionUsd: 0.5 }), 'a'), [
    { scope: 'session', capUsd: 0.5, spentUsd: 0, reservedUsd: 0.08 },
    { scope: 'day', capUsd: 1, spentUsd: 0, reservedUsd: 0.08 },
  ]);
  await ledger.append(makeRecord('x', { sessionId: 'a', ts: NOW.toISOString(), costUsd: 0.02, standardCostUsd: 0.02 }));
  await keeper.settle(r.reservationId);
  assert.deepEqual(keeper.status(caps({ dayUsd: 1 })), [{ scope: 'day', capUsd: 1, spentUsd: 0.02, reservedUsd: 0 }]);
  await keeper.settle(r.reservationId); // settling twice is harmless
  await ledger.close();
});

test('a day cap that refused a request with a little left stops work until it is raised, a request gets through, or the day ends', async () => {
  let now = NOW;
  const { ledger, keeper } = await setup(() => now);
  await ledger.append(makeRecord('spent', { sessionId: 'a', ts: NOW.toISOString(), costUsd: 0.6854, standardCostUsd: 0.6854 }));
  const day = (dayUsd: number) => keeper.status(caps({ dayUsd })).find(b => b.scope === 'day');
  const ask = (dayUsd: number) => keeper.reserve({ sessionId: 'a', model: 'gpt-5.4', estimatedInputTokens: 10_000, maxOutputTokens: 4_000 }, caps({ dayUsd }));
  assert.equal(day(0.7)?.stopped, undefined, 'not before a refusal');
  const refused = await ask(0.7);
  assert.ok(!refused.ok && !refused.heldInFlight);
  assert.deepEqual(day(0.7), { scope: 'day', capUsd: 0.7, spentUsd: 0.6854, reservedUsd: 0, stopped: true });
  assert.equal(day(0.69)?.stopped, true, 'lowered since, it still stops work');
  assert.equal(day(2)?.stopped, undefined, 'raised, work may go on');
  // A smaller request the cap lets through: work goes on, and the cap no longer says it stops it.
  const small = await keeper.reserve({ sessionId: 'b', model: 'gpt-5.4', estimatedInputTokens: 100, maxOutputTokens: 256 }, caps({ dayUsd: 0.7 }));
  assert.ok(small.ok);
  assert.equal(day(0.7)?.stopped, undefined);
  await keeper.settle(small.reservationId);
  assert.ok(!(await ask(0.7)).ok);
  assert.equal(day(0.7)?.stopped, true, 'refused again');
  now = new Date(NOW.getTime() + 24 * 3600_000);
  assert.equal(day(0.7)?.stopped, undefined, 'a new day');
  await ledger.close();
});

test('recorded spend and reservations both count; the output cap shrinks, then the request is refused', async () => {
  const { ledger, keeper } = await setup();
  await ledger.append(makeRecord('spent', { sessionId: 'a', ts: NOW.toISOString(), costUsd: 0.9, standardCostUsd: 0.9 }));
  const c = caps({ sessionUsd: 1 });
  // Left $0.10: input $0.05, so (0.05 / $30 per M) = 1,666 output tokens fit.
  const r1 = await keeper.reserve({ sessionId: 'a', model: 'gpt-5.4', estimatedInputTokens: 10_000, maxOutputTokens: 4_000 }, c);
  assert.ok(r1.ok && r1.shrunk);
  assert.equal(r1.maxOutputTokens, 1_666);
  // Nothing left while r1 is in flight.
  const r2 = await keeper.reserve({ sessionId: 'a', model: 'gpt-5.4', estimatedInputTokens: 10_000, maxOutputTokens: 4_000 }, c);
  assert.equal(r2.ok, false);
  assert.ok(!r2.ok);
  assert.equal(r2.scope, 'session');
  assert.equal(r2.spentUsd, 0.9);
  assert.equal(r2.reservedUsd, 0.09998);
  assert.equal(r2.neededUsd, 0.05768); // 10,000 x $5/M + 256 x $30/M
  assert.match(r2.message, /^Session budget has no room free now: \$0\.90 of \$1\.00 spent, \$0\.10 held for requests in flight; the smallest useful request needs up to \$0\.0577\.$/);
  // Another session is not held by this session's cap.
  assert.ok((await keeper.reserve({ sessionId: 'b', model: 'gpt-5.4', estimatedInputTokens: 10_000, maxOutputTokens: 4_000 }, caps({ sessionUsd: 1 }))).ok);
  await ledger.close();
});

test('a cap below a hundredth of a cent keeps its digits in the refusal', async () => {
  const { keeper } = await setup();
  const r = await keeper.reserve({ sessionId: 'a', model: 'gpt-5.4', estimatedInputTokens: 10_000, maxOutputTokens: 4_000 }, caps({ sessionUsd: 0.00001 }));
  assert.ok(!r.ok);
  assert.match(r.message, /^Session budget too small to go on, with \$0\.00001 left: \$0\.00 of \$0\.00001 spent; the smallest useful request needs up to \$0\.0577\.$/);
});

test('day and month caps cover every session; yesterday counts for the month, not the day', async () => {
  let now = new Date(2026, 10, 14, 23, 0);
  const { ledger, keeper } = await setup(() => now);
  await ledger.append(makeRecord('y', { sessionId: 'other', ts: now.toISOString(), costUsd: 4, standardCostUsd: 4 }));
  now = new Date(2026, 10, 15, 9, 0);
  await ledger.append(makeRecord('t', { sessionId: 'other', ts: now.toISOString(), costUsd: 1, standardCostUsd: 1 }));
  assert.deepEqual(keeper.status(caps({ dayUsd: 2, monthUsd: 5.5 })), [
    { scope: 'day', capUsd: 2, spentUsd: 1, reservedUsd: 0 },
    { scope: 'month', capUsd: 5.5, spentUsd: 5, reservedUsd: 0 },
  ]);
  const r = await keeper.reserve({ sessionId: 'mine', model: 'gpt-5.4', estimatedInputTokens: 200_000, maxOutputTokens: 1_000 }, caps({ dayUsd: 2, monthUsd: 5.5 }));
  // $1.00 + $0.03 fits the day ($1 left) but not the month ($0.50 left).
  assert.ok(!r.ok);
  assert.equal(r.scope, 'month');
  await ledger.close();
});

test('an unpriced model goes through, flagged: no dollar cap can hold it', async () => {
  const { ledger, keeper } = await setup();
  const r = await keeper.reserve({ sessionId: 'a', model: 'qwen3-coder:30b', estimatedInputTokens: 10_000, maxOutputTokens: 1_000 }, caps({ sessionUsd: 0 }));
  assert.deepEqual(r, { ok: true, reservationId: null, maxOutputTokens: 1_000, shrunk: false, reservedUsd: 0, unpriced: true });
  await ledger.close();
});

test('reservations of processes that are gone are dropped', async () => {
  const { dir, ledger, keeper } = await setup();
  const dead = spawn(process.execPath, ['-e', '0']);
  await new Promise(r => dead.on('exit', r));
  const ghost = { id: 'ghost', owner: { pid: dead.pid!, host: os.hostname(), start: null }, sessionId: 'a', model: 'gpt-5.4', amountMicro: 5_000_000, createdAt: NOW.getTime() };
  const alive = { ...ghost, id: 'alive', owner: currentProcess(), amountMicro: 100_000 };
  writeFileSync(path.join(dir, RESERVATIONS_FILE), JSON.stringify({ reservations: [ghost, alive] }));
  assert.deepEqual(keeper.status(caps({ dayUsd: 1 })), [{ scope: 'day', capUsd: 1, spentUsd: 0, reservedUsd: 0.1 }]);
  const r = await keeper.reserve({ sessionId: 'a', model: 'gpt-5.4', estimatedInputTokens: 1_000, maxOutputTokens: 1_000 }, caps({ dayUsd: 1 }));
  assert.ok(r.ok);
  const stored = (JSON.parse(readFileSync(path.join(dir, RESERVATIONS_FILE), 'utf8')) as { reservations: { id: string }[] }).reservations.map(x => x.id);
  // The ghost is gone; what this process holds is published as its lease.
  assert.equal(stored.length, 2);
  assert.equal(stored[0], 'alive');
  assert.match(stored[1], /^lease-/);
  await ledger.close();
});

test('a reservation never settled expires after maxReservationAgeMs', async () => {
  let now = NOW;
  const { ledger, keeper } = await setup(() => now, 60_000);
  const r = await keeper.reserve({ sessionId: 'a', model: 'gpt-5.4', estimatedInputTokens: 100_000, maxOutputTokens: 1_000 }, caps({ dayUsd: 0.6 }));
  assert.ok(r.ok);
  assert.equal((await keeper.reserve({ sessionId: 'a', model: 'gpt-5.4', estimatedInputTokens: 100_000, maxOutputTokens: 1_000 }, caps({ dayUsd: 0.6 }))).ok, false);
  now = new Date(NOW.getTime() + 61_000);
  assert.equal((await keeper.reserve({ sessionId: 'a', model: 'gpt-5.4', estimatedInputTokens: 100_000, maxOutputTokens: 1_000 }, caps({ dayUsd: 0.6 }))).ok, true);
  await ledger.close();
});

test('concurrent reservations in one process cannot overshoot together', async () => {
  const { ledger, keeper } = await setup();
  // Each worst case is $0.08; the cap holds 12 of them.
  const results = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      keeper.reserve({ sessionId: `s${i}`, model: 'gpt-5.4', estimatedInputTokens: 10_000, maxOutputTokens: 1_000, minOutputTokens: 1_000 }, caps({ dayUsd: 0.96 })),
    ),
  );
  assert.equal(results.filter(r => r.ok).length, 12);
  assert.deepEqual(keeper.status(caps({ dayUsd: 0.96 })), [{ scope: 'day', capUsd: 0.96, spentUsd: 0, reservedUsd: 0.96 }]);
  await ledger.close();
});

test('refused only for what another process holds in flight, a request is marked to ask again; refused for spend, it is not', async () => {
  const { dir, ledger, keeper: a } = await setup();
  const b = new BudgetKeeper({ ledger, dir, prices: () => prices, now: () => NOW });
  const c = caps({ dayUsd: 0.1 });
  // Worst case $0.08 each: one fits under the cap at a time.
  const req = (sessionId: string) => ({ sessionId, model: 'gpt-5.4', estimatedInputTokens: 10_000, maxOutputTokens: 1_000, minOutputTokens: 1_000 });
  const held = await a.reserve(req('x'), c);
  assert.ok(held.ok);
  const waiting = await b.reserve(req('y'), c);
  assert.ok(!waiting.ok);
  assert.equal(waiting.heldInFlight, true, 'nothing is spent: the headroom comes back when x finishes');
  await ledger.append(makeRecord('x1', { sessionId: 'x', ts: NOW.toISOString(), costUsd: 0.05, standardCostUsd: 0.05 }));
  await a.settle(held.reservationId);
  const spent = await b.reserve(req('y'), c);
  assert.ok(!spent.ok);
  assert.equal(spent.heldInFlight, undefined, '$0.05 spent leaves no room for $0.08, whoever holds what');
  await ledger.close();
});

test("a session's own requests in flight make its next one wait, not its session over budget: only spend does", async () => {
  const { ledger, keeper } = await setup();
  const req = { sessionId: 'par', model: 'gpt-5.4', estimatedInputTokens: 10_000, maxOutputTokens: 1_000, minOutputTokens: 1_000 };
  // $0.08 a request. Alone, and with the day and month caps as set by default, whose lease holds the
  // session's requests in flight too (five of them fill it, as they fill a $0.40 budget).
  // And under a day cap that binds first, with no other process holding any of it.
  // And where both a day cap and the session's budget are short only of what is in flight.
  for (const c of [caps({ sessionUsd: 0.1 }), caps({ sessionUsd: 0.4, dayUsd: 50, monthUsd: 500 }), caps({ sessionUsd: 5, dayUsd: 0.3 }), caps({ sessionUsd: 0.15, dayUsd: 0.14 })]) {
    const held = [];
    let refused;
    for (let i = 0; i < 8 && !refused; i++) {
      const r = await keeper.reserve(req, c);
      if (r.ok) held.push(r.reservationId);
      else refused = r;
    }
    assert.ok(refused && !refused.ok, 'an agent sending requests at once meets its budget');
    assert.equal(refused.heldInFlight, true, `${JSON.stringify(c)}: ${refused.message}`);
    assert.match(refused.message, /^(Session budget|Daily cap) has no room free now: \$0\.00 of \$0\.\d{2,4} spent, \$0\.\d{2,4} held for requests in flight/);
    for (const id of held) await keeper.settle(id);
  }
  await ledger.append(makeRecord('p1', { sessionId: 'par', ts: NOW.toISOString(), costUsd: 0.38, standardCostUsd: 0.38 }));
  const after = await keeper.reserve(req, caps({ sessionUsd: 0.4, dayUsd: 50, monthUsd: 500 }));
  assert.ok(!after.ok);
  assert.equal(after.heldInFlight, undefined, 'spent, it is over budget');
  await ledger.close();
});

test("a request waiting for headroom another process holds is not starved by that process's lease extras: while it waits, the other holds only its requests in flight", async () => {
  const { dir, ledger, keeper: a } = await setup();
  const b = new BudgetKeeper({ ledger, dir, prices: () => prices, now: () => NOW });
  // $0.08 a small request, $0.63 the big one. B's lease takes four small ones' worth beyond its first.
  const c = caps({ dayUsd: 1 });
  const small = { sessionId: 'busy', model: 'gpt-5.4', estimatedInputTokens: 10_000, maxOutputTokens: 1_000, minOutputTokens: 1_000 };
  const big = { sessionId: 'big', model: 'gpt-5.4', estimatedInputTokens: 120_000, maxOutputTokens: 1_000, minOutputTokens: 1_000 };
  const first = await b.reserve(small, c);
  const second = await b.reserve(small, c);
  assert.ok(first.ok && second.ok);
  const waiting = await a.reserve(big, c);
  assert.ok(!waiting.ok && waiting.heldInFlight, `$0.16 in flight, but B's lease holds $0.40: ${JSON.stringify(waiting)}`);
  // B goes on sending, as a busy process does (it looks for waiters a few times a second).
  await b.settle(first.reservationId);
  await new Promise(r => setTimeout(r, 300));
  const next = await b.reserve(small, c);
  assert.ok(next.ok);
  // Its lease is now what it has in flight, so the waiter fits beside it.
  const turn = await a.reserve(big, c);
  assert.ok(turn.ok, `the waiter gets the headroom nobody spends: ${JSON.stringify(turn)}`);
  await ledger.close();
});
