// A `command` session: any program that honours OPENAI_BASE_URL / OPENAI_API_KEY, here a small agent
// built on the `openai` SDK, runs in the session's worktree and is metered by the gateway exactly like
// the built-in agent (one ledger record per response, the session's tier and cache key), without ever
// holding the user's key.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { git, noProgress, settle, upstream } from './helpers/engineKit';
import { groupAlive } from '../../src/host/util/lifeline';
import { agentEngine } from './helpers/agents/agentEngine';
import { assertMeteredOnce, GPT_5_4, ledgerRecords } from './helpers/agents/evidence';

const AGENT = path.resolve('test/unit/helpers/agents/sdkAgent.mjs');
const USER_KEY = 'sk-user-command-e2e-2b8e61f0c4';

const notes = {
  steps: [
    { calls: [{ name: 'write_file', arguments: { path: 'notes/note-{{n}}.txt', content: 'note {{n}}: {{task}}\n' } }] },
    { text: 'Noted: {{task}}.' },
  ],
};

interface Seen {
  api: 'responses' | 'chat';
  stream: boolean;
  id: string;
  serviceTier: string;
  usage: Record<string, unknown> & { input_tokens?: number; prompt_tokens?: number; output_tokens?: number; completion_tokens?: number };
  events?: number;
}

test('a command agent using the openai SDK is metered like any other session', async t => {
  const up = await upstream(t, { scripts: { notes }, requireKey: USER_KEY });
  const { engine, repo, home } = await agentEngine(t, { up, userKey: USER_KEY });
  // A CLI user's key is in the environment the host inherits; the agent must not get it from there.
  const saved = process.env.OPENAI_API_KEY;
  process.env.OPENAI_API_KEY = USER_KEY;
  t.after(() => (saved === undefined ? delete process.env.OPENAI_API_KEY : (process.env.OPENAI_API_KEY = saved)));

  const created = await engine.sessions.create(
    { repo, task: 'write notes', title: 'SDK agent', agent: 'command', tier: 'flex', command: `'${process.execPath}' '${AGENT}' '[script:notes] write notes'` },
    noProgress,
  );
  const s = await settle(engine, created, 60_000);
  assert.equal(s.status, 'done', s.statusReason);
  assert.equal(s.agent, 'command');
  const live = engine.sessions.get(s.id);
  const report = JSON.parse(readFileSync(path.join(live.paths.tempDir, 'sdk-agent.json'), 'utf8')) as { seen: Seen[]; answers: string[] };
  assert.deepEqual(report.answers, Array(4).fill('Noted: write notes.'), 'every conversation ended with the model\'s answer');
  assert.equal(s.summary, `answers: ${report.answers.join(' | ')}`, 'the last line the agent printed is the summary');

  const requests = up.requests.filter(r => r.script === 'notes');
  assert.deepEqual(
    requests.map(r => `${r.path} ${r.body.stream === true ? 'stream' : 'json'}`),
    ['/v1/responses stream', '/v1/responses stream', '/v1/chat/completions stream', '/v1/chat/completions stream',
      '/v1/responses json', '/v1/responses json', '/v1/chat/completions json', '/v1/chat/completions json'],
  );
  for (const r of requests) {
    assert.equal(r.status, 200);
    assert.equal(r.headers.authorization, `Bearer ${USER_KEY}`, 'the gateway forwards with the user key');
    assert.equal(r.body.service_tier, 'flex', 'the session tier, which the agent never asked for');
    assert.equal(r.body.prompt_cache_key, `switchyard-${s.id}`, 'the session cache key, added when the agent sent none');
    if (r.path === '/v1/chat/completions') {
      assert.equal(r.body.max_tokens, engine.settings.maxOutputTokens);
      if (r.body.stream === true) assert.deepEqual(r.body.stream_options, { include_usage: true }, 'a chat stream is asked for its usage');
    } else {
      assert.equal(r.body.max_output_tokens, engine.settings.maxOutputTokens);
    }
  }

  const records = assertMeteredOnce(ledgerRecords(home), s.id, requests, GPT_5_4);
  for (const [i, req] of requests.entries()) {
    const rec = records.find(r => r.requestId === req.requestId)!;
    assert.equal(rec.endpoint, req.path === '/v1/responses' ? 'responses' : 'chat');
    assert.deepEqual([rec.requestedTier, rec.servedTier], ['flex', 'flex']);
    // What the agent read in the response is what was metered: the gateway passed usage through untouched.
    const seen = report.seen[i]!;
    assert.equal(seen.serviceTier, 'flex');
    assert.equal(seen.usage.input_tokens ?? seen.usage.prompt_tokens, rec.input, `input the agent saw in response ${i + 1}`);
    assert.equal(seen.usage.output_tokens ?? seen.usage.completion_tokens, rec.output, `output the agent saw in response ${i + 1}`);
  }
  assert.equal(s.usage.requests, 8);
  assert.ok(s.costByTier.flex > 0 && s.costByTier.priority === 0 && s.costByTier.standard === 0);

  const written = readdirSync(path.join(s.worktree, 'notes')).sort();
  assert.equal(written.length, 4, `the agent ran each tool call once: ${written.join(', ')}`);
  assert.match(git(s.worktree, 'show', '--stat', 'HEAD'), /notes\/note-/, 'its work is committed on the session branch');

  const events = (await engine.sessions.transcript(s.id, 0)).events;
  assert.equal(events.filter(e => e.kind === 'notice' && /write_file/.test(e.text)).length, 4, 'the agent output streams into the transcript');
  assert.equal(events.filter(e => e.kind === 'usage').length, 8);
  assert.equal(events.filter(e => e.kind === 'guard').length, 0, 'writing new notes is progress, not a loop');

  const env = JSON.parse(readFileSync(path.join(live.paths.tempDir, 'sdk-agent-env.json'), 'utf8')) as Record<string, string>;
  assert.equal(env.OPENAI_API_KEY, live.token, 'the agent holds its session token');
  assert.match(env.OPENAI_API_KEY!, /^sy-session-/);
  assert.equal(env.OPENAI_BASE_URL, engine.gateway.baseURL);
  assert.deepEqual(Object.entries(env).filter(([, v]) => v.includes(USER_KEY)).map(([k]) => k), [], 'no variable of the agent holds the user key');
});

