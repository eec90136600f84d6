// How long a server asks to be left alone, in each of the forms servers use.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retryAfterMs } from '../../src/host/util/retryAfter';

test('retry-after-ms first, then retry-after in seconds or as an HTTP date; anything else is no answer', () => {
  const now = Date.parse('2026-12-06T17:00:00Z');
  const of = (h: Record<string, string>) => retryAfterMs(new Headers(h), now);
  assert.equal(of({ 'retry-after-ms': '250', 'retry-after': '9' }), 250);
  assert.equal(of({ 'retry-after': '1.5' }), 1500);
  assert.equal(of({ 'retry-after': 'Sun, 06 Dec 2026 17:01:00 GMT' }), 60_000);
  assert.equal(of({ 'retry-after': 'Sun, 06 Dec 2026 16:59:00 GMT' }), 0, 'a date gone by: at once');
  for (const bad of ['', 'soon', '-5']) assert.equal(of({ 'retry-after': bad }), undefined, bad);
  assert.equal(of({}), undefined);
  assert.equal(retryAfterMs(undefined), undefined);
});
