// A response's usage is shown as soon as it is metered, before its durable append, and never twice.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { BudgetKeeper } from '../../src/host/budgets/budgetKeeper';
import { silentSink, type EngineSink } from '../../src/host/events';
import { Ledger } from '../../src/host/ledger/ledger';
import { loadPriceTable } from '../../src/host/pricing/priceTable';
import { withDefaults } from '../../src/host/settings';
import { SpendService } from '../../src/host/spend/spendService';
import type { SpendSummary } from '../../src/protocol/spend';
import { makeRecord } from './helpers/records';

let tmp: string;
before(() => (tmp = mkdtempSync(path.join(os.tmpdir(), 'sy-pending-'))));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

const NOW = new Date();
const rec = (id: string, sessionId: string, costUsd: number) => makeRecord(id, { sessionId, ts: NOW.toISOString(), costUsd, standardCostUsd: costUsd });

async function setup() {
  const dir = path.join(tmp, `p${++n}`);
  const ledger = await Ledger.open(dir);
  const prices = loadPriceTable();
  const summaries: SpendSummary[] = [];
  const sink: EngineSink = { ...silentSink, spendChanged: s => void summaries.push(s) };
  const budgets = new BudgetKeeper({ ledger, dir, prices: () => prices });
  const spend = new SpendService({
    ledger,
    budgets,
    prices: () => prices,
    settings: () => withDefaults({}),
    sink,
    sessionTitle: () => undefined,
    cacheBreakLossUsd: () => 0,
  });
  return { dir, ledger, spend, summaries, prices, budgets };
}

test("another process's share of the caps handed back reaches the meter, though the ledger did not change", async () => {
  const { dir, ledger, spend, summaries, prices } = await setup();
  const other = new BudgetKeeper({ ledger, dir, prices: () => prices });
  const held = await other.reserve({ sessionId: 'x', model: 'gpt-5.4', estimatedInputTokens: 10_000, maxOutputTokens: 1_000 }, { sessionUsd: null, dayUsd: 50, monthUsd: 500 });
  assert.ok(held.ok);
  assert.ok(spend.summary().budgets.every(b => b.reservedUsd > 0), 'held while its request is in flight');
  await other.settle(held.reservationId);
  await other.releaseLease();
  const deadline = Date.now() + 5000;
  while (!summaries.some(x => x.budgets.every(b => b.reservedUsd === 0)) && Date.now() < deadline) await new Promise(r => setTimeout(r, 50));
  assert.ok(summaries.some(x => x.budgets.every(b => b.reservedUsd === 0)), JSON.stringify(summaries.map(x => x.budgets)));
  await spend.dispose();
});

test('a record counts in the session, day and month figures from the moment it is appended', async () => {
  const { ledger, spend } = await setup();
  await ledger.append(rec('durable', 'a', 0.5));
  const durable = ledger.append(rec('on-its-way', 'a', 0.25));
  // Nothing has reached the disk yet: the rollups do not have it, what the user sees does.
  assert.equal(ledger.rollups.records, 1);
  assert.equal(ledger.pending.size, 1);
  assert.equal(spend.sessionSpend('a').costUsd, 0.75);
  assert.equal(spend.sessionSpend('a').usage.requests, 2);
  assert.equal(spend.sessionSpend('b').usage.requests, 0);
  const s = spend.summary(NOW);
  assert.equal(s.today.costUsd, 0.75);
  assert.equal(s.thisMonth.usage.requests, 2);
  await durable;
  assert.equal(ledger.pending.size, 0);
  assert.equal(ledger.rollups.records, 2);
  assert.equal(spend.sessionSpend('a').costUsd, 0.75);
  assert.equal(spend.summary(NOW).today.usage.requests, 2);
  // The month's sessions, counted where its money is: in the ledger, of every repository.
  await ledger.append(rec('elsewhere', 'another-repos-session', 0.1));
  assert.equal(spend.series().monthSessions, 2);
  await spend.dispose();
  await ledger.close();
});

test("the meter's budgets line counts a record on its way to disk as spent, as the day's spend beside it does, not as held", async () => {
  const { ledger, spend, budgets } = await setup();
  await ledger.append(rec('durable', 'a', 0.5));
  const held = await budgets.reserve({ sessionId: 'a', model: 'gpt-5.4', estimatedInputTokens: 10_000, maxOutputTokens: 1_000 }, { sessionUsd: null, dayUsd: 50, monthUsd: 500 });
  assert.ok(held.ok);
  const heldUsd = spend.summary(NOW).budgets.find(b => b.scope === 'day')!.reservedUsd;
  assert.ok(heldUsd > 0.02);
  // The response is metered: its record is on its way to disk, its reservation not yet handed back.
  const durable = ledger.append(rec('on-its-way', 'a', 0.02));
  const s = spend.summary(NOW);
  assert.equal(s.today.costUsd, 0.52);
  for (const scope of ['day', 'month'] as const) {
    const b = s.budgets.find(x => x.scope === scope)!;
    assert.equal(b.spentUsd, 0.52, `${scope}: spent as the spend shown`);
    assert.equal(b.reservedUsd, Math.round((heldUsd - 0.02) * 1e6) / 1e6, `${scope}: the rest still held`);
  }
  await durable;
  await budgets.settle(held.reservationId);
  const settled = spend.summary(NOW).budgets.find(b => b.scope === 'day')!;
  assert.deepEqual([settled.spentUsd, settled.reservedUsd], [0.52, 0]);
  await spend.dispose();
  await ledger.close();
});

test('while a record is applied, it is counted once: the rollups take it over from pending in one step', async () => {
  const { ledger, spend } = await setup();
  const seen: number[] = [];
  ledger.onRecords(() => seen.push(spend.sessionSpend('a').usage.requests));
  await Promise.all([ledger.append(rec('x1', 'a', 0.1)), ledger.append(rec('x2', 'a', 0.1)), ledger.append(rec('x3', 'a', 0.1))]);
  assert.ok(seen.length > 0);
  assert.ok(seen.every(requests => requests === 3), `every listener call sees 3 requests, saw ${seen.join(', ')}`);
  await spend.dispose();
  await ledger.close();
});

test("listeners are told which records this process had not appended: another process's", async () => {
  const { dir, ledger, spend } = await setup();
  const unannounced: string[][] = [];
  ledger.onRecords((_, fresh) => void unannounced.push(fresh.map(r => r.id)));
  await ledger.append(rec('mine', 'a', 0.1));
  const other = await Ledger.open(dir);
  await other.append(rec('theirs', 'b', 0.2));
  await other.close();
  assert.deepEqual(await ledger.catchUp().then(rs => rs.map(r => r.id)), ['theirs']);
  assert.deepEqual(unannounced, [[], ['theirs']]);
  assert.equal(spend.sessionSpend('b').costUsd, 0.2);
  await spend.dispose();
  await ledger.close();
});

test('a failed append stops counting as pending', async () => {
  const { ledger, spend } = await setup();
  // The disk refuses the write (full, or gone): the only way to make a real append fail on demand.
  const writer = (ledger as unknown as { writer: { write(b: Buffer): Promise<void> } }).writer;
  writer.write = () => Promise.reject(new Error('no space left on device'));
  const failed = ledger.append(rec('lost', 'a', 0.3));
  assert.equal(spend.sessionSpend('a').costUsd, 0.3);
  await assert.rejects(failed, /no space left/);
  assert.equal(ledger.pending.size, 0);
  assert.equal(spend.sessionSpend('a').costUsd, 0);
  await spend.dispose();
  await ledger.close();
});
