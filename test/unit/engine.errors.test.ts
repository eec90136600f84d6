// Upstream trouble: 429 with retry-after, 5xx, a stream cut midway, a refused key, an unknown model.
// Clear reasons on the session, retries where safe, and a tool call never runs twice.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { HostSettings } from '../../src/protocol/host';
import type { CreateSessionParams, SessionAlert } from '../../src/protocol/sessions';
import { InvalidRequestError, UserError } from '../../src/host/errors';
import { notFoundHint } from '../../src/host/sessions/preflight';
import { firstRequestOf } from '../../src/host/sessions/createSession';
import { formatBudgetUsdUp } from '../../src/host/budgets/budgetText';
import { silentSink } from '../../src/host/events';
import { engineFor, git, noProgress, settle, until, upstream } from './helpers/engineKit';

const appendOnce = {
  steps: [
    { calls: [{ name: 'run_command', arguments: { command: 'echo ran >> ran.log' } }] },
    { text: 'Checked the log; writing the summary now, in a longer answer that streams over several events.', calls: [{ name: 'read_file', arguments: { path: 'ran.log' } }] },
    { calls: [{ name: 'finish', arguments: { summary: 'ok' } }] },
  ],
};

test('a stream cut midway is retried and the tool call before it does not run twice', async t => {
  const up = await upstream(t, { scripts: { once: appendOnce } });
  // Request 2 (after the command ran) is cut after a few events, once.
  up.setFaults([{ match: { nth: 2 }, cutAfterEvents: 4, times: 1 }]);
  const { engine, repo } = await engineFor(t, { up });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:once] run once', title: 'Run once' }, noProgress));
  assert.equal(s.status, 'done', s.statusReason);
  assert.equal(readFileSync(path.join(s.worktree, 'ran.log'), 'utf8'), 'ran\n');
  assert.equal(s.estimatedRequests, 1, 'the cut request is in the ledger as an estimate');
  assert.equal(s.usage.requests, 4);
  const notices = (await engine.sessions.transcript(s.id, 0)).events.flatMap(e => (e.kind === 'notice' && e.level === 'warning' ? [e.text] : []));
  assert.deepEqual(notices, ['The model stream was cut before it finished; retrying in 1 s.']);
});

test("a cut stream's estimate counts the reasoning the session's turns spend, which the stream never shows", async t => {
  const thinking = { steps: appendOnce.steps.map(step => ({ ...step, reasoningTokens: 500 })) };
  const up = await upstream(t, { scripts: { thinking } });
  up.setFaults([{ match: { nth: 2 }, cutAfterEvents: 4, times: 1 }]);
  const { engine, repo } = await engineFor(t, { up });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:thinking] think first', title: 'Thinking' }, noProgress));
  assert.equal(s.status, 'done', s.statusReason);
  assert.equal(s.estimatedRequests, 1);
  assert.equal(s.usage.requests, 4);
  assert.equal(s.usage.reasoning, 4 * 500, 'three complete turns and the cut one, each 500 reasoning tokens');
});

test('429 with retry-after and 5xx are retried; the session finishes', async t => {
  const up = await upstream(t, { scripts: { once: appendOnce } });
  up.setFaults([
    { match: { nth: 1 }, status: 429, retryAfterSec: 0.2, times: 1 },
    { match: { nth: 3 }, status: 503, times: 1 },
  ]);
  const { engine, repo } = await engineFor(t, { up });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:once] survive', title: 'Survive' }, noProgress));
  assert.equal(s.status, 'done', s.statusReason);
  assert.equal(readFileSync(path.join(s.worktree, 'ran.log'), 'utf8'), 'ran\n');
});

