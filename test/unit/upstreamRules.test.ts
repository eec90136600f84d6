// The test upstream's rules, exactly: stand-in tokenizer, cache steps, turn counting, output budget.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FaultBook } from '../upstream/faults';
import { cacheNamespace, PromptCache } from '../upstream/promptCache';
import { formatReset } from '../upstream/rateLimit';
import { countModelTurns } from '../upstream/responsesRequest';
import { planTurn, renderStep, textDeltas } from '../upstream/script';
import { countTokens, tokenizePrompt, truncateToTokens } from '../upstream/tokens';

// JSON.stringify('x'.repeat(n)) is n + 2 bytes: n = 4t - 2 gives exactly t tokens.
const promptOf = (tokens: number, ch = 'x'): string[] => [ch.repeat(tokens * 4 - 2)];

test('tokens are 4 bytes of UTF-8, and truncation never splits a character', () => {
  assert.equal(countTokens(''), 0);
  assert.equal(countTokens('abcd'), 1);
  assert.equal(countTokens('abcde'), 2);
  assert.equal(countTokens('é'.repeat(4)), 2);
  assert.equal(truncateToTokens('abcdefgh', 1), 'abcd');
  assert.equal(truncateToTokens('aé€😀', 2), 'aé€', 'a(1) é(2) €(3) = 6 bytes; the emoji (4) would pass 8');
  assert.equal(truncateToTokens('short', 10), 'short');
});

test('prompt prefixes are hashed at 1024 + 128k tokens; the routing hash covers the first 256 tokens', () => {
  assert.deepEqual(tokenizePrompt(promptOf(1023)).prefixHashes, []);
  assert.equal(tokenizePrompt(promptOf(1024)).prefixHashes.length, 1);
  assert.equal(tokenizePrompt(promptOf(1151)).prefixHashes.length, 1);
  assert.equal(tokenizePrompt(promptOf(1152)).prefixHashes.length, 2);
  const a = tokenizePrompt(promptOf(2000));
  const b = tokenizePrompt([`${'x'.repeat(1200 * 4)}y${'x'.repeat(799 * 4 + 1)}`]);
  assert.equal(a.tokens, 2000);
  assert.equal(b.tokens, 2000);
  assert.equal(a.routingHash, b.routingHash);
  // The byte that differs is in token 1200: the 1024 and 1152 prefixes agree, the rest do not.
  assert.deepEqual(a.prefixHashes.map((h, i) => h === b.prefixHashes[i]), [true, true, false, false, false, false, false, false]);
  assert.notEqual(tokenizePrompt(['y' + 'x'.repeat(100)]).routingHash, tokenizePrompt(['x'.repeat(101)]).routingHash);
});

test('the cache hands back the largest matching step, per namespace, until idle for the TTL', () => {
  let now = 0;
  const cache = new PromptCache(() => 100, () => now);
  const ns = cacheNamespace('gpt-5', 'default', undefined, 'r');
  assert.equal(cache.lookupAndStore(ns, tokenizePrompt(promptOf(1300))), 0);
  assert.equal(cache.lookupAndStore(ns, tokenizePrompt(promptOf(5000))), 1280);
  assert.equal(cache.lookupAndStore(ns, tokenizePrompt(promptOf(1100))), 1024);
  assert.equal(cache.lookupAndStore(cacheNamespace('gpt-5', 'priority', undefined, 'r'), tokenizePrompt(promptOf(1300))), 0);
  assert.equal(cache.lookupAndStore(cacheNamespace('gpt-5', 'default', 'k', 'r'), tokenizePrompt(promptOf(1300))), 0);
  now = 99;
  assert.equal(cache.lookupAndStore(ns, tokenizePrompt(promptOf(1025))), 1024);
  now = 198;
  assert.equal(cache.lookupAndStore(ns, tokenizePrompt(promptOf(5000))), 1024, 'only the refreshed 1024 prefix is still warm');
  now = 400;
  assert.equal(cache.lookupAndStore(ns, tokenizePrompt(promptOf(5000))), 0);
  assert.ok(cache.size <= tokenizePrompt(promptOf(5000)).prefixHashes.length, 'expired entries are swept');
});

