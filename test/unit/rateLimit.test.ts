// Fleet-wide rate-limit awareness: the provider's x-ratelimit headers slow new requests before the
// window runs out, and a 429 holds every session back until its retry-after.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { APIError } from 'openai';
import { classify } from '../../src/host/agent/agentLoop';
import { RateLimitGate } from '../../src/host/gateway/rateLimiter';
import { SharedRateLimits } from '../../src/host/gateway/sharedRateLimits';
import { parseDuration, rateLimitResetMs } from '../../src/host/util/retryAfter';
import { tempDir, upstream } from './helpers/engineKit';
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
  assert.deepEqual(link.rateWaits, ['3 s: the provider answered 429 (too many requests), and every request to it waits out the time it asked for (a minute at most)']);
});

test('a request cancelled while it waits for the rate limit is never sent, and costs nothing', async t => {
  const up = await upstream(t, {});
  const { gateway } = await gatewayFor(t, up);
  const link = new RecordingLink('s');
  const token = gateway.register(link);
  gateway.rateLimits.observe(headers({ 'retry-after': '30' }), 429);
  const cancel = new AbortController();
  setTimeout(() => cancel.abort(), 300);
  const r = await gateway.fetch('http://gateway.invalid/v1/responses', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(responsesBody({ instructions: 'rules', input: [{ type: 'message', role: 'user', content: 'hi' }] })),
    signal: cancel.signal,
  });
  assert.equal(r.status, 499);
  await r.text();
  await new Promise(resolve => setTimeout(resolve, 200));
  assert.equal(up.requests.length, 0, 'nothing reached the model server');
  assert.deepEqual(link.usage, [], 'no record: nothing was sent');
});

test('requests held for one reset go out spread, and look again before they go: the first answers\' word can hold the rest back', async () => {
  const gate = new RateLimitGate();
  gate.observe(word(0, 500, '200ms'), 200);
  // Held 200 ms; spread by up to a quarter of that, so one goes at about 200 ms and another at about 250.
  const first = gate.wait(undefined, 0, () => 0);
  const last = gate.wait(undefined, 0, () => 1);
  // (Give or take the millisecond the clock ticks between the word and the wait.)
  assert.ok((await first) >= 195 && (await first) < 245, `${await first} ms`);
  // Before the last goes, an answer says the new window is spent too: it waits for that one's reset.
  const again = new RateLimitGate();
  again.observe(word(0, 500, '200ms'), 200);
  const held = again.wait(undefined, 0, () => 1);
  setTimeout(() => again.observe(word(0, 500, '300ms'), 200), 220);
  assert.ok((await held) >= 450, 'waited again for the newer word\'s reset');
  assert.ok((await last) >= 245, `${await last} ms`);
});

const word = (remaining: number, limit = 500, reset = '10s') => headers({ 'x-ratelimit-limit-requests': String(limit), 'x-ratelimit-remaining-requests': String(remaining), 'x-ratelimit-reset-requests': reset });

test('requests sent since the last word count against what is left, until a newer word says', async () => {
  const gate = new RateLimitGate();
  const now = Date.now();
  await gate.catchUp('http://server/v1', 'k', now);
  gate.observe(word(13), 200, now);
  // Low water is 2 % of 500: 10. Three requests go on what is left; the fourth would leave too little.
  for (let i = 0; i < 3; i++) assert.equal(await gate.wait(undefined, 0), 0);
  assert.equal(gate.snapshot.remainingRequests, 10);
  assert.ok(gate.delayMs(Date.now()) > 9_000, 'the fourth waits for the reset');
  // A word newer than those requests has counted them.
  gate.observe(word(200), 200, Date.now() + 1);
  assert.equal(gate.delayMs(Date.now()), 0);
  assert.equal(gate.snapshot.remainingRequests, 200);
  // A window that has reset since the word is not counted down.
  const g2 = new RateLimitGate();
  g2.observe(word(11, 500, '20ms'), 200, now);
  g2.sent(0, now + 5);
  assert.equal(g2.delayMs(now + 10), 10, 'counted down to the low-water mark: waits for the reset');
  assert.equal(g2.delayMs(now + 30), 0);
});