test('a 429 asking to wait an hour pauses the session with until when, and the command before it ran once', async t => {
  const up = await upstream(t, { scripts: { once: appendOnce } });
  up.setFaults([{ match: { nth: 2 }, status: 429, retryAfterSec: 3600, times: 1 }]);
  const { engine, repo } = await engineFor(t, { up });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:once] quota', title: 'Quota' }, noProgress));
  assert.equal(s.status, 'paused');
  // What the server said with it, quoted: a provider's reason (a quota, an outage) is the user's best clue.
  assert.match(s.statusReason ?? '', /^The model server answered 429 \("Rate limit reached \(injected by the test upstream\)\. Please try again later\."\) and asks to wait 60 minutes \(until \d\d:\d\d\); paused rather than holding a slot that long\. Resume it then\.$/);
  assert.equal(up.requests.length, 2, 'not asked again');
  assert.equal(readFileSync(path.join(s.worktree, 'ran.log'), 'utf8'), 'ran\n');
});

test('a 404 from a base URL without /v1 says to try it with /v1', async t => {
  const up = await upstream(t);
  const bare = up.url.replace(/\/v1\/?$/, '');
  assert.notEqual(bare, up.url, 'the test upstream answers under /v1');
  const { engine, repo } = await engineFor(t, { up, settings: { baseURL: bare } });
  const s = await settle(engine, await engine.sessions.create({ repo, task: 'anything', title: 'No v1' }, noProgress));
  assert.equal(s.status, 'failed');
  assert.match(s.statusReason ?? '', /^Not found \(404\): .*Check the model name and the base URL\. The base URL .* has no \/v1, under which OpenAI-compatible servers answer: try .*\/v1\.$/);
  // With a version in it, or OpenAI's (empty), a 404 is the model's or the server's to explain.
  for (const baseURL of ['http://localhost:11434/v1', 'http://host/openai/v2/', '']) assert.equal(notFoundHint(baseURL), '', baseURL);
});

test('a refused key fails the session with a reason that says what to do, and an alert that offers a new key', async t => {
  const up = await upstream(t, { requireKey: 'sk-the-right-one' });
  const alerts: SessionAlert[] = [];
  const { engine, repo } = await engineFor(t, { up, sink: { ...silentSink, alert: a => void alerts.push(a) } });
  const s = await settle(engine, await engine.sessions.create({ repo, task: 'anything', title: 'Bad key' }, noProgress));
  assert.equal(s.status, 'failed');
  assert.match(s.statusReason ?? '', /API key was refused \(401\)/);
  assert.equal(s.statusCause, 'api-key');
  assert.deepEqual(alerts.map(a => [a.kind, a.apiKeyRefused]), [['failed', true]]);
  assert.equal(s.usage.requests, 0, 'nothing was billed');
});

test('a session bound to fail before its first request (no key for OpenAI, a base URL that is not one, no Codex, a budget that rounds to $0) is refused, and nothing is made for it', async t => {
  const up = await upstream(t);
  const { engine, repo } = await engineFor(t, { up });
  const branches = () => git(repo, 'branch', '--list', 'switchyard/*');
  const refused: [HostSettings, string | undefined, CreateSessionParams, RegExp][] = [
    [{ ...engine.settings, baseURL: '' }, undefined, { repo, task: 'anything', title: 'No key' }, /^No API key\. Set one with "Switchyard: Set API Key"/],
    // Nothing goes to the default (OpenAI) in its place.
    [{ ...engine.settings, baseURL: 'localhost:11434' }, 'sk-test', { repo, task: 'anything', title: 'Typo' }, /^The base URL "localhost:11434" is not an http\(s\) URL .* Nothing was sent\.$/],
    [{ ...engine.settings, codexPath: path.join(repo, 'no-such-codex') }, 'sk-test', { repo, task: 'anything', title: 'Codex', agent: 'codex' }, /^Codex was not found at .*no-such-codex \(switchyard\.codexPath\)\.$/],
    // Spend is kept in micro-dollars: this budget is $0.
    [engine.settings, 'sk-test', { repo, task: 'anything', title: 'Tiny', budgetUsd: 1e-7 }, /^A session budget is a number of dollars, at least 0\.000001 \(a millionth of a dollar\)\.$/],
    // In Restricted Mode nothing the repository names runs, and git would run its configured programs.
    ...([{ agent: 'builtin' }, { agent: 'codex' }, { agent: 'command', command: 'make' }] as const).map((kind): [HostSettings, string, CreateSessionParams, RegExp] => [
      { ...engine.settings, workspaceTrusted: false }, 'sk-test', { repo, task: 'anything', title: 'Untrusted', ...kind },
      /^No session starts in Restricted Mode \(an untrusted workspace\): that runs git in the repository, and git runs programs the repository's own configuration names, which is why VS Code's Git support is off there too\. Trust the workspace to start one\.$/,
    ]),
  ];
  for (const [settings, key, params, said] of refused) {
    engine.configure(settings, key);
    await assert.rejects(engine.sessions.create(params, noProgress), (err: Error) => err instanceof InvalidRequestError && said.test(err.message));
  }
  assert.equal(branches(), '', 'no branch');
  assert.deepEqual(await engine.sessions.list(repo), [], 'no session');
  assert.equal(up.requests.length, 0);
});

