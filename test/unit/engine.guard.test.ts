// The loop guard end to end: a real agent run against the test upstream, through the gateway.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { TraceTurn } from '../../src/protocol/records';
import { RESUMABLE_STATUSES } from '../../src/protocol/types';
import { runCli } from './helpers/cli';
import { engineFor, makeRepo, noProgress, settle, tempDir, upstream } from './helpers/engineKit';

const failingForever = {
  repeatLast: true,
  steps: [{ calls: [{ name: 'run_command', arguments: { command: "echo 'FAIL test/math.test.js > adds: expected 4, received 5' && exit 1" } }] }],
};

/** Fifteen turns of real progress: each edits a different file, runs the tests, and moves on. */
const productive = {
  steps: [
    ...Array.from({ length: 7 }, (_, i) => [
      { calls: [{ name: 'write_file', arguments: { path: `src/module${i}.js`, content: `export const value${i} = ${i};\n` } }] },
      { calls: [{ name: 'run_command', arguments: { command: `test -f src/module${i}.js && echo "ok ${i + 1} modules"` } }] },
    ]).flat(),
    { calls: [{ name: 'finish', arguments: { summary: 'seven modules, each tested' } }] },
  ],
};

test('an agent repeating a failing command is paused before its 7th request and spends nothing after', async t => {
  const up = await upstream(t, { scripts: { loop: failingForever } });
  const { engine, repo } = await engineFor(t, { up, headless: false });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:loop] make the test pass', title: 'Loop', tier: 'priority' }, noProgress));
  assert.equal(s.status, 'stuck', s.statusReason);
  assert.match(s.statusReason ?? '', /^Loop guard: Stuck, paused for you/);
  assert.ok(up.requests.length <= 6, `${up.requests.length} requests reached the upstream`);
  const spentAtPause = s.costUsd;
  assert.equal(s.tier, 'standard', 'the guard lowered the tier before pausing');
  const after = engine.sessions.info(engine.sessions.get(s.id));
  assert.equal(after.costUsd, spentAtPause, 'nothing spent after the pause');
  const events = (await engine.sessions.transcript(s.id, 0)).events;
  assert.ok(events.some(e => e.kind === 'guard' && e.level === 'warn'), 'a warning came first');
  // Said once, with what the guard saw (in its callout), and what it cost in the figures shown beside it.
  const lowered = events.find(e => e.kind === 'notice' && /Tier changed from priority to standard/.test(e.text));
  assert.equal(lowered?.kind === 'notice' ? lowered.text : '', 'Tier changed from priority to standard: the loop guard lowered it (its reason is above).');
  assert.ok(events.some(e => e.kind === 'guard' && e.level === 'downgrade' && /tier lowered from priority to standard: The same error/.test(e.reason)), 'the guard says why');
  assert.match(engine.sessions.get(s.id).record.tierHistory.at(-1)?.why ?? '', /still looping after its warning: The same error/, 'the record keeps the reason whole');
  assert.match(s.statusReason ?? '', /\(\$0\.\d{2,4} spent since the last progress\)/);
  // Resuming with a hint, the loop goes on, and the guard stops it for good.
  await engine.sessions.resume(s.id, 'The expected value in the test is wrong; fix the test fixture.');
  const again = await settle(engine, s);
  assert.equal(again.status, 'stopped', 'stopped, as the guard says');
  assert.match(again.statusReason ?? '', /^Loop guard: Stopped: still looping after it was resumed with the hint/);
  // Still the user's to resume, with another hint.
  assert.ok(RESUMABLE_STATUSES.includes(again.status));
});