/** Pids of `sleep <seconds>` processes (Linux /proc). */
function sleepers(seconds: string): number[] {
  return readdirSync('/proc').filter(d => /^\d+$/.test(d)).filter(pid => {
    try {
      const [argv0, argv1] = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return /(^|\/)sleep$/.test(argv0 ?? '') && argv1 === seconds;
    } catch {
      return false;
    }
  }).map(Number);
}

for (const sandbox of [true, false]) {
  test(`stopping a command session ends its whole process tree (sandbox ${sandbox ? 'on' : 'off'})`, { skip: process.platform !== 'linux' && 'reads /proc' }, async t => {
    const up = await upstream(t, { scripts: { notes }, requireKey: USER_KEY });
    const { engine, repo, sink } = await agentEngine(t, { up, userKey: USER_KEY, settings: { sandbox: { enabled: sandbox, allowedDomains: [], denyRead: [] } } });
    const marker = `9${Date.now() % 100000}.25`;
    t.after(() => {
      for (const pid of sleepers(marker)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    });
    const created = await engine.sessions.create(
      { repo, task: 'linger', title: 'Lingering agent', agent: 'command', command: `sleep ${marker} & sleep ${marker} & echo started; wait` },
      noProgress,
    );
    engine.sessions.watch(created.id, true);
    await sink.next(m => m.includes('"transcript"') && m.includes('started'));
    // The shell forked both before it echoed; each is `sleep` once it has exec'd, which may come a moment later.
    for (let i = 0; i < 250 && sleepers(marker).length < 2; i++) await new Promise(r => setTimeout(r, 20));
    assert.equal(sleepers(marker).length, 2, 'the processes the agent left in the background run');
    const stopped = await engine.sessions.stop(created.id);
    assert.equal(stopped.status, 'stopped');
    assert.equal(stopped.statusReason, 'Stopped by the user.');
    // Signals are delivered asynchronously: give the processes a bounded moment to go.
    for (let i = 0; i < 100 && sleepers(marker).length; i++) await new Promise(r => setTimeout(r, 20));
    assert.deepEqual(sleepers(marker), [], 'nothing of the agent is left running');
  });
}

test('a stop returns only once everything the command agent started has ended, even what is slow to go', { timeout: 30_000, skip: process.platform !== 'linux' && 'process groups' }, async t => {
  const up = await upstream(t, { scripts: { notes }, requireKey: USER_KEY });
  const { engine, repo, sink } = await agentEngine(t, { up, userKey: USER_KEY, settings: { sandbox: { enabled: false, allowedDomains: [], denyRead: [] } } });
  // In the background, holding none of the agent's pipes, a process that takes a second to go once told to.
  const command = `(trap 'sleep 1; exit 0' TERM; while :; do sleep 0.05; done) >/dev/null 2>&1 & echo "left $!"; wait`;
  const created = await engine.sessions.create({ repo, task: 'linger', title: 'Slow leftovers', agent: 'command', command }, noProgress);
  engine.sessions.watch(created.id, true);
  const said = await sink.next(m => m.includes('"transcript"') && /left \d+/.test(m));
  const left = Number(/left (\d+)/.exec(said)![1]);
  const live = engine.sessions.get(created.id);
  const group = live.record.agentProcess!.pid;
  t.after(() => {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  });
  await engine.sessions.stop(created.id);
  assert.equal(groupAlive(group), false, `stopped: nothing of the agent's group is left (the leftover, pid ${left}, took a second)`);
  assert.equal(live.record.agentProcess, undefined, 'the record names no process of it any more');
});

for (const sandbox of [true, false]) {
  test(`a command session paused as soon as it is created never starts its agent, and the pause returns (sandbox ${sandbox ? 'on' : 'off'})`, { timeout: 30_000, skip: process.platform !== 'linux' && 'reads /proc' }, async t => {
    const up = await upstream(t, { scripts: { notes }, requireKey: USER_KEY });
    const { engine, repo } = await agentEngine(t, { up, userKey: USER_KEY, settings: { sandbox: { enabled: sandbox, allowedDomains: [], denyRead: [] } } });
    const marker = `8${Date.now() % 100000}.25`;
    t.after(() => {
      for (const pid of sleepers(marker)) process.kill(pid, 'SIGKILL');
    });
    const created = await engine.sessions.create({ repo, task: 'wait', title: 'Paused at once', agent: 'command', command: `sleep ${marker}` }, noProgress);
    // While its agent is still being set up (the gateway, its temp folder, the sandbox's wrapping).
    let timer: NodeJS.Timeout | undefined;
    const paused = await Promise.race([
      engine.sessions.pause(created.id),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the pause did not return in 10 s')), 10_000))),
    ]).finally(() => clearTimeout(timer));
    assert.equal(paused.status, 'paused');
    await new Promise(r => setTimeout(r, 500));
    assert.deepEqual(sleepers(marker), [], 'its agent never ran');
  });
}