test("in Restricted Mode no session starts, resumes, merges, is discarded or has its changes read: git would run the repository's programs", async t => {
  const up = await upstream(t, { scripts: { once: appendOnce } });
  const { engine, repo } = await engineFor(t, { up });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:once] run once', title: 'Trusted then' }, noProgress));
  assert.equal(s.status, 'done');
  // What a folder from elsewhere may hold: a program git runs at every look at a worktree.
  const marker = path.join(path.dirname(repo), 'fsmonitor-ran');
  const monitor = path.join(path.dirname(repo), 'fsmonitor.sh');
  writeFileSync(monitor, `#!/bin/sh\ntouch '${marker}'\n`);
  chmodSync(monitor, 0o755);
  git(repo, 'config', 'core.fsmonitor', monitor);
  engine.configure({ ...engine.settings, workspaceTrusted: false }, 'sk-test-upstream');
  const refused = (what: string, then: string) => (err: Error) => err instanceof UserError && err.message.startsWith(`${what} in Restricted Mode (an untrusted workspace)`) && err.message.endsWith(then);
  await assert.rejects(engine.sessions.resume(s.id), refused('No session is resumed', 'Trust the workspace, then resume it.'));
  await assert.rejects(engine.sessions.changes(s.id), refused("No session's changes are read", 'Trust the workspace to see them.'));
  await assert.rejects(engine.sessions.merge({ sessionId: s.id, strategy: 'merge' }, noProgress), refused('No session is merged', 'Trust the workspace, then merge it.'));
  await assert.rejects(engine.sessions.discard({ sessionId: s.id, force: true }), refused('No session is discarded', 'Trust the workspace, then discard it.'));
  assert.equal(existsSync(marker), false, "the repository's fsmonitor ran");
  assert.equal((await engine.sessions.list(repo))[0]?.status, 'done', 'looked at, it is as it was');
});

/** A session queued behind another while trusted, whose turn comes in Restricted Mode: it is paused. */
async function pausedInRestrictedMode(t: TestContext) {
  const up = await upstream(t, { scripts: { once: appendOnce } });
  const { engine, repo } = await engineFor(t, { up, settings: { maxConcurrentSessions: 1, sandbox: { enabled: false, allowedDomains: [], denyRead: [] } } });
  const release = path.join(path.dirname(repo), 'release');
  const holder = await engine.sessions.create({ repo, task: 'holds the slot', title: 'Holder', agent: 'command', command: `while [ ! -e '${release}' ]; do sleep 0.05; done` }, noProgress);
  const queued = await engine.sessions.create({ repo, task: '[script:once] run once', title: 'Queued' }, noProgress);
  // Its agent started before trust goes (its confinement is chosen once the trust check is passed): a
  // session still starting then would be paused too.
  await until('the holder\'s agent to start', () => engine.sessions.get(holder.id).record.confinement !== undefined);
  const trusted = engine.settings;
  engine.configure({ ...trusted, workspaceTrusted: false }, 'sk-test-upstream');
  writeFileSync(release, '');
  assert.equal((await settle(engine, holder)).status, 'done');
  const paused = await settle(engine, queued);
  return { up, engine, paused, trust: () => engine.configure(trusted, 'sk-test-upstream') };
}

