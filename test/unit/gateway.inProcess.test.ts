// The built-in agent reaches the gateway through its in-process `fetch`. The SDK hands it a URL string and
// a string body, read as they are; anything else a fetch caller may pass (a URL, a Request) goes the
// standard way. Both must reach the same pipeline: authorised, forwarded, metered.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { upstream } from './helpers/engineKit';
import { gatewayFor, RecordingLink, responsesBody } from './helpers/gatewayKit';

const URL_TEXT = 'http://gateway.invalid/v1/responses';
const body = () => JSON.stringify(responsesBody({ instructions: 'rules', input: [{ type: 'message', role: 'user', content: 'hi' }] }));
const init = (token: string): RequestInit => ({ method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body() });

test('a URL string, a URL object and a Request reach the same metered pipeline', async t => {
  const up = await upstream(t);
  const { gateway } = await gatewayFor(t, up);
  const link = new RecordingLink('s');
  const token = gateway.register(link);
  const asString = await gateway.fetch(URL_TEXT, { ...init(token), headers: new Headers(init(token).headers) });
  const asUrl = await gateway.fetch(new URL(URL_TEXT), init(token));
  const asRequest = await gateway.fetch(new Request(URL_TEXT, init(token)));
  for (const r of [asString, asUrl, asRequest]) {
    assert.equal(r.status, 200, await r.clone().text());
    assert.ok(JSON.parse(await r.text()).usage, 'the response came back whole');
  }
  await gateway.drain('s');
  assert.equal(link.usage.length, 3, 'each request was metered once');
});

test('without a valid session token each form is refused alike', async t => {
  const up = await upstream(t);
  const { gateway } = await gatewayFor(t, up);
  gateway.register(new RecordingLink('s'));
  const refused = [
    await gateway.fetch(URL_TEXT, init('sy-session-wrong')),
    await gateway.fetch(new Request(URL_TEXT, init('sy-session-wrong'))),
    await gateway.fetch(URL_TEXT, { method: 'POST', body: body() }),
  ];
  assert.deepEqual(refused.map(r => r.status), [401, 401, 401]);
  assert.equal(up.requests.length, 0, 'nothing reached the upstream');
});

test('a lower-case method and an absent body are read as a request without one', async t => {
  const up = await upstream(t);
  const { gateway } = await gatewayFor(t, up);
  const token = gateway.register(new RecordingLink('s'));
  const r = await gateway.fetch(URL_TEXT, { method: 'post', headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 400);
  assert.match(await r.text(), /not a JSON object/);
});

test('an answer the model server cuts short, streamed or not, is metered once as an estimate', async t => {
  const up = await upstream(t);
  const { gateway } = await gatewayFor(t, up);
  const link = new RecordingLink('s');
  const token = gateway.register(link);
  up.setFaults([{ cutAfterEvents: 3 }]);

  const streamed = await gateway.fetch(URL_TEXT, { ...init(token), body: JSON.stringify({ ...JSON.parse(body()), stream: true }) });
  assert.equal(streamed.status, 200);
  await assert.rejects(streamed.text(), /closed the connection before the response ended|aborted/);
  await assert.rejects(gateway.fetch(URL_TEXT, init(token)), /closed the connection before the response ended|aborted/);

  await gateway.drain('s');
  assert.deepEqual(up.requests.map(r => r.cut), [true, true], 'both answers were cut');
  assert.deepEqual(link.usage.map(u => u.record.estimated), [true, true], 'each was metered once, as an estimate');
});

test('a request the model server had whole when it failed is charged as an estimate; one that never reached it is not', async t => {
  const up = await upstream(t);
  const { gateway } = await gatewayFor(t, up);
  const link = new RecordingLink('s');
  const token = gateway.register(link);
  // Cancelled (a pause) while the server works on it, before its answer begins: the server may bill it.
  up.setFaults([{ delayMs: 10_000, times: 1 }]);
  const abort = new AbortController();
  const answer = gateway.fetch(URL_TEXT, { ...init(token), signal: abort.signal });
  for (const deadline = Date.now() + 5000; up.requests.length === 0; await new Promise(r => setTimeout(r, 10))) {
    assert.ok(Date.now() < deadline, 'the request reached the server');
  }
  abort.abort();
  assert.equal((await answer).status, 499);
  await gateway.drain('s');
  assert.deepEqual(link.usage.map(u => u.record.estimated), [true], 'charged once, as an estimate');
  assert.ok(link.usage[0]!.record.input > 0, 'its input, as sent');

  // A server that cannot be reached had nothing of it: nothing is charged.
  const { gateway: unreachable } = await gatewayFor(t, { ...up, url: 'http://127.0.0.1:1/v1' });
  const alone = new RecordingLink('u');
  const r = await unreachable.fetch(URL_TEXT, init(unreachable.register(alone)));
  assert.equal(r.status, 502, await r.clone().text());
  await unreachable.drain('u');
  assert.deepEqual(alone.usage, [], 'nothing charged');
});

test('requests sent each on its own (none carries an earlier answer) are not judged as turns: the guard cannot tell them', async t => {
  const up = await upstream(t);
  const { gateway } = await gatewayFor(t, up);
  const link = new RecordingLink('s');
  const token = gateway.register(link);
  for (let i = 0; i < 6; i++) {
    const r = await gateway.fetch(URL_TEXT, init(token));
    assert.equal(r.status, 200);
    await r.text();
    await gateway.drain('s');
  }
  assert.equal(link.usage.length, 6);
  assert.deepEqual(link.turns, [], 'no turn was made of an answer the next request left out');
  assert.equal(link.decisions.filter(d => d.action !== 'none').length, 0);
});

test('the model list and a model by its id are the model server\'s answers', async t => {
  const up = await upstream(t);
  const { gateway } = await gatewayFor(t, up);
  const token = gateway.register(new RecordingLink('s'));
  const get = (path: string) => gateway.fetch(`http://gateway.invalid/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
  const list = await get('/models');
  assert.equal(list.status, 200);
  const one = await get('/models/gpt-5.4');
  assert.equal(one.status, 200, await one.clone().text());
  assert.equal(((await one.json()) as { id: string }).id, 'gpt-5.4');
  assert.equal((await get('/models/no-such-model')).status, 404);
});
