// OpenAI's Codex CLI as a session's agent, end to end and offline: the real `codex exec --json`
// (@openai/codex, pinned) in the session's worktree, pointed at the gateway by its private CODEX_HOME,
// in front of the test upstream. What Codex spends is metered, tiered, capped and guarded exactly like
// the built-in agent, and the user's key never leaves the host.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { SessionInfo } from '../../src/protocol/types';
import type { RecordedRequest } from '../upstream/server';
import { git, noProgress, settle, upstream } from './helpers/engineKit';
import { agentEngine } from './helpers/agents/agentEngine';
import { assertMeteredOnce, filesContaining, GPT_5_4, ledgerRecords } from './helpers/agents/evidence';

const CODEX = path.resolve('node_modules/.bin/codex');
const USER_KEY = 'sk-user-codex-e2e-7f3a9c1d5b';

// Codex 0.169's shell tool, as its first request lists it: `exec_command` with `cmd` (a shell line).
// `login: false` keeps this machine's login profile (pyenv, nvm...) out of the command's output.
const execCommand = (cmd: string) => ({ name: 'exec_command', arguments: { cmd, login: false } });

const scripts = {
  write: {
    steps: [
      { calls: [execCommand("printf 'hello from codex\\n' > hello.txt && cat hello.txt")] },
      { text: 'Wrote hello.txt with a greeting.' },
    ],
  },
  loop: { repeatLast: true, steps: [{ calls: [execCommand("echo 'FAIL test/math.test.js > adds: expected 4, received 5' && exit 1")] }] },
  spend: { repeatLast: true, steps: [{ calls: [execCommand("echo 'step {{turn}}' >> progress.txt")] }] },
  review: {
    steps: [
      { calls: [execCommand("ls -a; printf 'reviewed\\n' > review.txt")] },
      { text: 'Listed the files; could not write one.' },
    ],
  },
};

const forScript = (requests: readonly RecordedRequest[], name: string) => requests.filter(r => r.script === name && r.path === '/v1/responses');