test('a queued session that comes to run in Restricted Mode is paused, and goes on by itself once the workspace is trusted', async t => {
  const { up, engine, paused, trust } = await pausedInRestrictedMode(t);
  assert.equal(paused.status, 'paused');
  assert.equal(paused.statusCause, 'untrusted');
  assert.match(paused.statusReason ?? '', /^No session runs in Restricted Mode .* It goes on when the workspace is trusted\.$/);
  assert.equal(up.requests.length, 0, 'nothing was sent');
  trust();
  await until('the session to be resumed', () => engine.sessions.get(paused.id).record.status !== 'paused');
  const done = await settle(engine, paused);
  assert.equal(done.status, 'done', done.statusReason);
  assert.equal(done.statusCause, undefined);
  assert.equal(readFileSync(path.join(done.worktree, 'ran.log'), 'utf8'), 'ran\n');
});

test('a session a Restricted Mode window paused goes on in the next window that trusts the folder', async t => {
  const { up, engine, paused } = await pausedInRestrictedMode(t);
  await engine.shutdown();
  const next = await engineFor(t, { up, home: engine.home, repo: paused.repo, headless: false });
  await next.engine.sessions.list(paused.repo);
  await until('the session to be resumed', () => next.engine.sessions.get(paused.id).record.status !== 'paused');
  const done = await settle(next.engine, next.engine.sessions.info(next.engine.sessions.get(paused.id)));
  assert.equal(done.status, 'done', done.statusReason);
  await next.engine.shutdown();
});

test('a session Restricted Mode paused that the user has since stopped stays stopped when the workspace is trusted', async t => {
  const { up, engine, paused, trust } = await pausedInRestrictedMode(t);
  assert.equal(paused.statusCause, 'untrusted');
  await engine.sessions.stop(paused.id);
  trust();
  await new Promise(r => setTimeout(r, 300));
  assert.equal(engine.sessions.get(paused.id).record.status, 'stopped');
  assert.equal(up.requests.length, 0);
});

test('an over-budget alert says which cap stopped the session, so the fix offered is the right one', async t => {
  const up = await upstream(t, { scripts: { two: { steps: [{ calls: [{ name: 'list_files', arguments: {} }] }, { calls: [{ name: 'finish', arguments: { summary: 'looked' } }] }] } } });
  const alerts: SessionAlert[] = [];
  const sink = { ...silentSink, alert: (a: SessionAlert) => alerts.push(a) };
  // A day cap that lets the first request start (one with less left refuses the session before it is made).
  const { engine, repo } = await engineFor(t, { up, sink, settings: { budgets: { sessionUsd: null, dayUsd: 0.02, monthUsd: null } } });
  const byDay = await settle(engine, await engine.sessions.create({ repo, task: '[script:two] anything', title: 'Day cap' }, noProgress));
  assert.equal(byDay.status, 'over-budget');
  engine.configure({ ...engine.settings, budgets: { sessionUsd: null, dayUsd: null, monthUsd: null } }, 'sk-test-upstream');
  const bySession = await settle(engine, await engine.sessions.create({ repo, task: '[script:two] anything', title: 'Own cap', budgetUsd: 0.02 }, noProgress));
  assert.equal(bySession.status, 'over-budget');
  assert.deepEqual(alerts.filter(a => a.kind === 'over-budget').map(a => [a.title, a.capScope]), [['Day cap', 'day'], ['Own cap', 'session']]);
});

