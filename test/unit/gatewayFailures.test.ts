// The gateway's own failures (the model server unreachable, the budget unreadable) reach the agent as
// what they are: the reason names them, not "the model server answered 502", and the openai SDK does not
// send each of the agent's attempts three times.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import OpenAI, { APIError } from 'openai';
import { classify } from '../../src/host/agent/agentLoop';
import { errorResponse } from '../../src/host/gateway/responses';

/** A server that answers every request with `res`, counting them. */
async function answering(res: Response): Promise<{ url: string; requests: () => number; close(): void }> {
  const body = await res.text();
  let n = 0;
  const server = http.createServer((_req, out) => {
    n++;
    out.writeHead(res.status, Object.fromEntries(res.headers));
    out.end(body);
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, requests: () => n, close: () => server.close() };
}

test('a gateway failure is sent once by the SDK and classified with its own message', async () => {
  const s = await answering(errorResponse(502, 'Switchyard gateway: the model server cannot be reached (connect ECONNREFUSED 127.0.0.1:1).', 'upstream_unreachable', 'server_error'));
  try {
    const client = new OpenAI({ apiKey: 'sk-x', baseURL: s.url, maxRetries: 2 });
    const err = await client.responses.create({ model: 'gpt-5.4', input: 'hi' }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof APIError, String(err));
    assert.equal(s.requests(), 1, 'x-should-retry: false keeps the SDK from retrying it');
    const v = classify(err);
    assert.equal(v.kind, 'retry');
    assert.equal(v.kind === 'retry' && v.reason, 'Switchyard gateway: the model server cannot be reached (connect ECONNREFUSED 127.0.0.1:1).');
  } finally {
    s.close();
  }
});

test('a 5xx of the model server itself is still retried by the SDK and named by its status', async () => {
  const s = await answering(new Response(JSON.stringify({ error: { message: 'overloaded', type: 'server_error', code: null } }), { status: 503, headers: { 'content-type': 'application/json', 'retry-after-ms': '1' } }));
  try {
    const client = new OpenAI({ apiKey: 'sk-x', baseURL: s.url, maxRetries: 2 });
    const err = await client.responses.create({ model: 'gpt-5.4', input: 'hi' }).then(() => undefined, (e: unknown) => e);
    assert.equal(s.requests(), 3);
    const v = classify(err);
    assert.ok(v.kind === 'retry' && /^The model server answered 503/.test(v.reason), JSON.stringify(v));
  } finally {
    s.close();
  }
});

test('errors the gateway answers below 500 (a refused token, a bad request) carry no retry advice', () => {
  assert.equal(errorResponse(401, 'no', 'invalid_token').headers.get('x-should-retry'), null);
  assert.equal(errorResponse(503, 'busy', 'budget_unavailable', 'server_error').headers.get('x-should-retry'), 'false');
});

test('a request the model server failed after it was sent is retried as a failure of that server, not as one it never got', () => {
  const res = errorResponse(502, 'Switchyard gateway: the model server at http://127.0.0.1:9/v1 failed after the request was sent (socket hang up); it is charged as an estimate.', 'upstream_failed', 'server_error');
  const err = APIError.generate(502, { error: { message: 'failed after the request was sent', code: 'upstream_failed', type: 'server_error' } }, undefined, res.headers);
  const v = classify(err);
  assert.ok(v.kind === 'retry' && !v.unreachable && /failed after the request was sent/.test(v.reason), JSON.stringify(v));
});

test('a request the model server refuses is named once by its status, not twice', () => {
  const v = classify(new APIError(400, { message: "Invalid value: 'fastest'.", type: 'invalid_request_error', code: null }, undefined, new Headers()));
  assert.deepEqual(v, { kind: 'failed', reason: "The model server rejected the request (400): Invalid value: 'fastest'." });
});
