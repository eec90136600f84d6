// The gateway's promises to the user: only holders of a session token get through, it cannot be
// reached from off this machine, the user's key stays in the host, and what comes back from the
// provider (errors, streams) reaches the agent unchanged.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import OpenAI from 'openai';
import type { TraceTurn, UsageRecord } from '../../src/protocol/records';
import type { Tier } from '../../src/protocol/types';
import type { BudgetCaps, CacheBreak, GatewaySession, Refusal } from '../../src/host/gateway/sessionLink';
import { GATEWAY_HOST, startGatewayServer } from '../../src/host/gateway/server';
import type { GuardDecision } from '../../src/host/guard/loopGuard';
import { noProgress, settle, upstream } from './helpers/engineKit';
import { agentEngine } from './helpers/agents/agentEngine';
import { filesContaining, ledgerRecords } from './helpers/agents/evidence';

const USER_KEY = 'sk-user-security-e2e-91d0c7a3e4';
const AGENT = path.resolve('test/unit/helpers/agents/sdkAgent.mjs');

/** A session as far as the gateway is concerned, always allowed to spend. */
class OpenSession implements GatewaySession {
  readonly usage: UsageRecord[] = [];
  constructor(readonly id: string, readonly repo = '/repo', readonly role = 'coder', readonly model = 'gpt-5.4') {}
  tier(): Tier { return 'standard'; }
  caps(): BudgetCaps { return { sessionUsd: null, dayUsd: null, monthUsd: null }; }
  refusal(): Refusal | undefined { return undefined; }
  async fingerprint(): Promise<undefined> { return undefined; }
  onUsage(record: UsageRecord): void { this.usage.push(record); }
  onCacheBreak(_b: CacheBreak): void {}
  onCacheReference(): void {}
  cacheReference(): undefined { return undefined; }
  recordTurn(_turn: TraceTurn): void {}
  tracedTurns(): number { return 0; }
  onGuard(_d: GuardDecision): void {}
  onBudgetWait(_message: string): void {}
  onOverBudget(_message: string): void {}
  onUnpriced(_model: string): void {}
  onTierUnpriced(_model: string, _tier: string): void {}
  onRateLimitWait(_ms: number, _reason: string): void {}
  onUpstreamSilent(_silentMs: number, _limitMs: number, _tier: string): void {}
  pendingNudge(): undefined { return undefined; }
  nudgeDelivered(): void {}
}

const story = `Once upon a time ${Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ')} the end.`;
const scripts = {
  plain: { steps: [{ text: 'ok' }] },
  story: { steps: [{ text: story }] },
  e500: { steps: [{ text: 'never' }] },
  e429: { steps: [{ text: 'never' }] },
  notes: { steps: [{ calls: [{ name: 'write_file', arguments: { path: 'notes/note-{{n}}.txt', content: 'note {{n}}' } }] }, { text: 'Noted.' }] },
};

/** SSE events of a body, with what differs between two identical responses (ids, clocks) blanked. */
function sseEvents(text: string): string[] {
  return text
    .split(/\n\n/)
    .filter(block => block.trim())
    .map(block => block.replace(/[0-9a-f]{16}/g, '<id>').replace(/"(created_at|completed_at|created)":\d+/g, '"$1":0'));
}

function refusedConnection(host: string, port: number): Promise<string> {
  return new Promise(resolve => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', err => resolve((err as NodeJS.ErrnoException).code ?? err.message));
  });
}

/** Local addresses of listening TCP sockets on `port`, from /proc/net/tcp{,6} (Linux). */
function listeners(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === '0A' && local?.endsWith(`:${hexPort}`)) out.push(`${path.basename(file)} ${local.split(':')[0]}`);
    }
  }
  return out;
}

