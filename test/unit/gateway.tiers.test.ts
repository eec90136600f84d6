// What the tier changes at the gateway. Cost follows the tier a response says served it (API-FACTS.md); a
// tier the model has no price for (flex where it has none, ultrafast) is counted at the model's dearest
// price, an upper bound, so caps hold. Flex may be slow: its requests wait longer for a first byte.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { costAtDearest, costOf } from '../../src/host/pricing/cost';
import { loadPriceTable } from '../../src/host/pricing/priceTable';
import type { UsageRecord } from '../../src/protocol/records';
import type { Tier } from '../../src/protocol/types';
import { upstream } from './helpers/engineKit';
import { gatewayFor, post, RecordingLink, responsesBody } from './helpers/gatewayKit';

async function served(t: import('node:test').TestContext, model: string, asked: Tier, servedTier: string): Promise<{ record: UsageRecord; link: RecordingLink }> {
  const up = await upstream(t, { servedTier });
  // Requests noted ahead, as the engine notes them: the note is priced at the tier asked for.
  const noted: UsageRecord[] = [];
  const kit = await gatewayFor(t, up, { inflight: { begin: r => noted.push(r), end: () => {} } });
  const link = new RecordingLink('s1', model);
  link.currentTier = asked;
  link.caps_ = { sessionUsd: 5, dayUsd: null, monthUsd: null };
  const r = await post(kit.gateway, kit.gateway.register(link), responsesBody({ model, input: [{ type: 'message', role: 'user', content: 'hello' }] }));
  assert.equal(r.status, 200, await r.clone().text());
  await r.text();
  await kit.gateway.drain('s1');
  return { record: link.usage[0]!.record, link };
}

const tokensOf = (r: UsageRecord) => ({ input: r.input, cached: r.cached, cacheWrite: r.cacheWrite, output: r.output, reasoning: r.reasoning });

test('a response served at a tier its model has no price for is counted at the dearest price, as an estimate, and said once', async t => {
  const prices = loadPriceTable();
  // gpt-4.1 has no flex price (API-FACTS.md), yet a server may say it served flex.
  const flex = await served(t, 'gpt-4.1', 'flex', 'flex');
  assert.equal(flex.record.servedTier, 'flex');
  assert.equal(flex.record.estimated, true);
  assert.equal(flex.record.costBound, true, 'the tokens are exact; the cost is the bound');
  assert.equal(flex.record.costUsd, costAtDearest(prices, 'gpt-4.1', tokensOf(flex.record)).costUsd);
  assert.ok((flex.record.costUsd ?? 0) > (costOf(prices, 'gpt-4.1', 'standard', tokensOf(flex.record)).costUsd ?? Infinity));
  assert.deepEqual(flex.link.tierUnpriced, ['gpt-4.1 flex']);
  // A tier with no price anywhere here.
  const ultra = await served(t, 'gpt-5.4', 'priority', 'ultrafast');
  assert.equal(ultra.record.servedTier, 'unknown');
  assert.equal(ultra.record.estimated, true);
  assert.equal(ultra.record.costUsd, costAtDearest(prices, 'gpt-5.4', tokensOf(ultra.record)).costUsd);
  assert.deepEqual(ultra.link.tierUnpriced, ['gpt-5.4 ultrafast']);
});

test('asked at a tier its model has no price for and served at one it has, a response is billed exactly, and nothing is said', async t => {
  const prices = loadPriceTable();
  const served_ = await served(t, 'gpt-4.1', 'flex', 'default');
  assert.equal(served_.record.servedTier, 'standard');
  assert.equal(served_.record.estimated, undefined);
  assert.equal(served_.record.costUsd, costOf(prices, 'gpt-4.1', 'standard', tokensOf(served_.record)).costUsd);
  assert.deepEqual(served_.link.tierUnpriced, []);
});

test('a response that names no tier, or "auto", is billed at the tier asked for, exactly', async t => {
  const prices = loadPriceTable();
  const auto = await served(t, 'gpt-5.4', 'flex', 'auto');
  assert.equal(auto.record.estimated, undefined);
  assert.equal(auto.record.costUsd, costOf(prices, 'gpt-5.4', 'flex', tokensOf(auto.record)).costUsd);
  assert.deepEqual(auto.link.tierUnpriced, []);
});

test('a flex request may wait longer for its first byte than one of another tier before the gateway gives up on it', async t => {
  const up = await upstream(t, {});
  up.setFaults([{ match: { path: '/responses' }, delayMs: 600 }]);
  const kit = await gatewayFor(t, up, { upstreamSilenceMs: { other: 200, flex: 2000, said: 300 } });
  const outcome = async (tier: Tier) => {
    const link = new RecordingLink(`s-${tier}`);
    link.currentTier = tier;
    const r = await post(kit.gateway, kit.gateway.register(link), responsesBody({ input: [{ type: 'message', role: 'user', content: 'hello' }] }));
    return { status: r.status, text: await r.text(), silences: link.silences };
  };
  const standard = await outcome('standard');
  assert.notEqual(standard.status, 200);
  assert.match(standard.text, /sent nothing for 0\.2 s/);
  assert.deepEqual(standard.silences, [], 'failed before its silence was worth saying');
  const flex = await outcome('flex');
  assert.equal(flex.status, 200, flex.text);
  // Its wait is said in its transcript meanwhile, with how long it may last.
  assert.deepEqual(flex.silences, ['300 of 2000 at flex']);
});