test('an error event in the middle of a stream is retried like a cut, in either API; the session finishes', async t => {
  for (const chatOnly of [false, true]) {
    // Chat Completions names the server's error by its type, with a null code.
    const up = await upstream(t, { scripts: { once: appendOnce }, chatOnly });
    up.setFaults([{ match: { nth: 2 }, errorAfterEvents: 3, times: 1 }]);
    const { engine, repo } = await engineFor(t, { up });
    const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:once] ride it out', title: 'Error event' }, noProgress));
    assert.equal(s.status, 'done', `chat only: ${chatOnly}: ${s.statusReason}`);
    assert.equal(readFileSync(path.join(s.worktree, 'ran.log'), 'utf8'), 'ran\n');
    assert.equal(up.requests.filter(r => r.fault).length, 1);
  }
});

test('retries of a request whose stream was cut are not turns: the loop guard does not see a flaky network as a loop', async t => {
  const up = await upstream(t, { scripts: { once: appendOnce } });
  up.setFaults([{ match: { path: '/responses' }, cutAfterEvents: 3, times: 3 }]);
  const { engine, repo } = await engineFor(t, { up });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:once] ride it out', title: 'Flaky' }, noProgress));
  assert.equal(s.status, 'done', s.statusReason);
  assert.equal(up.requests.filter(r => r.fault).length, 3);
  assert.equal(s.guard.level, 'ok', JSON.stringify(s.guard));
  // Each turn traced is one the model answered: none for the cut responses.
  const traced = readFileSync(engine.sessions.get(s.id).paths.trace, 'utf8').trim().split('\n').map(l => JSON.parse(l) as { turn: number; toolCalls: unknown[]; text?: string });
  assert.deepEqual(traced.filter(x => !x.toolCalls.length && !x.text).map(x => x.turn), []);
  const { events } = await engine.sessions.transcript(s.id, 0);
  assert.deepEqual(events.filter(e => e.kind === 'guard'), []);
  assert.ok(!up.requests.some(r => JSON.stringify(r.body).includes('Decide on a concrete change')), 'no nudge was sent');
});

test('a server without the Responses API is spoken to in Chat Completions, streamed the same way', async t => {
  const up = await upstream(t, { scripts: { once: appendOnce }, chatOnly: true });
  const { engine, repo } = await engineFor(t, { up });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:once] chat only', title: 'Chat only' }, noProgress));
  assert.equal(s.status, 'done', s.statusReason);
  assert.equal(readFileSync(path.join(s.worktree, 'ran.log'), 'utf8'), 'ran\n');
  assert.ok(up.requests.some(r => r.path.endsWith('/chat/completions')));
});

test('a server that answers the Responses path with 200 and an error (as some local servers do) is spoken to in Chat Completions', async t => {
  const up = await upstream(t, { scripts: { once: appendOnce }, chatOnly: true, unknownPathsAnswer200: true });
  const { engine, repo } = await engineFor(t, { up });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:once] chat only, 200 for the rest', title: 'Chat only, 200' }, noProgress));
  assert.equal(s.status, 'done', s.statusReason);
  assert.equal(readFileSync(path.join(s.worktree, 'ran.log'), 'utf8'), 'ran\n');
  assert.deepEqual(up.requests.filter(r => r.path.endsWith('/responses')).length, 1, 'asked once in Responses');
  assert.ok(up.requests.some(r => r.path.endsWith('/chat/completions')));
});