test('the gateway on its own terms', async t => {
  const up = await upstream(t, { scripts, requireKey: USER_KEY });
  const { engine, repo, home, sink } = await agentEngine(t, { up, userKey: USER_KEY });
  const gateway = engine.gateway;
  const link = new OpenSession('security-probe');
  const token = gateway.register(link);
  t.after(() => gateway.unregister(link.id));
  const url = (p: string) => `${gateway.baseURL}${p}`;
  const post = (p: string, body: unknown, auth: Record<string, string> = { authorization: `Bearer ${token}` }) =>
    fetch(url(p), { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(body) });
  const direct = (p: string, body: unknown) =>
    fetch(`${up.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${USER_KEY}` }, body: JSON.stringify(body) });

  await t.test('a request without a valid session token is refused with 401 and never forwarded', async () => {
    const ended = new OpenSession('ended');
    const endedToken = gateway.register(ended);
    gateway.unregister(ended.id);
    const body = { model: 'gpt-5.4', input: '[script:plain] hi' };
    const before = up.requests.length;
    const cases: [string, Record<string, string>][] = [
      ['no credentials', {}],
      ['an unknown token', { authorization: 'Bearer sy-session-not-a-real-token' }],
      ["the user's own API key", { authorization: `Bearer ${USER_KEY}` }],
      ['the token of an ended session', { authorization: `Bearer ${endedToken}` }],
      ['an unknown token as api-key', { 'api-key': 'sy-session-nope' }],
      ['an empty bearer', { authorization: 'Bearer ' }],
    ];
    for (const [what, auth] of cases) {
      for (const res of [await post('/responses', body, auth), await post('/chat/completions', body, auth), await fetch(url('/models'), { headers: auth })]) {
        assert.equal(res.status, 401, `${what}: ${res.url}`);
        assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'invalid_api_key');
      }
    }
    assert.equal(up.requests.length, before, 'no refused request reached the upstream');
    const ok = await post('/responses', body);
    assert.equal(ok.status, 200, 'the session token works');
    await ok.text();
  });

  await t.test('the gateway listens on 127.0.0.1 only, and its server cannot be told otherwise', async () => {
    assert.equal(GATEWAY_HOST, '127.0.0.1');
    assert.equal(new URL(gateway.baseURL).hostname, '127.0.0.1');
    // startGatewayServer(handler, port): there is no host parameter to pass.
    assert.ok(startGatewayServer.length <= 2);
    const other = await startGatewayServer(async () => new Response('x'), 0);
    t.after(() => other.close());
    for (const port of [gateway.port, other.port]) {
      if (existsSync('/proc/net/tcp')) assert.deepEqual(listeners(port), ['tcp 0100007F'], `sockets listening on ${port}`);
      assert.equal(await refusedConnection('127.0.0.1', port), 'connected');
      // Any other address of this machine, loopback or not, finds nothing listening.
      if (process.platform === 'linux') assert.equal(await refusedConnection('127.0.0.2', port), 'ECONNREFUSED');
      const others = Object.entries(os.networkInterfaces()).flatMap(([name, addresses]) =>
        (addresses ?? []).filter(a => !a.internal).map(a => (a.family === 'IPv6' && a.scopeid ? `${a.address}%${name}` : a.address)));
      for (const address of [...others, '::1']) {
        const result = await refusedConnection(address, port);
        assert.notEqual(result, 'connected', `${address}:${port} is reachable`);
      }
    }
  });

  await t.test('upstream errors reach the agent as sent: status, body and retry-after', async () => {
    up.setFaults([
      { match: { script: 'e500' }, status: 500, body: { error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: 'overloaded' } }, times: 2 },
      { match: { script: 'e429' }, status: 429, retryAfterSec: 1, times: 3 },
    ]);
    t.after(() => up.setFaults([]));
    const recordsBefore = ledgerRecords(home).length;
    for (const script of ['e500', 'e429']) {
      const body = { model: 'gpt-5.4', input: `[script:${script}] go`, stream: true };
      const want = await direct('/responses', body);
      const got = await post('/responses', body);
      assert.equal(got.status, want.status, script);
      assert.equal(await got.text(), await want.text(), `${script}: the body is the upstream's, byte for byte`);
      assert.equal(got.headers.get('retry-after'), want.headers.get('retry-after'), `${script}: retry-after`);
      assert.equal(got.headers.get('content-type'), want.headers.get('content-type'));
      assert.match(got.headers.get('x-request-id') ?? '', /^req_/, 'the provider request id comes back for support tickets');
    }
    assert.equal(up.requests.filter(r => r.script === 'e429').at(-1)?.status, 429);
    // The SDK an agent uses sees the provider's own error.
    const client = new OpenAI({ apiKey: token, baseURL: gateway.baseURL, maxRetries: 0 });
    await assert.rejects(client.responses.create({ model: 'gpt-5.4', input: '[script:e429] again' }), (err: unknown) => {
      assert.ok(err instanceof OpenAI.RateLimitError, String(err));
      assert.equal(err.status, 429);
      assert.equal(err.headers?.get('retry-after'), '1');
      return true;
    });
    assert.equal(ledgerRecords(home).length, recordsBefore, 'a refused request costs nothing and is not metered');
  });

  await t.test('a stream passes through event by event, the same events in the same order as direct', async () => {
    up.setFaults([{ match: { script: 'story' }, eventDelayMs: 15 }]);
    t.after(() => up.setFaults([]));
    for (const p of ['/responses', '/chat/completions'] as const) {
      // The chat agent asks for the usage chunk: one that does not is not given it (gateway.chatStreams).
      const body = p === '/responses'
        ? { model: 'gpt-5.4', input: '[script:story] tell it', stream: true }
        : { model: 'gpt-5.4', messages: [{ role: 'user', content: '[script:story] tell it' }], stream: true, stream_options: { include_usage: true } };
      const res = await post(p, body);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
      const reader = res.body!.getReader();
      const first = await reader.read();
      const sent = up.requests.at(-1)!;
      assert.equal(sent.done, false, `${p}: the first event arrived while the upstream was still streaming`);
      let text = new TextDecoder().decode(first.value);
      for (let r = await reader.read(); !r.done; r = await reader.read()) text += new TextDecoder().decode(r.value);
      // The same request (as the gateway sent it on) straight to the upstream.
      const straight = await (await direct(p, sent.body)).text();
      const viaGateway = sseEvents(text);
      assert.ok(viaGateway.length > 40, `${viaGateway.length} events`);
      assert.deepEqual(viaGateway, sseEvents(straight));
    }
  });

  await t.test('an agent that hangs up mid-stream ends the upstream request, and what streamed is metered as an estimate', async () => {
    up.setFaults([{ match: { script: 'story' }, eventDelayMs: 15 }]);
    t.after(() => up.setFaults([]));
    const hangUp = new AbortController();
    const res = await fetch(url('/responses'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ model: 'gpt-5.4', input: '[script:story] tell it', stream: true }),
      signal: hangUp.signal,
    });
    const reader = res.body!.getReader();
    let seen = '';
    while (!seen.includes('output_text.delta')) seen += new TextDecoder().decode((await reader.read()).value);
    const sent = up.requests.at(-1)!;
    const metered = link.usage.length;
    hangUp.abort();
    await up.waitForRequests(sent.n);
    assert.equal(sent.cut, true, 'the upstream saw the request go away before its end');
    await gateway.drain(link.id);
    assert.equal(link.usage.length, metered + 1, 'the cut request is metered once');
    const record = link.usage.at(-1)!;
    assert.equal(record.estimated, true);
    assert.ok(record.output > 0, 'the text that did stream is counted');
    assert.equal(ledgerRecords(home).filter(r => r.id === record.id).length, 1);
  });

  await t.test("the user's key is in no log, transcript, ledger, session file or agent environment", async () => {
    const saved = process.env.OPENAI_API_KEY;
    process.env.OPENAI_API_KEY = USER_KEY;
    t.after(() => (saved === undefined ? delete process.env.OPENAI_API_KEY : (process.env.OPENAI_API_KEY = saved)));
    const created = await engine.sessions.create(
      { repo, task: 'notes', title: 'Key probe', agent: 'command', command: `'${process.execPath}' '${AGENT}' '[script:notes] take notes'` },
      noProgress,
    );
    engine.sessions.watch(created.id, true); // as an open transcript view does: its events go out through the sink
    const s = await settle(engine, created, 60_000);
    assert.equal(s.status, 'done', s.statusReason);
    const live = engine.sessions.get(s.id);
    const env = readFileSync(path.join(live.paths.tempDir, 'sdk-agent-env.json'), 'utf8');
    assert.ok(env.includes(live.token!) && !env.includes(USER_KEY), "the agent's environment has its token, not the key");
    assert.ok(existsSync(live.paths.transcript) && !readFileSync(live.paths.transcript, 'utf8').includes(USER_KEY));
    assert.ok(ledgerRecords(home).some(r => r.sessionId === s.id));
    assert.deepEqual(filesContaining(home, USER_KEY), [], 'no file in the Switchyard home (ledger, transcripts, sessions, config)');
    assert.deepEqual(sink.logs.filter(l => l.includes(USER_KEY)), [], 'the log');
    assert.ok(sink.traffic.some(m => m.includes('"transcript"') && m.includes('Noted.')), 'the sink saw the session');
    assert.deepEqual(sink.traffic.filter(m => m.includes(USER_KEY)), [], 'what the host tells the editor or the CLI');
    assert.ok(!JSON.stringify(link.usage).includes(USER_KEY));
  });
});
