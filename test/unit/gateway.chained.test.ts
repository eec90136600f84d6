// A request chained to the previous response (previous_response_id) sends a small body but is billed for
// the context the server keeps: the reservation counts it, so a cap holds for agents that chain. Its turn is
// the last response's calls and the outputs it sends, so the loop guard judges such agents too.
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
  return { up, kit, link, id, chain, capJustAbove };
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

test('a request chained to an earlier response than the last reserves that response\'s context, not the last one\'s', async t => {
  const { kit, link, chain, capJustAbove } = await afterLargeContext(t);
  const token = kit.gateway.register(link);
  // A small request on its own between them: the last response is now a small one.
  assert.equal((await post(kit.gateway, token, { model: 'gpt-5.4', input: [{ type: 'message', role: 'user', content: 'a small aside' }], stream: true, store: true })).status, 200);
  await kit.gateway.drain('s1');
  capJustAbove();
  const chained = await chain();
  assert.equal(chained.status, 402, await chained.text());
  assert.equal(link.usage.length, 2, 'nothing more was spent');
});

test('a request chained to a response this process never saw reserves the whole context window, and is billed what it used', async t => {
  const { up, link, id } = await afterLargeContext(t);
  // Another process (a resume, another CLI run): the same upstream, a gateway that knows nothing of the chain.
  const other = await gatewayFor(t, up);
  const elsewhere = new RecordingLink('s2');
  const token = other.gateway.register(elsewhere);
  const body = { model: 'gpt-5.4', previous_response_id: id, input: [{ type: 'message', role: 'user', content: 'go on' }], stream: true, store: true };
  // $0.50 does not hold 400,000 tokens of gpt-5.4 input ($1.00): whatever the id names, the cap holds.
  elsewhere.caps_ = { sessionUsd: 0.5, dayUsd: null, monthUsd: null };
  const refused = await post(other.gateway, token, body);
  assert.equal(refused.status, 402);
  assert.match(await refused.text(), /goes on from a response or conversation this process has not seen/);
  assert.equal(elsewhere.usage.length, 0);
  // A budget too small for the request even without what it carries: refused, without blaming the chain.
  elsewhere.caps_ = { sessionUsd: 0.000001, dayUsd: null, monthUsd: null };
  const tiny = await post(other.gateway, token, body);
  assert.equal(tiny.status, 402);
  assert.doesNotMatch(await tiny.text(), /this process has not seen/);
  elsewhere.caps_ = { sessionUsd: 5, dayUsd: null, monthUsd: null };
  const sent = await post(other.gateway, token, body);
  const answer = await sent.text();
  assert.equal(sent.status, 200, answer);
  await other.gateway.drain('s2');
  assert.ok(elsewhere.usage[0]!.record.input >= link.usage[0]!.record.input, 'billed with the context it carried');
  assert.ok(!elsewhere.usage[0]!.record.estimated, 'billed from its usage');
});

/** A session whose model calls `npm test` every turn; `send` posts a stored, streamed request and reads the response's id and call. */
async function loopingSession(t: import('node:test').TestContext) {
  const loop = { repeatLast: true, steps: [{ calls: [{ name: 'run_command', arguments: { command: 'npm test' } }] }] };
  const up = await upstream(t, { scripts: { loop } });
  const kit = await gatewayFor(t, up);
  const link = new RecordingLink('s1');
  const token = kit.gateway.register(link);
  const send = async (body: Record<string, unknown>) => {
    const text = await (await post(kit.gateway, token, { model: 'gpt-5.4', stream: true, store: true, ...body })).text();
    await kit.gateway.drain('s1');
    const sent = { id: /"id":"(resp_[^"]+)"/.exec(text)?.[1], callId: /"call_id":"([^"]+)"/.exec(text)?.[1] };
    assert.ok(sent.id && sent.callId, text.slice(0, 300));
    return sent;
  };
  const output = (callId: string | undefined) => [{ type: 'function_call_output', call_id: callId, output: 'FAIL test/math.test.js > adds: expected 4, received 5' }];
  const task = [{ type: 'message', role: 'user', content: '[script:loop] make the tests pass' }];
  return { link, send, output, task };
}

test('an agent that chains its turns with previous_response_id is judged by the loop guard like one that resends them', async t => {
  const { link, send, output, task } = await loopingSession(t);
  let last = await send({ input: task });
  for (let i = 1; i < 8 && !link.decisions.some(d => d.level === 'stop' || d.level === 'pause'); i++) {
    last = await send({ previous_response_id: last.id, input: output(last.callId) });
  }
  assert.ok(link.turns.length >= 3, `${link.turns.length} turns`);
  assert.deepEqual(link.turns.map(x => x.toolCalls.map(c => c.name)), link.turns.map(() => ['run_command']));
  assert.ok(link.decisions.some(d => d.level !== 'ok'), `the guard saw ${link.turns.length} turns: ${JSON.stringify(link.decisions.map(d => d.level))}`);
});

test('a chained request going on from another response than the last is not paired with the last one\'s calls', async t => {
  const { link, send, output, task } = await loopingSession(t);
  const first = await send({ input: task });
  await send({ previous_response_id: first.id, input: output(first.callId) });
  assert.equal(link.turns.length, 1, 'the chain from the first response: its call and its output');
  // Back to the first response (a retry from an earlier point, or a second chain): the last response's
  // calls are not this request's.
  await send({ previous_response_id: first.id, input: output(first.callId) });
  assert.equal(link.turns.length, 1);
});