test('a productive 15-turn session finishes untouched', async t => {
  const up = await upstream(t, { scripts: { work: productive } });
  const { engine, repo } = await engineFor(t, { up, headless: false });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:work] build seven modules', title: 'Productive' }, noProgress), 60_000);
  assert.equal(s.status, 'done', s.statusReason);
  assert.equal(s.usage.requests, 15);
  assert.equal(s.guard.level, 'ok');
  const events = (await engine.sessions.transcript(s.id, 0)).events;
  assert.equal(events.filter(e => e.kind === 'guard').length, 0, 'not even a warning');
  // The trace holds every metered response, the last one (finish, followed by no request) included.
  const file = path.join(tempDir(t), 'work.trace.jsonl');
  assert.deepEqual(await engine.sessions.saveTrace(s.id, file), { turns: 15 });
  const turns = readFileSync(file, 'utf8').trim().split('\n').map(l => JSON.parse(l) as TraceTurn);
  assert.deepEqual(turns.at(-1)!.toolCalls.map(c => [c.name, JSON.parse(c.arguments)]), [['finish', { summary: 'seven modules, each tested' }]]);
  assert.deepEqual(turns.map(x => x.turn), Array.from({ length: 15 }, (_, i) => i + 1));
  const traced = turns.reduce((sum, x) => sum + (x.costUsd ?? 0), 0);
  assert.ok(s.costUsd > 0 && Math.abs(traced - s.costUsd) < 1e-9, `trace $${traced} against the session's $${s.costUsd}`);
  assert.equal(turns.reduce((sum, x) => sum + (x.usage?.output ?? 0), 0), s.usage.output);
});

test('a paused session that is then stopped has its last response in its trace', async t => {
  const slow = { steps: [{ calls: [{ name: 'run_command', arguments: { command: 'sleep 2; echo slept' } }] }, { calls: [{ name: 'finish', arguments: { summary: 'x' } }] }] };
  const up = await upstream(t, { scripts: { slow } });
  const { engine, repo } = await engineFor(t, { up, headless: false, settings: { sandbox: { enabled: false, allowedDomains: [], denyRead: [] } } });
  const s = await engine.sessions.create({ repo, task: '[script:slow] wait', title: 'Slow' }, noProgress);
  for (let i = 0; i < 200 && engine.sessions.info(engine.sessions.get(s.id)).usage.requests < 1; i++) await new Promise(r => setTimeout(r, 25));
  await engine.sessions.pause(s.id);
  await engine.sessions.stop(s.id);
  const stopped = await settle(engine, s);
  assert.equal(stopped.usage.requests, 1);
  const file = path.join(tempDir(t), 'slow.trace.jsonl');
  assert.deepEqual(await engine.sessions.saveTrace(s.id, file), { turns: 1 });
  const [turn] = readFileSync(file, 'utf8').trim().split('\n').map(l => JSON.parse(l) as TraceTurn);
  assert.deepEqual(turn!.toolCalls.map(c => c.name), ['run_command']);
  assert.equal(turn!.costUsd, stopped.costUsd);
  // A trace deleted by hand is said as such; no empty file stands in for it.
  rmSync(engine.sessions.get(s.id).paths.trace);
  const again = path.join(tempDir(t), 'gone.trace.jsonl');
  await assert.rejects(engine.sessions.saveTrace(s.id, again), /trace .* is missing \(deleted or moved\): it had 1 turn\. Nothing was saved/);
  assert.equal(existsSync(again), false);
});