test('an answer counts what was sent before its request went, not what went out while it was on its way', () => {
  const gate = new RateLimitGate();
  const t0 = Date.now();
  gate.observe(word(100), 200, t0, t0);
  // Three requests go after the one about to be answered was sent, before its headers come back.
  for (let i = 0; i < 3; i++) gate.sent(0, t0 + 5);
  gate.observe(word(90), 200, t0 + 10, t0 + 2);
  assert.equal(gate.delayMs(t0 + 10), 0);
  assert.equal(gate.snapshot.remainingRequests, 87, 'the three are still counted');
});

test('another server or key has windows of its own', async () => {
  const gate = new RateLimitGate();
  await gate.catchUp('http://a/v1', 'k1');
  gate.observe(word(1), 200);
  assert.ok(gate.delayMs() > 0);
  await gate.catchUp('http://a/v1', 'k2');
  assert.equal(gate.delayMs(), 0);
  assert.deepEqual(gate.snapshot, {});
});

test('what one process hears of the rate limits, the others sending to the same server with the same key hear too', async t => {
  const dir = tempDir(t, 'sy-rl-');
  const logged: string[] = [];
  const a = new RateLimitGate(new SharedRateLimits(dir, m => logged.push(m)));
  const b = new RateLimitGate(new SharedRateLimits(dir, m => logged.push(m)));
  const other = new RateLimitGate(new SharedRateLimits(dir, m => logged.push(m)));
  const now = Date.now();
  for (const g of [a, b]) await g.catchUp('http://server/v1', 'sk-one', now);
  await other.catchUp('http://server/v1', 'sk-two', now);
  a.observe(word(3), 200, now);
  await a.settled();
  assert.ok(!readdirSync(dir).some(f => readFileSync(path.join(dir, f), 'utf8').includes('sk-one')), 'the key is never written');
  await b.catchUp('http://server/v1', 'sk-one', now + 200);
  await other.catchUp('http://server/v1', 'sk-two', now + 200);
  assert.equal(b.snapshot.remainingRequests, 3, 'b has the first process\'s word');
  assert.ok(b.delayMs(now + 200) > 9_000);
  assert.equal(other.delayMs(now + 200), 0, 'another key: not that window');
  // An older word does not replace a newer one; a 429 holds everyone back whoever met it.
  b.observe(word(400), 200, now + 300);
  await b.settled();
  a.observe(headers({ 'retry-after': '5' }), 429, now + 250);
  await a.settled();
  await b.catchUp('http://server/v1', 'sk-one', now + 400);
  assert.equal(b.snapshot.remainingRequests, 400);
  assert.equal(b.delayMs(now + 400), 4_850, 'held until the retry-after the first process met');
  // A file another version wrote, or half a file, is passed over.
  writeFileSync(path.join(dir, readdirSync(dir).find(f => f.endsWith('.json'))!), '{"observedAt": "soon", "snapshot": 7}');
  await b.catchUp('http://server/v1', 'sk-one', now + 600);
  assert.equal(b.snapshot.remainingRequests, 400);
  assert.deepEqual(logged, []);
});

test('two processes sending to one window: the second waits for its reset instead of meeting a 429', async t => {
  const up = await upstream(t, { rateLimit: { requests: 5, tokens: 10_000_000, windowMs: 1500 } });
  const shared = tempDir(t, 'sy-rl-');
  const first = await gatewayFor(t, up, { rateLimitsDir: shared });
  const second = await gatewayFor(t, up, { rateLimitsDir: shared });
  const ask = async (gateway: typeof first.gateway, token: string) => {
    const r = await post(gateway, token, responsesBody({ instructions: 'rules', input: [{ type: 'message', role: 'user', content: 'hi' }] }));
    await r.text();
    return r.status;
  };
  const one = first.gateway.register(new RecordingLink('one'));
  for (let i = 0; i < 3; i++) assert.equal(await ask(first.gateway, one), 200);
  await first.gateway.rateLimits.settled();
  const two = second.gateway.register(new RecordingLink('two'));
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push(await ask(second.gateway, two));
  assert.deepEqual(statuses, [200, 200, 200]);
  assert.equal(up.requests.length, 6, 'each request reached the server once: none was answered 429');
});