test('Codex CLI sessions run through the gateway', async t => {
  assert.ok(existsSync(CODEX), `${CODEX} is missing: @openai/codex is a pinned dev dependency`);
  const up = await upstream(t, { scripts, requireKey: USER_KEY });
  const { engine, repo, home, sink } = await agentEngine(t, { up, userKey: USER_KEY, settings: { codexPath: CODEX } });
  const run = async (o: { script: keyof typeof scripts; tier?: 'priority' | 'standard'; budgetUsd?: number; approval?: 'read-only' }): Promise<SessionInfo> => {
    const created = await engine.sessions.create(
      { repo, task: `[script:${o.script}] do the task`, title: `Codex ${o.script}`, agent: 'codex', tier: o.tier, budgetUsd: o.budgetUsd, approval: o.approval },
      noProgress,
    );
    return settle(engine, created, 60_000);
  };
  /** A request as the session's Codex would send it next, straight to the gateway with its token. */
  const nextRequest = (id: string) =>
    fetch(`${engine.gateway.baseURL}/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${engine.sessions.get(id).token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5.4', input: 'one more try', stream: true }),
    });

  await t.test('codex exec works in the worktree; each request is metered once, at the priority tier, with the user key', async () => {
    const s = await run({ script: 'write', tier: 'priority' });
    assert.equal(s.status, 'done', s.statusReason);
    assert.equal(s.agent, 'codex');
    assert.equal(s.summary, 'Wrote hello.txt with a greeting.', 'the last Codex message is the summary');
    assert.equal(readFileSync(path.join(s.worktree, 'hello.txt'), 'utf8'), 'hello from codex\n');
    assert.equal(existsSync(path.join(repo, 'hello.txt')), false, 'the user checkout is untouched');
    assert.match(git(s.worktree, 'show', '--stat', 'HEAD'), /hello\.txt/, 'the work is committed on the session branch');

    const requests = forScript(up.requests, 'write');
    assert.equal(requests.length, 2, 'one request to call the tool, one after its output');
    const token = engine.sessions.get(s.id).token!;
    const codexThread = requests[0]!.body.prompt_cache_key;
    for (const r of requests) {
      assert.equal(r.status, 200);
      assert.equal(r.headers.authorization, `Bearer ${USER_KEY}`);
      assert.ok(!JSON.stringify(r.headers).includes(token) && !JSON.stringify(r.body).includes(token), 'the session token stops at the gateway');
      assert.equal(r.body.service_tier, 'priority');
      assert.equal(r.servedTier, 'priority');
      assert.equal(r.body.max_output_tokens, engine.settings.maxOutputTokens, 'the gateway sets the output cap Codex leaves open');
      assert.equal(r.body.prompt_cache_key, codexThread, "Codex's own cache key (its thread id) is kept");
      assert.equal(r.body.store, false);
    }
    const tools = (requests[0]!.body.tools as { name?: string }[]).map(x => x.name);
    assert.ok(tools.includes('exec_command'), `Codex offered ${tools.join(', ')}`);

    const records = assertMeteredOnce(ledgerRecords(home), s.id, requests, GPT_5_4);
    for (const r of records) {
      assert.deepEqual([r.requestedTier, r.servedTier, r.model, r.endpoint], ['priority', 'priority', 'gpt-5.4', 'responses']);
    }
    const total = records.reduce((sum, r) => sum + r.costUsd!, 0);
    assert.ok(Math.abs(s.costUsd - total) < 1e-6, `session shows $${s.costUsd}, the ledger holds $${total}`);
    assert.equal(s.usage.requests, 2);
    assert.equal(engine.ledger.rollups.bySession.get(s.id)?.requests, 2);
    assert.ok(s.priorityPremiumUsd > 0, 'the priority premium is shown');

    const events = (await engine.sessions.transcript(s.id, 0)).events;
    const call = events.find(e => e.kind === 'tool-call');
    assert.ok(call?.kind === 'tool-call' && call.args.includes('hello.txt'), 'the command Codex ran is in the transcript');
    assert.ok(events.some(e => e.kind === 'tool-result' && e.ok && e.output.includes('hello from codex')));
    assert.ok(events.some(e => e.kind === 'assistant' && e.text === 'Wrote hello.txt with a greeting.'));
    assert.equal(events.filter(e => e.kind === 'usage').length, 2);

    const codexHome = path.join(engine.sessions.get(s.id).paths.dir, 'codex-home');
    const config = readFileSync(path.join(codexHome, 'config.toml'), 'utf8');
    assert.ok(config.includes(`base_url = "${engine.gateway.baseURL}"`), config);
    assert.match(config, /env_key = "SWITCHYARD_GATEWAY_TOKEN"/);
    assert.match(config, /wire_api = "responses"/);
    assert.deepEqual(filesContaining(codexHome, USER_KEY), [], 'no file Codex wrote holds the user key');
  });

  await t.test('a Codex loop is paused by the loop guard before its 7th request; the gateway refuses it after', async () => {
    const s = await run({ script: 'loop', tier: 'priority' });
    assert.equal(s.status, 'stuck', s.statusReason);
    assert.match(s.statusReason ?? '', /^Loop guard: Stuck, paused for you/);
    const requests = forScript(up.requests, 'loop');
    assert.ok(requests.length >= 2 && requests.length <= 6, `${requests.length} looping requests reached the upstream`);
    assert.equal(s.tier, 'standard', 'the guard lowered the tier before pausing');
    assert.equal(requests.at(-1)!.body.service_tier, 'default', 'the lowered tier reached the upstream');
    assertMeteredOnce(ledgerRecords(home), s.id, requests, GPT_5_4);
    const events = (await engine.sessions.transcript(s.id, 0)).events;
    assert.ok(events.some(e => e.kind === 'guard' && e.level === 'warn'), 'a warning came first');
    assert.ok(events.filter(e => e.kind === 'tool-result' && !e.ok).length >= 2, 'the failing runs are in the transcript');

    const before = up.requests.length;
    const refused = await nextRequest(s.id);
    assert.equal(refused.status, 403);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'switchyard_session_stuck');
    assert.match(body.error.message, /loop guard/);
    assert.equal(up.requests.length, before, 'nothing reached the upstream');
  });

  await t.test('a session budget pauses Codex as over-budget before the cap is passed', async () => {
    const cap = 0.12;
    const s = await run({ script: 'spend', budgetUsd: cap });
    assert.equal(s.status, 'over-budget', s.statusReason);
    const requests = forScript(up.requests, 'spend');
    assert.ok(requests.length >= 2, `only ${requests.length} requests fit: the cap should allow a few`);
    const records = assertMeteredOnce(ledgerRecords(home), s.id, requests, GPT_5_4);
    const spent = records.reduce((sum, r) => sum + r.costUsd!, 0);
    assert.ok(spent <= cap, `spent $${spent} of a $${cap} cap`);
    assert.ok(s.costUsd <= cap);
    assert.ok(requests.every(r => Number(r.body.max_output_tokens) <= engine.settings.maxOutputTokens));
    assert.ok(requests.some(r => Number(r.body.max_output_tokens) < engine.settings.maxOutputTokens), 'the output cap was clamped to what fits');

    const refused = await nextRequest(s.id);
    assert.equal(refused.status, 402);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'switchyard_budget_exceeded');
  });

  await t.test("a read-only session's Codex runs in its own read-only sandbox: its commands read, nothing is written", async () => {
    const s = await run({ script: 'review', approval: 'read-only' });
    assert.equal(s.status, 'done', s.statusReason);
    assert.equal(existsSync(path.join(s.worktree, 'review.txt')), false, 'the write was refused');
    assert.equal(s.confinementNote, "Codex's own sandbox (read-only: its commands may read, nothing is written)");
    const config = readFileSync(path.join(engine.sessions.get(s.id).paths.dir, 'codex-home', 'config.toml'), 'utf8');
    assert.match(config, /^sandbox_mode = "read-only"$/m);
    // What the command printed, as Codex sent it back to the model: it read, and its write was refused.
    const sent = JSON.stringify(forScript(up.requests, 'review')[1]?.body.input);
    assert.match(sent, /README\.md/);
    assert.match(sent, /review\.txt: Read-only file system/);
  });

  await t.test('the user key is nowhere in the Switchyard home or the logs', () => {
    assert.deepEqual(filesContaining(home, USER_KEY), []);
    assert.equal(sink.logs.filter(l => l.includes(USER_KEY)).length, 0);
  });
});
