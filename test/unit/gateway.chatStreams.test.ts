// What an agent speaking Chat Completions gets through the gateway: the usage chunk the gateway needs to
// meter a stream is asked for, and taken out of the stream again when the agent did not ask for it (its
// choices are empty, which a client reading choices[0] of every chunk fails on); output caps it sent are
// held to the session's, and one it did not send is added in the form the server takes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applySessionPolicy } from '../../src/host/gateway/policy';
import { upstream } from './helpers/engineKit';
import { gatewayFor, post, RecordingLink } from './helpers/gatewayKit';

const chunksOf = (sse: string) => sse.split('\n').filter(l => l.startsWith('data: {')).map(l => JSON.parse(l.slice(6)) as { choices: unknown[]; usage?: unknown });

test('a chat stream is metered from a usage chunk that only an agent that asked for it reads', async t => {
  const up = await upstream(t, {});
  const { gateway } = await gatewayFor(t, up);
  for (const asked of [false, true]) {
    const link = new RecordingLink(`s-${asked}`);
    const body = { model: 'gpt-5.4', messages: [{ role: 'user', content: 'hello' }], stream: true, ...(asked ? { stream_options: { include_usage: true } } : {}) };
    const r = await post(gateway, gateway.register(link), body, 'chat/completions');
    const text = await r.text();
    await gateway.drain(`s-${asked}`);
    const chunks = chunksOf(text);
    assert.ok(chunks.length > 1, text);
    assert.equal(chunks.some(c => c.choices.length === 0 && c.usage), asked, `asked: ${asked}`);
    assert.match(text, /data: \[DONE\]/);
    assert.equal(link.usage[0]!.record.estimated, undefined, 'metered from the usage, either way');
    assert.ok(link.usage[0]!.record.output > 0);
  }
  assert.deepEqual(up.requests.map(r => (r.body as { stream_options?: unknown }).stream_options), [{ include_usage: true }, { include_usage: true }]);
});

test('a chat request sent again (as after a stream cut once its usage came) is no turn without output for the loop guard; the last response still closes the trace', async t => {
  const up = await upstream(t, {});
  const { gateway } = await gatewayFor(t, up);
  const link = new RecordingLink('s-retry');
  const token = gateway.register(link);
  const body = { model: 'gpt-5.4', messages: [{ role: 'user', content: 'fix the build' }], stream: true };
  for (let i = 0; i < 5; i++) {
    await (await post(gateway, token, body, 'chat/completions')).text();
    await gateway.drain('s-retry');
  }
  assert.equal(link.usage.length, 5);
  assert.equal(link.turns.length, 0, 'what a chat stream answered is not read, so it is not judged as nothing');
  await gateway.closeTurns('s-retry');
  assert.equal(link.turns.length, 1, "the run's last response is the trace's last turn, so its costs add up");
  assert.equal(link.turns[0]!.closed, true);
});

test('chat output caps: every one sent is held to the session\'s; with none, the form the server takes is added', () => {
  const apply = (body: Record<string, unknown>, isOpenAI: boolean) => {
    applySessionPolicy('chat', body, { tier: 'standard', cacheKey: 'k', maxOutputTokens: 4096, isOpenAI });
    return { max_tokens: body.max_tokens, max_completion_tokens: body.max_completion_tokens };
  };
  assert.deepEqual(apply({ max_tokens: 99_999, max_completion_tokens: 100 }, false), { max_tokens: 4096, max_completion_tokens: 4096 });
  assert.deepEqual(apply({}, true), { max_tokens: undefined, max_completion_tokens: 4096 });
  assert.deepEqual(apply({}, false), { max_tokens: 4096, max_completion_tokens: undefined });
  assert.deepEqual(apply({ max_tokens: 10 }, true), { max_tokens: 4096, max_completion_tokens: undefined });
});
