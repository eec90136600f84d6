// Requests that end without an answer: a response that ends as failed (response.failed: the server's own
// trouble) is sent again by the agent, and the resend is the same turn, so a failing server is not judged
// as an agent going round in circles; a request its agent let go of is still charged before a run ends.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { tempDir, upstream } from './helpers/engineKit';
import { createGateway, post, RecordingLink, responsesBody } from './helpers/gatewayKit';

const usage = { input_tokens: 1200, input_tokens_details: { cached_tokens: 0 }, output_tokens: 0, output_tokens_details: { reasoning_tokens: 0 } };

test('resending a request whose response failed records no turn, however often', async t => {
  const failed = { type: 'response.failed', response: { id: 'resp_f', status: 'failed', error: { code: 'server_error', message: 'try again' }, output: [], usage } };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`event: response.failed\ndata: ${JSON.stringify(failed)}\n\n`);
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const kit = await createGateway(tempDir(t), `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`);
  t.after(() => kit.close());
  const link = new RecordingLink('s1');
  const token = kit.gateway.register(link);
  const body = responsesBody({ input: [{ type: 'message', role: 'user', content: 'fix the build' }] });
  for (let i = 0; i < 6; i++) {
    const r = await post(kit.gateway, token, { ...body, stream: true });
    await r.text();
    await kit.gateway.drain('s1');
  }
  assert.equal(link.usage.length, 6, 'each failed response is billed');
  assert.deepEqual(link.turns.map(x => x.turn), []);
  assert.ok(link.decisions.every(d => d.level === 'ok'), JSON.stringify(link.decisions));
});

test('drain waits for a request still under way when its agent let go of it, so a finished run counts it', async t => {
  const up = await upstream(t, {});
  up.setFaults([{ match: { path: '/responses' }, delayMs: 400 }]);
  const kit = await createGateway(tempDir(t), up.url);
  t.after(() => kit.close());
  const link = new RecordingLink('s1');
  const token = kit.gateway.register(link);
  const abort = new AbortController();
  const answer = kit.gateway.fetch('http://gateway.invalid/v1/responses', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...responsesBody({ input: [{ type: 'message', role: 'user', content: 'hi' }] }), stream: true }),
    signal: abort.signal,
  });
  await new Promise(r => setTimeout(r, 150));
  abort.abort();
  await kit.gateway.drain('s1');
  assert.equal(link.usage.length, 1, 'the request the server had is charged, as an estimate, before drain returns');
  assert.equal(link.usage[0]!.record.estimated, true);
  await answer.catch(() => undefined);
});

/** A link with a warning to pass on, as a session has once its guard nudges. */
class NudgedLink extends RecordingLink {
  nudge: string | undefined = 'You have run the same failing command three times.';
  readonly delivered: string[] = [];
  override pendingNudge(): string | undefined {
    return this.nudge;
  }
  override nudgeDelivered(nudge: string): void {
    this.delivered.push(nudge);
    if (this.nudge === nudge) this.nudge = undefined;
  }
}

test('a warning carried by a response cut off is carried again by the next request: it is said once the model has answered it', async t => {
  const up = await upstream(t, {});
  up.setFaults([{ match: { nth: 1 }, cutAfterEvents: 2, times: 1 }]);
  const kit = await createGateway(tempDir(t), up.url);
  t.after(() => kit.close());
  const link = new NudgedLink('s1');
  const token = kit.gateway.register(link);
  const body = { ...responsesBody({ input: [{ type: 'message', role: 'user', content: 'fix the build' }] }), stream: true };
  const cut = await post(kit.gateway, token, body);
  await cut.text().catch(() => '');
  assert.deepEqual(link.delivered, [], 'cut off: not yet said');
  const again = await post(kit.gateway, token, body);
  await again.text();
  assert.deepEqual(link.delivered, [link.delivered[0]]);
  assert.equal(link.delivered.length, 1);
  const carried = up.requests.map(r => JSON.stringify(r.body).includes('the same failing command three times'));
  assert.deepEqual(carried, [true, true], 'both requests carried it');
});
