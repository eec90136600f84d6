// Cached tokens follow the provider's rule (exact prefix, >= 1024 tokens, 128-token steps, per model,
// tier and routing key, idle expiry), and service_tier is echoed as the tier that served the request.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type OpenAI from 'openai';
import type { ResponseInputItem } from 'openai/resources/responses/responses';
import { clientFor, collect, filler, upstreamFor } from '../upstream/testkit';

type CreateParams = Parameters<OpenAI['responses']['create']>[0];

async function usageOf(client: OpenAI, params: Partial<CreateParams>): Promise<{ input: number; cached: number }> {
  const r = await client.responses.create({ model: 'gpt-5', stream: false, input: 'hi', ...params } as CreateParams & { stream: false });
  return { input: r.usage!.input_tokens, cached: r.usage!.input_tokens_details.cached_tokens };
}

const INSTRUCTIONS = filler(8000); // about 2000 tokens
const turn1: ResponseInputItem[] = [{ role: 'user', content: 'Fix the failing test in src/a.ts' }];
const turn2: ResponseInputItem[] = [...turn1, { role: 'assistant', content: 'Looking.' }, { role: 'user', content: 'Also update the docs.' }];

function assertLargestStep(cached: number, previousInput: number): void {
  assert.ok(cached >= 1024, `cached ${cached} >= 1024`);
  assert.equal((cached - 1024) % 128, 0, `cached ${cached} is 1024 + 128k`);
  assert.ok(cached <= previousInput && previousInput - cached <= 128, `cached ${cached} is the largest step within ${previousInput}`);
}

test('a request that appends to an earlier one is cached up to the largest 1024 + 128k prefix', async t => {
  const client = clientFor(await upstreamFor(t));
  const first = await usageOf(client, { instructions: INSTRUCTIONS, input: turn1 });
  assert.equal(first.cached, 0);
  assert.ok(first.input > 1900 && first.input < 2100);
  const second = await usageOf(client, { instructions: INSTRUCTIONS, input: turn2 });
  assert.ok(second.input > first.input);
  assertLargestStep(second.cached, first.input);
  const third = await usageOf(client, { instructions: INSTRUCTIONS, input: [...turn2, { role: 'assistant', content: filler(2000, 'z') }, { role: 'user', content: 'ok' }] });
  assertLargestStep(third.cached, second.input);
  // The same prompt again is cached as far as whole steps go.
  const again = await usageOf(client, { instructions: INSTRUCTIONS, input: turn2 });
  assertLargestStep(again.cached, second.input);
});

test('a changed byte ends the cached prefix at the last whole step before it', async t => {
  const client = clientFor(await upstreamFor(t));
  await usageOf(client, { instructions: INSTRUCTIONS, input: turn1 });
  // Character 4800 of the instructions is about token 1201: only the 1024 and 1152 steps still match.
  const changedLate = INSTRUCTIONS.slice(0, 4800) + '#' + INSTRUCTIONS.slice(4801);
  assert.equal((await usageOf(client, { instructions: changedLate, input: turn1 })).cached, 1152);
  // A change at the very start changes everything (and the routing hash).
  const changedEarly = '#' + INSTRUCTIONS.slice(1);
  assert.equal((await usageOf(client, { instructions: changedEarly, input: turn1 })).cached, 0);
  // Tools come first in the prompt: adding one breaks the cache even with identical instructions.
  const withTool = await usageOf(client, {
    instructions: INSTRUCTIONS, input: turn2,
    tools: [{ type: 'function', name: 'read_file', parameters: { type: 'object', properties: {} }, strict: false }],
  });
  assert.equal(withTool.cached, 0);
});

