import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromAnthropicUsage, fromChatUsage, fromResponsesUsage, fromServiceTier, toServiceTier, usageReadable } from '../../src/host/pricing/usage';

test('Responses usage: cached and cache-write inside input, reasoning inside output', () => {
  const u = fromResponsesUsage({
    input_tokens: 5_000,
    input_tokens_details: { cached_tokens: 3_072, cache_write_tokens: 1_024 },
    output_tokens: 900,
    output_tokens_details: { reasoning_tokens: 640 },
  });
  assert.deepEqual(u, { input: 5_000, cached: 3_072, cacheWrite: 1_024, output: 900, reasoning: 640 });
});

test('Responses usage from older models has no cache_write_tokens', () => {
  const u = fromResponsesUsage({ input_tokens: 2_000, input_tokens_details: { cached_tokens: 1_920 }, output_tokens: 10, output_tokens_details: { reasoning_tokens: 0 } });
  assert.deepEqual(u, { input: 2_000, cached: 1_920, cacheWrite: 0, output: 10, reasoning: 0 });
});

test('Chat Completions usage', () => {
  const u = fromChatUsage({
    prompt_tokens: 1_500,
    prompt_tokens_details: { cached_tokens: 1_280, cache_write_tokens: 0 },
    completion_tokens: 300,
    completion_tokens_details: { reasoning_tokens: 200 },
  });
  assert.deepEqual(u, { input: 1_500, cached: 1_280, cacheWrite: 0, output: 300, reasoning: 200 });
  // A local server that sends only the totals
  assert.deepEqual(fromChatUsage({ prompt_tokens: 42, completion_tokens: 7 }), { input: 42, cached: 0, cacheWrite: 0, output: 7, reasoning: 0 });
});

test('Anthropic usage: input_tokens excludes cache reads and writes, so the total is their sum', () => {
  const u = fromAnthropicUsage({ input_tokens: 50, cache_read_input_tokens: 10_000, cache_creation_input_tokens: 2_000, output_tokens: 400 });
  assert.deepEqual(u, { input: 12_050, cached: 10_000, cacheWrite: 2_000, output: 400, reasoning: 0 });
});

test('missing, null, negative or fractional counts do not poison the totals', () => {
  assert.deepEqual(fromResponsesUsage(undefined), { input: 0, cached: 0, cacheWrite: 0, output: 0, reasoning: 0 });
  assert.deepEqual(fromChatUsage(null), { input: 0, cached: 0, cacheWrite: 0, output: 0, reasoning: 0 });
  assert.deepEqual(
    fromResponsesUsage({ input_tokens: 10.7, input_tokens_details: null, output_tokens: -3, output_tokens_details: { reasoning_tokens: Number.NaN } }),
    { input: 10, cached: 0, cacheWrite: 0, output: 0, reasoning: 0 },
  );
});

test('a part larger than its whole raises the whole (never bills less than the parts)', () => {
  const u = fromChatUsage({ prompt_tokens: 100, prompt_tokens_details: { cached_tokens: 1_000 }, completion_tokens: 5, completion_tokens_details: { reasoning_tokens: 50 } });
  assert.deepEqual(u, { input: 1_000, cached: 1_000, cacheWrite: 0, output: 50, reasoning: 50 });
});

test('tiers to the API: standard is sent as "default"', () => {
  assert.equal(toServiceTier('standard'), 'default');
  assert.equal(toServiceTier('priority'), 'priority');
  assert.equal(toServiceTier('flex'), 'flex');
});

test('tiers from a response: fast and priority are one tier; auto or nothing says nothing', () => {
  assert.equal(fromServiceTier('priority'), 'priority');
  assert.equal(fromServiceTier('fast'), 'priority');
  assert.equal(fromServiceTier('Fast'), 'priority');
  assert.equal(fromServiceTier('default'), 'standard');
  assert.equal(fromServiceTier('flex'), 'flex');
  assert.equal(fromServiceTier('auto'), 'unknown');
  assert.equal(fromServiceTier('ultrafast'), 'unknown');
  assert.equal(fromServiceTier('scale'), 'unknown');
  assert.equal(fromServiceTier(undefined), 'unknown');
  assert.equal(fromServiceTier(null), 'unknown');
  assert.equal(fromServiceTier(''), 'unknown');
});

test('usage that cannot be billed from (a count as a string, a negative or missing total) is unreadable: charged from an estimate, not as zero', () => {
  assert.equal(usageReadable('responses', { input_tokens: 1_440, output_tokens: 6, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } }), true);
  assert.equal(usageReadable('chat', { prompt_tokens: 42, completion_tokens: 7 }), true, 'totals alone, as local servers send');
  assert.equal(usageReadable('chat', { prompt_tokens: 42, completion_tokens: 7, completion_tokens_details: { reasoning_tokens: null, note: 'x' } }), true, 'details of their own are let be');
  for (const bad of [
    { input_tokens: '1440', output_tokens: 6 },
    { input_tokens: -100_000, output_tokens: -5_000 },
    { input_tokens: 0, output_tokens: 0, input_tokens_details: { cached_tokens: 0 } },
    { output_tokens: 6 },
    { input_tokens: 1_440, output_tokens: Number.NaN },
    { input_tokens: 1_440, output_tokens: 6, input_tokens_details: { cached_tokens: '12' } },
    null,
    'usage',
  ]) {
    assert.equal(usageReadable('responses', bad), false, JSON.stringify(bad));
  }
  assert.equal(usageReadable('chat', { input_tokens: 5, output_tokens: 1 }), false, 'the other API\'s names');
});
