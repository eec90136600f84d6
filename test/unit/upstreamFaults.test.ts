// Injected faults behave as a real upstream's do, as seen through the `openai` SDK.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';
import { clientFor, collect, collectUntilError, filler, upstreamFor } from '../upstream/testkit';

const LONG = { steps: [{ text: 'one two three four five six seven eight nine ten' }] };

test('429 with retry-after is retried by the SDK after the advertised wait, then succeeds', async t => {
  const up = await upstreamFor(t, { scripts: { s: LONG } });
  up.setFaults([{ match: { path: '/responses' }, status: 429, retryAfterSec: 2, times: 1 }]);
  const r = await clientFor(up, { maxRetries: 2 }).responses.create({ model: 'gpt-5', input: '[script:s]' });
  assert.equal(r.status, 'completed');
  assert.deepEqual(up.requests.map(q => q.status), [429, 200]);
  assert.equal(up.requests[0]!.fault, true);
  assert.equal(up.requests[0]!.usage, undefined, 'a refused request has no usage');
  // Without the header the SDK would back off for at most 500 ms: a lower bound, which load cannot break.
  const gap = up.requests[1]!.at - up.requests[0]!.at;
  assert.ok(gap >= 1_900, `retried after ${gap} ms`);
});

test('429 carries retry-after, the request id and an OpenAI error body', async t => {
  const up = await upstreamFor(t);
  up.setFaults([{ status: 429, retryAfterSec: 3 }]);
  const err = await clientFor(up).responses.create({ model: 'gpt-5', input: 'x' }).catch((e: unknown) => e);
  assert.ok(err instanceof OpenAI.RateLimitError);
  assert.equal(err.status, 429);
  assert.equal(err.headers.get('retry-after'), '3');
  assert.equal(err.code, 'rate_limit_exceeded');
  assert.equal(err.type, 'rate_limit_exceeded');
  assert.equal(err.requestID, up.requests[0]!.requestId);
  assert.ok(up.requests[0]!.headers['x-ratelimit-limit-requests'] === undefined, 'recorded headers are the request\'s');
});

test('5xx is retried; `times` limits the firings; a custom body is sent as given', async t => {
  const up = await upstreamFor(t);
  up.setFaults([{ status: 500, retryAfterSec: 0, times: 2 }]);
  const r = await clientFor(up, { maxRetries: 2 }).responses.create({ model: 'gpt-5', input: 'x' });
  assert.equal(r.output_text, 'done.');
  assert.deepEqual(up.requests.map(q => q.status), [500, 500, 200]);

  up.setFaults([{ status: 503, body: { error: { message: 'slow down', type: 'server_error', param: null, code: 'overloaded' } } }]);
  const err = await clientFor(up).responses.create({ model: 'gpt-5', input: 'x' }).catch((e: unknown) => e);
  assert.ok(err instanceof OpenAI.InternalServerError);
  assert.equal(err.status, 503);
  assert.equal(err.code, 'overloaded');
});

test('faults match by request number and by script', async t => {
  const up = await upstreamFor(t, { scripts: { flaky: LONG, steady: LONG } });
  up.setFaults([{ match: { nth: 2 }, status: 500 }, { match: { script: 'flaky' }, status: 502 }]);
  const client = clientFor(up);
  const ask = (tag: string) => client.responses.create({ model: 'gpt-5', input: `[script:${tag}]` }).then(() => 200, (e: { status: number }) => e.status);
  assert.deepEqual([await ask('steady'), await ask('steady'), await ask('steady'), await ask('flaky')], [200, 500, 200, 502]);
});

test('a stream cut midway: the SDK iteration throws before response.completed; usage is still recorded', async t => {
  const up = await upstreamFor(t, { scripts: { s: LONG } });
  up.setFaults([{ cutAfterEvents: 5, times: 2 }]);
  const client = clientFor(up);
  const { items, error } = await collectUntilError(await client.responses.create({ model: 'gpt-5', input: '[script:s]', stream: true }));
  assert.ok(error, 'iteration fails');
  assert.equal(items.length, 5);
  assert.ok(!items.some(e => e.type === 'response.completed'));
  const rec = (await up.waitForRequests(1))[0]!;
  assert.equal(rec.cut, true);
  assert.ok(rec.usage && rec.usage.input > 0);

  await assert.rejects(client.responses.stream({ model: 'gpt-5', input: '[script:s]' }).finalResponse());
  // The next request is served whole again.
  const ok = await collect(await client.responses.create({ model: 'gpt-5', input: '[script:s]', stream: true }));
  assert.equal(ok.at(-1)!.type, 'response.completed');
});

test('a cut delivers exactly the events before it, however many or few', async t => {
  const up = await upstreamFor(t, { scripts: { s: { steps: [{ text: filler(8000) }] } } });
  const client = clientFor(up);
  for (const cutAfterEvents of [0, 1, 600]) {
    up.setFaults([{ cutAfterEvents }]);
    const { items, error } = await collectUntilError(await client.responses.create({ model: 'gpt-5', input: '[script:s]', stream: true }));
    assert.ok(error, `cut after ${cutAfterEvents}`);
    assert.equal(items.length, cutAfterEvents);
    assert.deepEqual(items.map(e => e.sequence_number), items.map((_, i) => i));
  }
});