test('model turns: consecutive model items are one turn; tool outputs and user messages end it', () => {
  const user = { role: 'user', content: 'x' };
  const call = (id: string) => ({ type: 'function_call', call_id: id, name: 'f', arguments: '{}' });
  const out = (id: string) => ({ type: 'function_call_output', call_id: id, output: '' });
  assert.equal(countModelTurns([user]), 0);
  assert.equal(countModelTurns([user, { type: 'reasoning', id: 'r', summary: [] }, { type: 'message', role: 'assistant', content: [] }, call('a')]), 1);
  assert.equal(countModelTurns([user, call('a'), out('a'), call('b'), out('b')]), 2);
  // Ids from this server carry their response, so interleaved parallel calls stay one turn...
  const t1 = '0123456789abcdef';
  const t2 = 'fedcba9876543210';
  assert.equal(countModelTurns([user, call(`call_${t1}_0`), out(`call_${t1}_0`), call(`call_${t1}_1`), out(`call_${t1}_1`)]), 1);
  // ...and two responses' calls side by side stay two.
  assert.equal(countModelTurns([user, call(`call_${t1}_0`), call(`call_${t2}_0`)]), 2);
});

test('the output budget is spent on reasoning, then text, then whole calls', () => {
  const step = renderStep({ text: 'abcdefgh', calls: [{ name: 'fn', arguments: { a: 1 } }], reasoningTokens: 3 }, { task: '', turn: 1, n: 1 });
  assert.deepEqual(step.calls, [{ name: 'fn', arguments: '{"a":1}' }]);
  const full = planTurn(step, undefined);
  assert.equal(full.outputTokens, 3 + 2 + 1 + 2);
  assert.equal(full.truncated, false);
  const cut = planTurn(step, 7);
  assert.deepEqual(cut.text, { text: 'abcdefgh', complete: true });
  assert.deepEqual(cut.calls, [{ name: 'fn', arguments: '{"a"', complete: false }]);
  assert.equal(cut.outputTokens, 7);
  assert.deepEqual(planTurn(step, 6).calls, [], 'a call whose name does not fit is not started');
  assert.equal(cut.truncated, true);
  assert.deepEqual(planTurn(step, 2), { calls: [], reasoningTokens: 2, outputTokens: 2, truncated: true });
  assert.deepEqual(textDeltas(' a  b\nc '), [' a', '  b', '\nc', ' ']);
});

test('faults fire in order, at most `times`, only where they match', () => {
  const book = new FaultBook();
  book.set([{ match: { path: '/chat/completions', nth: 2 }, status: 500 }, { status: 429, times: 1 }]);
  assert.equal(book.take({ path: '/v1/chat/completions', n: 2 })?.status, 500);
  assert.equal(book.take({ path: '/v1/responses', n: 2 })?.status, 429);
  assert.equal(book.take({ path: '/v1/responses', n: 3 }), undefined);
  assert.equal(book.take({ path: '/v1/chat/completions', n: 2 })?.status, 500);
});

test('rate-limit resets use the provider duration format', () => {
  assert.equal(formatReset(20), '20ms');
  assert.equal(formatReset(1500), '1.5s');
  assert.equal(formatReset(360_000), '6m0s');
  assert.equal(formatReset(61_250), '1m1.25s');
});

test('an assistant message followed by its calls is one turn, even when the calls carry server ids', () => {
  const items = [
    { type: 'message', role: 'user', content: 'task' },
    { type: 'function_call', call_id: 'call_aaaaaaaaaaaaaaaa_0', name: 'a', arguments: '{}' },
    { type: 'function_call_output', call_id: 'call_aaaaaaaaaaaaaaaa_0', output: 'x' },
    { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'next' }] },
    { type: 'function_call', call_id: 'call_bbbbbbbbbbbbbbbb_0', name: 'b', arguments: '{}' },
    { type: 'function_call_output', call_id: 'call_bbbbbbbbbbbbbbbb_0', output: 'y' },
  ];
  assert.equal(countModelTurns(items), 2);
});
