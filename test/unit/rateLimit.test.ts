// Fleet-wide rate-limit awareness: the provider's x-ratelimit headers slow new requests before the
// window runs out, and a 429 holds every session back until its retry-after.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration, RateLimitGate } from '../../src/host/gateway/rateLimiter';
import { upstream } from './helpers/engineKit';
import { gatewayFor, post, RecordingLink, responsesBody } from './helpers/gatewayKit';

const headers = (h: Record<string, string>) => new Headers(h);

test('the provider\'s reset durations are read in all their forms', () => {
  assert.equal(parseDuration('1s'), 1000);
  assert.equal(parseDuration('6m0s'), 360_000);
  assert.equal(parseDuration('20ms'), 20);
  assert.equal(parseDuration('1h2m3.5s'), 3_723_500);
  assert.equal(parseDuration(null), undefined);
});

test('plenty left: no wait; nearly nothing left: wait for the window to reset', () => {
  const gate = new RateLimitGate();
  const now = 1_000_000;
  gate.observe(headers({ 'x-ratelimit-limit-requests': '500', 'x-ratelimit-remaining-requests': '400', 'x-ratelimit-reset-requests': '12s', 'x-ratelimit-limit-tokens': '100000', 'x-ratelimit-remaining-tokens': '90000', 'x-ratelimit-reset-tokens': '1s' }), 200, now);
  assert.equal(gate.delayMs(now), 0);
  gate.observe(headers({ 'x-ratelimit-limit-requests': '500', 'x-ratelimit-remaining-requests': '3', 'x-ratelimit-reset-requests': '12s', 'x-ratelimit-limit-tokens': '100000', 'x-ratelimit-remaining-tokens': '90000', 'x-ratelimit-reset-tokens': '1s' }), 200, now);
  assert.equal(gate.delayMs(now), 12_000);
  assert.equal(gate.delayMs(now + 12_000), 0, 'after the reset, requests go again');
});

test('a 429 holds everyone back until retry-after', () => {
  const gate = new RateLimitGate();
  gate.observe(headers({ 'retry-after': '3' }), 429, 5000);
  assert.equal(gate.delayMs(5000), 3000);
  assert.equal(gate.delayMs(8000), 0);
});

test('the gateway reads the upstream\'s rate-limit headers on every response', async t => {
  const up = await upstream(t, { rateLimit: { requests: 40, tokens: 1_000_000 } });
  const { gateway } = await gatewayFor(t, up);
  const token = gateway.register(new RecordingLink('s'));
  const r = await post(gateway, token, responsesBody({ instructions: 'rules', input: [{ type: 'message', role: 'user', content: 'hi' }] }));
  assert.equal(r.status, 200);
  assert.ok(r.headers.get('x-ratelimit-remaining-requests'), 'the agent sees the headers too');
  await r.text();
  assert.equal(gateway.rateLimits.snapshot.limitRequests, 40);
  assert.equal(gateway.rateLimits.snapshot.remainingRequests, 39);
});
