// What a request is charged when its usage never arrived (a cut stream, or a process that died mid-request).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { estimatedUsage } from '../../src/host/gateway/meter';

test('an estimate counts the input as sent, uncached, the text seen and the reasoning the session tends to spend', () => {
  const u = estimatedUsage({ requestBytes: 4000, streamedChars: 400, lastReasoning: 500, maxOutputTokens: 8192 });
  assert.deepEqual(u, { input: 1000, cached: 0, cacheWrite: 0, output: 100 + 500, reasoning: 500 });
  assert.equal(estimatedUsage({ requestBytes: 4000, streamedChars: 0, lastReasoning: undefined, maxOutputTokens: 8192 }).output, 0);
});

test('an estimate never charges more output than the request allowed (a cap shrunk to fit a budget)', () => {
  const u = estimatedUsage({ requestBytes: 40_000, streamedChars: 2000, lastReasoning: 8000, maxOutputTokens: 256 });
  assert.equal(u.reasoning, 256);
  assert.equal(u.output, 256);
  assert.ok(u.reasoning <= u.output);
});
