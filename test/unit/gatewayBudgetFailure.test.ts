// When the machine-wide budget lock cannot be taken (100 sessions queueing on it, found by the fleet
// benchmark), a request is refused as retryable before it reaches the upstream, and a reservation that
// cannot be released after a response is logged, never left as an unhandled rejection that ends the host.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { BudgetKeeper } from '../../src/host/budgets/budgetKeeper';
import { MemoryReservationStore } from '../../src/host/budgets/reservations';
import { Gateway } from '../../src/host/gateway/gateway';
import { Ledger } from '../../src/host/ledger/ledger';
import { loadPriceTable } from '../../src/host/pricing/priceTable';
import { DEFAULT_GUARD } from '../../src/host/settings';
import { LockTimeoutError } from '../../src/host/util/fileLock';
import { tempDir, upstream } from './helpers/engineKit';
import { post, RecordingLink, responsesBody } from './helpers/gatewayKit';

/** Real budgets whose machine-wide lock can be made to time out, on the next reserve or release. */
class FlakyBudgets extends BudgetKeeper {
  failNext: 'reserve' | 'settle' | undefined;

  override reserve(...args: Parameters<BudgetKeeper['reserve']>): ReturnType<BudgetKeeper['reserve']> {
    if (this.failNext === 'reserve') return this.timeOut();
    return super.reserve(...args);
  }

  override settle(...args: Parameters<BudgetKeeper['settle']>): ReturnType<BudgetKeeper['settle']> {
    if (this.failNext === 'settle') return this.timeOut();
    return super.settle(...args);
  }

  private timeOut(): Promise<never> {
    this.failNext = undefined;
    return Promise.reject(new LockTimeoutError('/home/ledger/budgets.lock', null, 10_000));
  }
}

async function kit(t: TestContext) {
  const up = await upstream(t, { scripts: { s: { steps: [{ text: 'hello there, all fine' }] } } });
  const ledger = await Ledger.open(path.join(tempDir(t, 'sy-gwb-'), 'ledger'));
  const prices = loadPriceTable();
  const budgets = new FlakyBudgets({ ledger, store: new MemoryReservationStore(), prices: () => prices });
  const logs: string[] = [];
  const gateway = new Gateway({
    ledger,
    budgets,
    prices: () => prices,
    upstream: () => ({ baseURL: up.url, apiKey: 'sk-user-key', headers: {}, isOpenAI: false }),
    guardSettings: () => DEFAULT_GUARD,
    maxOutputTokens: () => 4096,
    headless: true,
    log: (level, message) => logs.push(`${level}: ${message}`),
  });
  t.after(async () => {
    await gateway.close();
    await ledger.close();
  });
  const link = new RecordingLink('s1');
  const token = gateway.register(link);
  const body = { ...responsesBody({ input: [{ role: 'user', content: '[script:s] say hello' }] }), stream: true };
  return { up, ledger, budgets, gateway, link, token, body, logs };
}

test('a budget lock that times out refuses the request as retryable, before the upstream sees it', async t => {
  const k = await kit(t);
  k.budgets.failNext = 'reserve';
  const res = await post(k.gateway, k.token, k.body);
  assert.equal(res.status, 503);
  const err = (await res.json()) as { error: { code: string; message: string } };
  assert.equal(err.error.code, 'budget_unavailable');
  assert.match(err.error.message, /budget could not be checked .*budgets\.lock within 10000 ms/);
  assert.equal(k.up.requests.length, 0);
  assert.ok(k.logs.some(l => /^warn: Budget reservation for session s1 failed/.test(l)));

  // The next request goes through as usual.
  const ok = await post(k.gateway, k.token, k.body);
  assert.equal(ok.status, 200);
  await ok.text();
  await k.gateway.drain('s1');
  assert.equal(k.link.usage.length, 1);
});

test('a reservation that cannot be released is logged; the response and its record are intact', async t => {
  const k = await kit(t);
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  t.after(() => process.off('unhandledRejection', onUnhandled));

  k.budgets.failNext = 'settle';
  const res = await post(k.gateway, k.token, k.body);
  assert.equal(res.status, 200);
  assert.match(await res.text(), /response\.completed/);
  await k.gateway.drain('s1');
  // Rejections are reported once the microtask queue is empty.
  await new Promise(resolve => setImmediate(resolve));
  assert.deepEqual(unhandled, []);
  assert.equal(k.link.usage.length, 1, 'the response was metered');
  assert.equal(k.ledger.rollups.records, 1);
  assert.ok(k.logs.some(l => /^warn: Releasing the budget reservation of session s1 failed: could not take the lock/.test(l)), k.logs.join('\n'));
});
