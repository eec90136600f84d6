// Fleet-wide rate-limit awareness: the provider's x-ratelimit headers slow new requests before the
// window runs out, and a 429 holds every session back until its retry-after.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APIError } from 'openai';
import { classify } from '../../src/host/agent/agentLoop';
import { RateLimitGate } from '../../src/host/gateway/rateLimiter';
import { parseDuration, rateLimitResetMs } from '../../src/host/util/retryAfter';
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
  // The nearly spent window's reset, not the other's: requests reset in 1 s, tokens (plentiful) in 45 s.
  gate.observe(headers({ 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-limit-tokens': '2000000', 'x-ratelimit-remaining-tokens': '1999000', 'x-ratelimit-reset-tokens': '45s' }), 200, now);
  assert.equal(gate.delayMs(now), 1000);
  gate.observe(headers({ 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': '90', 'x-ratelimit-reset-requests': '50s', 'x-ratelimit-limit-tokens': '2000000', 'x-ratelimit-remaining-tokens': '100', 'x-ratelimit-reset-tokens': '2s' }), 200, now);
  assert.equal(gate.delayMs(now), 2000);
  // Above the low-water mark, but not enough left for the request about to go: it waits for the reset too.
  gate.observe(headers({ 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': '90', 'x-ratelimit-reset-requests': '50s', 'x-ratelimit-limit-tokens': '50000', 'x-ratelimit-remaining-tokens': '1158', 'x-ratelimit-reset-tokens': '7s' }), 200, now);
  assert.equal(gate.delayMs(now, 500), 0);
  assert.equal(gate.delayMs(now, 9_700), 7000);
  assert.equal(gate.delayMs(now, 60_000), 0, 'bigger than the whole window: it would wait for ever, so it goes');
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

test('a 429 without retry-after waits for the reset of the window it ran out of, and an agent is told that wait', () => {
  const h = headers({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '6m0s', 'x-ratelimit-remaining-tokens': '5000', 'x-ratelimit-reset-tokens': '2s' });
  assert.equal(rateLimitResetMs(h), 360_000);
  assert.equal(rateLimitResetMs(headers({ 'x-ratelimit-reset-requests': '3s', 'x-ratelimit-reset-tokens': '20ms' })), 3000);
  assert.equal(rateLimitResetMs(headers({})), undefined);
  // Both windows have some left: the 429 is about something else, which their resets do not time.
  assert.equal(rateLimitResetMs(headers({ 'x-ratelimit-remaining-requests': '5', 'x-ratelimit-reset-requests': '60s', 'x-ratelimit-remaining-tokens': '900', 'x-ratelimit-reset-tokens': '1s' })), undefined);
  const gate = new RateLimitGate();
  gate.observe(h, 429, 0);
  assert.equal(gate.delayMs(0), 60_000, 'held at most a minute at a time');
  assert.match(gate.reason(0) ?? '', /429/);
  // The agent loop's verdict on such a 429: the reset, which at over five minutes pauses the session.
  const err = new APIError(429, { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' }, undefined, h);
  const v = classify(err);
  assert.equal(v.kind, 'retry');
  assert.equal(v.kind === 'retry' && v.afterMs, 360_000);
});

test('a request the gate holds back for more than a moment says why in its session', async t => {
  const up = await upstream(t, {});
  const { gateway } = await gatewayFor(t, up);
  const link = new RecordingLink('s');
  gateway.rateLimits.observe(headers({ 'retry-after': '2.5' }), 429);
  const r = await post(gateway, gateway.register(link), responsesBody({ instructions: 'rules', input: [{ type: 'message', role: 'user', content: 'hi' }] }));
  assert.equal(r.status, 200);
  await r.text();
  assert.deepEqual(link.rateWaits, ['3 s: the provider answered 429 (too many requests)']);
});