test('prompt_cache_key, model and tier each separate the cache', async t => {
  const up = await upstreamFor(t);
  const client = clientFor(up);
  const base = { instructions: INSTRUCTIONS, input: turn1 };
  const first = await usageOf(client, { ...base, prompt_cache_key: 'session-a' });
  assert.equal((await usageOf(client, { ...base, prompt_cache_key: 'session-b' })).cached, 0);
  assertLargestStep((await usageOf(client, { ...base, prompt_cache_key: 'session-a' })).cached, first.input);
  assert.equal((await usageOf(client, { ...base, prompt_cache_key: 'session-a', model: 'gpt-5.4' })).cached, 0);
  assert.equal((await usageOf(client, { ...base, prompt_cache_key: 'session-a', service_tier: 'priority' })).cached, 0);
  assert.ok((await usageOf(client, { ...base, prompt_cache_key: 'session-a', service_tier: 'fast' })).cached > 0, 'fast is served as priority');
  assert.ok((await usageOf(client, { ...base, prompt_cache_key: 'session-a', service_tier: 'auto' })).cached > 0, 'auto is served as default');
  up.resetCache();
  assert.equal((await usageOf(client, { ...base, prompt_cache_key: 'session-a' })).cached, 0);
});

test('prompts under 1024 tokens are never cached', async t => {
  const client = clientFor(await upstreamFor(t));
  const small = { instructions: filler(3900), input: turn1 };
  const a = await usageOf(client, small);
  const b = await usageOf(client, small);
  assert.ok(b.input < 1024);
  assert.deepEqual([a.cached, b.cached], [0, 0]);
});

test('cache entries expire after cacheTtlMs without use, and each hit refreshes them', async t => {
  let now = 1_000_000;
  const client = clientFor(await upstreamFor(t, { cacheTtlMs: 1000, clock: () => now }));
  const base = { instructions: INSTRUCTIONS, input: turn1 };
  await usageOf(client, base);
  now += 999;
  assert.ok((await usageOf(client, base)).cached > 0);
  now += 999;
  assert.ok((await usageOf(client, base)).cached > 0, 'the previous hit refreshed the entry');
  now += 1000;
  assert.equal((await usageOf(client, base)).cached, 0);
});

test('Chat Completions caches appended messages by the same rule and reports prompt_tokens_details', async t => {
  const client = clientFor(await upstreamFor(t));
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'system', content: INSTRUCTIONS }, { role: 'user', content: 'go' }];
  const first = await client.chat.completions.create({ model: 'gpt-4.1', messages });
  assert.equal(first.usage!.prompt_tokens_details!.cached_tokens, 0);
  const second = await client.chat.completions.create({
    model: 'gpt-4.1', messages: [...messages, { role: 'assistant', content: 'done.' }, { role: 'user', content: 'more' }],
  });
  assertLargestStep(second.usage!.prompt_tokens_details!.cached_tokens!, first.usage!.prompt_tokens);
});

test('service_tier echoes the tier used: priority/fast -> priority, flex -> flex, else default; servedTier overrides', async t => {
  const up = await upstreamFor(t);
  const client = clientFor(up);
  const cases: [('priority' | 'fast' | 'flex' | 'default' | 'auto') | undefined, string][] = [
    ['priority', 'priority'], ['fast', 'priority'], ['flex', 'flex'], ['default', 'default'], ['auto', 'default'], [undefined, 'default'],
  ];
  for (const [asked, served] of cases) {
    const r = await client.responses.create({ model: 'gpt-5', input: 'x', ...(asked ? { service_tier: asked } : {}) });
    assert.equal(r.service_tier, served, `asked ${asked}`);
    const c = await client.chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'x' }], ...(asked ? { service_tier: asked } : {}) });
    assert.equal(c.service_tier, served, `chat asked ${asked}`);
  }
  // While in progress the response shows the tier asked for; the served one arrives with response.completed.
  const events = await collect(await client.responses.create({ model: 'gpt-5', input: 'x', stream: true }));
  assert.ok(events[0]!.type === 'response.created' && events[0]!.response.service_tier === 'auto');

  up.setOptions({ servedTier: 'flex' });
  assert.equal((await client.responses.create({ model: 'gpt-5', input: 'x', service_tier: 'priority' })).service_tier, 'flex');
  assert.equal(up.requests.at(-1)!.servedTier, 'flex');
  up.setOptions({ servedTier: undefined });
  assert.equal((await client.responses.create({ model: 'gpt-5', input: 'x', service_tier: 'priority' })).service_tier, 'priority');
});
