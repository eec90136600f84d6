// What a chained Responses request carries on top of its body: known for responses and conversations this
// process metered, else bounded by the model's context window.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChainContexts } from '../../src/host/gateway/chainContexts';

const chained = (id: string) => ({ model: 'gpt-5.4', previous_response_id: id, input: [] });

test('a response or conversation seen here is carried at its context; one not seen, at the window less the body', () => {
  const c = new ChainContexts();
  c.remember('resp_a', 'conv_1', 30_000);
  assert.deepEqual(c.carried('responses', chained('resp_a'), 'gpt-5.4', 100, 5), { bound: 30_000, likely: 30_000, unknown: false });
  assert.deepEqual(c.carried('responses', { conversation: 'conv_1' }, 'gpt-5.4', 100, 5), { bound: 30_000, likely: 30_000, unknown: false });
  assert.deepEqual(c.carried('responses', { conversation: { id: 'conv_1' } }, 'gpt-5.4', 100, 5).bound, 30_000);
  assert.deepEqual(c.carried('responses', chained('resp_b'), 'gpt-5.4', 100, 5), { bound: 400_000 - 100, likely: 5, unknown: true });
  // A conversation named in a form not read here may hold anything.
  assert.equal(c.carried('responses', { conversation: { name: 'x' } }, 'gpt-5.4', 0, 0).bound, 400_000);
  // Nothing carried: a request on its own, a Chat Completions request.
  assert.deepEqual(c.carried('responses', { input: [] }, 'gpt-5.4', 100, 5), { bound: 0, likely: 0, unknown: false });
  assert.equal(c.carried('chat', chained('resp_a'), 'gpt-5.4', 100, 5).bound, 0);
});

test('a conversation grows with its newest response, and is forgotten when that one was cut', () => {
  const c = new ChainContexts();
  c.remember('resp_1', 'conv', 1_000);
  c.remember('resp_2', 'conv', 9_000);
  assert.equal(c.carried('responses', { conversation: 'conv' }, 'gpt-5.4', 0, 0).bound, 9_000);
  assert.equal(c.carried('responses', chained('resp_1'), 'gpt-5.4', 0, 0).bound, 1_000, 'an earlier response keeps its own');
  c.forget('conv');
  assert.equal(c.carried('responses', { conversation: 'conv' }, 'gpt-5.4', 0, 0).unknown, true);
});

test('the newest 4,096 are kept', () => {
  const c = new ChainContexts();
  for (let i = 0; i < 5000; i++) c.remember(`resp_${i}`, undefined, i);
  assert.equal(c.carried('responses', chained('resp_4999'), 'gpt-5.4', 0, 0).bound, 4999);
  assert.equal(c.carried('responses', chained('resp_904'), 'gpt-5.4', 0, 0).bound, 904);
  assert.equal(c.carried('responses', chained('resp_903'), 'gpt-5.4', 0, 0).unknown, true);
});