test('headless, the CLI stops a looping agent and exits 3; the trace replays to the same verdict', async t => {
  const up = await upstream(t, { scripts: { loop: failingForever } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: up.url };
  const r = await runCli(['run', '--repo', repo, '--task', '[script:loop] fix it', '--json', '--quiet'], env);
  assert.equal(r.code, 3, r.stderr);
  const out = JSON.parse(r.stdout) as { id: string; status: string };
  assert.equal(out.status, 'stuck');
  assert.ok(up.requests.length <= 6);
  const traceFile = path.join(root, 'loop.trace.jsonl');
  const saved = await runCli(['trace', out.id, '--repo', repo, '--out', traceFile], env);
  assert.equal(saved.code, 0, saved.stderr);
  const replay = await runCli(['replay', traceFile, '--json', '--headless'], env);
  assert.equal(replay.code, 0, replay.stderr);
  const verdict = (JSON.parse(replay.stdout) as { verdict: { result: string } }).verdict;
  assert.equal(verdict.result, 'stop');
});

test('a CLI run following its looping agent says the guard\'s warning and stop once each, quoting the error', async t => {
  const up = await upstream(t, { scripts: { loop: failingForever } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: up.url };
  const r = await runCli(['run', '--repo', repo, '--task', '[script:loop] fix it'], env);
  assert.equal(r.code, 3, r.stderr);
  const lines = r.stderr.split('\n');
  const warned = lines.filter(l => /The same (error|failure)|failed the same way/.test(l) && !/Told the agent/.test(l) && !/Stopped/.test(l));
  assert.equal(warned.length, 1, warned.join('\n'));
  // The guard's line as it happens, and the summary the run ends with.
  const stopped = [...lines, ...r.stdout.split('\n')].filter(l => /Stopped as stuck/.test(l));
  assert.equal(stopped.length, 2, stopped.join('\n'));
  assert.ok(lines.some(l => l === "  [stuck] (the loop guard's reason above)"), r.stderr);
  assert.doesNotMatch(r.stderr, /"\[exit code \d+\]"/, 'the error is quoted, not its exit marker');
});

test('the first command of a fresh session is compared with its base commit: what it changed, and nothing else', async t => {
  const script = {
    steps: [
      { calls: [{ name: 'run_command', arguments: { command: 'echo made > by-command.txt && echo ok' } }] },
      { calls: [{ name: 'run_command', arguments: { command: 'echo still here' } }] },
      { calls: [{ name: 'finish', arguments: { summary: 'made a file' } }] },
    ],
  };
  const up = await upstream(t, { scripts: { made: script } });
  const { engine, repo } = await engineFor(t, { up, headless: false });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:made] make a file', title: 'Made' }, noProgress));
  assert.equal(s.status, 'done', s.statusReason);
  const file = path.join(tempDir(t), 'made.trace.jsonl');
  await engine.sessions.saveTrace(s.id, file);
  const turns = readFileSync(file, 'utf8').trim().split('\n').map(l => JSON.parse(l) as TraceTurn);
  assert.deepEqual(turns.slice(0, 2).map(x => x.filesChanged), [['by-command.txt'], []]);
  assert.ok(turns[0]!.worktreeHash && turns[0]!.worktreeHash === turns[1]!.worktreeHash, 'the same state, the same fingerprint');
});

test('a hint given on resume reaches a command agent too, with its next request, and again if that one is refused', async t => {
  const up = await upstream(t, {});
  const kit = await engineFor(t, { up });
  // A request (tried twice if refused), then a failure: the agent a user runs again with advice.
  const agent = `node -e "const go = () => fetch(process.env.OPENAI_BASE_URL + '/chat/completions', { method: 'POST', headers: { authorization: 'Bearer ' + process.env.OPENAI_API_KEY, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-5.4', messages: [{ role: 'user', content: 'go' }] }) }); go().then(r => r.status === 200 ? r : go()).then(r => r.text()).then(() => process.exit(1))"`;
  const s = await settle(kit.engine, await kit.engine.sessions.create({ repo: kit.repo, task: 'fix it', title: 'Command', agent: 'command', command: agent }, noProgress));
  assert.equal(s.status, 'failed', s.statusReason);
  // The first request after the resume is refused by the provider (a 429 the agent retries).
  up.setFaults([{ match: { nth: 2 }, status: 429, times: 1 }]);
  await kit.engine.sessions.resume(s.id, 'HINT-42: the fixture is wrong, not the code.');
  const again = await settle(kit.engine, s);
  assert.equal(again.status, 'failed', again.statusReason);
  const bodies = up.requests.map(r => JSON.stringify(r.body));
  assert.equal(bodies.length, 3);
  assert.deepEqual(bodies.map(b => b.includes('HINT-42: the fixture is wrong')), [false, true, true]);
});