test('a web page (or JSON) where the API should stream fails the session at once, naming the base URL; charged only when a model did answer', async t => {
  const up = await upstream(t);
  const { createServer } = await import('node:http');
  let asked = 0;
  const portal = createServer((req, res) => {
    asked++;
    req.resume();
    const json = req.url?.includes('json');
    res.writeHead(200, { 'content-type': json ? 'application/json' : 'text/html; charset=utf-8' });
    if (!json) return res.end('<html><head><title>Sign in to the proxy</title></head><body>Please sign in</body></html>');
    if (req.url?.includes('/error/')) return res.end('{"error":{"message":"Unexpected endpoint or method. Returning 200 anyway"}}');
    // A server that ignores `stream: true`: a model did answer, in one piece.
    if (req.url?.includes('/whole/')) {
      return res.end(JSON.stringify({ id: 'resp_1', object: 'response', status: 'completed', output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'hi' }] }], usage: { input_tokens: 20_000, output_tokens: 5 } }));
    }
    res.end('{"oops":1}');
  });
  await new Promise<void>(r => portal.listen(0, '127.0.0.1', r));
  t.after(() => portal.close());
  const { port } = portal.address() as { port: number };
  const cases = [
    [`http://127.0.0.1:${port}/v1`, /answered 200 with a web page \(text\/html\), not the API's event stream: "Sign in to the proxy"\. Check the base URL/, false, 1],
    [`http://127.0.0.1:${port}/json/v1`, /answered 200 with JSON \(application\/json\)/, false, 1],
    [`http://127.0.0.1:${port}/json/error/v1`, /answered 200 with an error: Unexpected endpoint or method\. Returning 200 anyway$/, false, 2],
    [`http://127.0.0.1:${port}/json/whole/v1`, /answered with one whole JSON response where an event stream was asked for \(it does not stream\?\); the response is charged/, true, 1],
  ] as const;
  // An error answered with 200 may be a path the server does not serve: Chat Completions is tried once.
  for (const [base, shown, charged, asks] of cases) {
    asked = 0;
    const { engine, repo } = await engineFor(t, { up, settings: { baseURL: base } });
    const s = await settle(engine, await engine.sessions.create({ repo, task: 'anything', title: 'Portal' }, noProgress));
    assert.equal(s.status, 'failed', s.statusReason);
    assert.match(s.statusReason ?? '', shown);
    assert.match(s.statusReason ?? '', new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.equal(asked, asks, 'not retried');
    if (charged) {
      // Paid for by whoever runs the server: on the bill, from its own usage, not an estimate.
      assert.ok(s.costUsd > 0 && s.usage.input === 20_000, JSON.stringify(s.usage));
      assert.equal(s.estimatedRequests ?? 0, 0);
    } else {
      assert.equal(s.costUsd, 0, 'nothing charged: no model answered');
      assert.equal(s.estimatedRequests ?? 0, 0);
    }
  }
});

test('a base URL with a query (?api-version=…) keeps it on every request, after the API path; a fragment is never sent', async t => {
  const up = await upstream(t);
  const { engine, repo } = await engineFor(t, { up, settings: { baseURL: `${up.url}?api-version=2025-04-01#notes` } });
  const s = await settle(engine, await engine.sessions.create({ repo, task: 'anything', title: 'Query' }, noProgress));
  assert.equal(s.status, 'done', s.statusReason);
  assert.ok(up.requests.length > 0);
  for (const r of up.requests) assert.equal(r.url, '/v1/responses?api-version=2025-04-01');
});

test("New Session's figure for the first request is the one a start is held to: a day cap with less left refuses it, naming it", async t => {
  const up = await upstream(t);
  const { engine, repo } = await engineFor(t, { up });
  const ask = { repo, task: 'Fix the flaky test in the parser', title: 'Flaky parser' };
  const first = await firstRequestOf(engine.sessions, ask);
  assert.ok(first !== null && first > 0.001, String(first));
  assert.equal(await firstRequestOf(engine.sessions, { ...ask, model: 'no-such-model' }), null, 'an unpriced model has no figure');
  assert.equal(await firstRequestOf(engine.sessions, { ...ask, role: 'no-such-role' }), null);
  engine.configure({ ...engine.settings, budgets: { sessionUsd: null, dayUsd: first * 0.9, monthUsd: null } }, 'sk-test-upstream');
  await assert.rejects(engine.sessions.create(ask, noProgress), (err: Error) => err.message.includes(`less than the first request reserves (${formatBudgetUsdUp(first)})`));
  engine.configure({ ...engine.settings, budgets: { sessionUsd: null, dayUsd: first * 1.5, monthUsd: null } }, 'sk-test-upstream');
  const s = await settle(engine, await engine.sessions.create(ask, noProgress));
  assert.notEqual(s.statusCause, 'day-budget');
});
