// A request chained to the previous response (previous_response_id) sends a small body but is billed for
// the context the server keeps: the reservation counts it, so a cap holds for agents that chain.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { upstream } from './helpers/engineKit';
import { gatewayFor, post, RecordingLink } from './helpers/gatewayKit';

/** A session whose first request, stored, carried a large context; and a way to chain the next to it. */
async function afterLargeContext(t: import('node:test').TestContext) {
  const up = await upstream(t, {});
  const kit = await gatewayFor(t, up);
  const link = new RecordingLink('s1');
  const token = kit.gateway.register(link);
  const big = `Context: ${'a line of the repository that the agent read. '.repeat(1500)}`;
  const first = await post(kit.gateway, token, { model: 'gpt-5.4', input: [{ type: 'message', role: 'user', content: big }], stream: true, store: true });
  assert.equal(first.status, 200);
  const id = /"id":"(resp_[^"]+)"/.exec(await first.text())?.[1];
  assert.ok(id, 'the first response has an id');
  await kit.gateway.drain('s1');
  assert.ok(link.usage[0]!.record.input > 10_000, `${link.usage[0]!.record.input} input tokens`);
  const chain = () => post(kit.gateway, token, { model: 'gpt-5.4', previous_response_id: id, input: [{ type: 'message', role: 'user', content: 'go on' }], stream: true, store: true });
  /** Room for a small request from here, not for one that carries the context again. */
  const capJustAbove = () => {
    link.caps_ = { sessionUsd: link.usage.reduce((sum, u) => sum + (u.record.costUsd ?? 0), 0) + 0.03, dayUsd: null, monthUsd: null };
  };
  return { up, kit, link, chain, capJustAbove };
}

test('a request chained with previous_response_id reserves the context it carries, and a cap it would pass refuses it', async t => {
  const { link, chain, capJustAbove } = await afterLargeContext(t);
  capJustAbove();
  const chained = await chain();
  assert.equal(chained.status, 402, await chained.text());
  assert.equal(link.usage.length, 1, 'nothing more was spent');
});

test('a chained request whose stream is cut is estimated with the context it carried, and the next one reserves it again', async t => {
  const { up, kit, link, chain, capJustAbove } = await afterLargeContext(t);
  const context = link.usage[0]!.record.input + link.usage[0]!.record.output;
  up.setFaults([{ match: { path: '/responses' }, cutAfterEvents: 2, times: 1 }]);
  await (await chain()).text().catch(() => '');
  await kit.gateway.drain('s1');
  const estimate = link.usage[1]!.record;
  assert.equal(estimate.estimated, true);
  assert.ok(estimate.input >= context, `estimated ${estimate.input} input tokens, the context alone is ${context}`);
  capJustAbove();
  const next = await chain();
  assert.equal(next.status, 402, await next.text());
});