test('a cut Chat Completions stream never delivers the usage chunk', async t => {
  const up = await upstreamFor(t, { scripts: { s: LONG } });
  up.setFaults([{ cutAfterEvents: 3 }]);
  const stream = await clientFor(up).chat.completions.create({
    model: 'gpt-5', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: '[script:s]' }],
  });
  const { items, error } = await collectUntilError(stream);
  assert.ok(error);
  assert.equal(items.length, 3);
  assert.ok(items.every(c => !c.usage));
});

test('an in-stream error event makes the SDK throw an APIError', async t => {
  const up = await upstreamFor(t, { scripts: { s: LONG } });
  up.setFaults([{ errorAfterEvents: 4 }]);
  const client = clientFor(up);
  const responses = await collectUntilError(await client.responses.create({ model: 'gpt-5', input: '[script:s]', stream: true }));
  assert.ok(responses.error instanceof OpenAI.APIError);
  assert.equal(responses.items.length, 4);
  const chat = await collectUntilError(await client.chat.completions.create({ model: 'gpt-5', stream: true, messages: [{ role: 'user', content: '[script:s]' }] }));
  assert.ok(chat.error instanceof OpenAI.APIError);
  assert.equal(chat.items.length, 4);
});

test('slow streams: delayMs before the first byte, eventDelayMs between events', async t => {
  const up = await upstreamFor(t, { scripts: { s: LONG } });
  up.setFaults([{ delayMs: 120, times: 1 }]);
  const client = clientFor(up);
  let started = performance.now();
  const stream = await client.responses.create({ model: 'gpt-5', input: '[script:s]', stream: true });
  assert.ok(performance.now() - started >= 110, 'headers waited for the delay');
  await collect(stream);

  up.setOptions({ eventDelayMs: 10 });
  started = performance.now();
  const events = await collect(await client.responses.create({ model: 'gpt-5', input: '[script:s]', stream: true }));
  assert.ok(performance.now() - started >= (events.length - 1) * 10 - 5, 'events were paced');
  up.setOptions({ eventDelayMs: 0 });
});

test('chatOnly answers 404 on /responses but serves Chat Completions', async t => {
  const up = await upstreamFor(t, { chatOnly: true });
  const client = clientFor(up);
  await assert.rejects(client.responses.create({ model: 'gpt-5', input: 'x' }), (e: unknown) => e instanceof OpenAI.NotFoundError);
  const r = await client.chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'x' }] });
  assert.equal(r.choices[0]!.message.content, 'done.');
});

test('requireKey: a wrong or missing key gets 401 with an OpenAI body that does not echo the key', async t => {
  const up = await upstreamFor(t, { requireKey: 'sk-right-key-123456' });
  const wrong = await clientFor(up, { apiKey: 'sk-wrong-key-654321' }).responses.create({ model: 'gpt-5', input: 'x' }).catch((e: unknown) => e);
  assert.ok(wrong instanceof OpenAI.AuthenticationError);
  assert.equal(wrong.code, 'invalid_api_key');
  assert.ok(!wrong.message.includes('sk-wrong-key-654321'));
  const missing = await fetch(`${up.url}/responses`, { method: 'POST', body: '{}' });
  assert.equal(missing.status, 401);
  const r = await clientFor(up, { apiKey: 'sk-right-key-123456' }).responses.create({ model: 'gpt-5', input: 'x' });
  assert.equal(r.status, 'completed');
  assert.equal(up.requests.at(-1)!.headers.authorization, 'Bearer sk-right-key-123456');
});

test('rate limits: requests and tokens per minute are enforced with 429 until the window resets', async t => {
  let now = 5_000;
  const up = await upstreamFor(t, { rateLimit: { requests: 2, tokens: 1_000_000 }, clock: () => now });
  const client = clientFor(up);
  await client.responses.create({ model: 'gpt-5', input: 'x' });
  now += 20_000;
  await client.responses.create({ model: 'gpt-5', input: 'x' });
  const err = await client.responses.create({ model: 'gpt-5', input: 'x' }).catch((e: unknown) => e);
  assert.ok(err instanceof OpenAI.RateLimitError);
  assert.equal(err.type, 'requests');
  assert.equal(err.headers.get('retry-after'), '40');
  assert.equal(err.headers.get('x-ratelimit-remaining-requests'), '0');
  now += 40_000;
  assert.equal((await client.responses.create({ model: 'gpt-5', input: 'x' })).status, 'completed');

  up.setOptions({ rateLimit: { requests: 100, tokens: 60 } });
  now += 60_000;
  await client.responses.create({ model: 'gpt-5', input: 'x' });
  const tokens = await client.responses.create({ model: 'gpt-5', input: 'x', max_output_tokens: 50 }).catch((e: unknown) => e);
  assert.ok(tokens instanceof OpenAI.RateLimitError);
  assert.equal(tokens.type, 'tokens');
});

test('a client that goes away mid-stream and a server closed mid-stream leave nothing hanging', async t => {
  const up = await upstreamFor(t, { scripts: { s: LONG }, eventDelayMs: 20 });
  const client = clientFor(up);
  const stream = await client.responses.create({ model: 'gpt-5', input: '[script:s]', stream: true });
  for await (const event of stream) if (event.type === 'response.output_item.added') break;
  const [rec] = await up.waitForRequests(1);
  assert.equal(rec!.cut, true);

  const slow = await client.responses.create({ model: 'gpt-5', input: '[script:s]', stream: true });
  const reading = collectUntilError(slow);
  await up.close();
  const { error } = await reading;
  assert.ok(error, 'the open stream ends with an error when the server closes');
});
