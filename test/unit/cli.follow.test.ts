// Ctrl-C in a CLI run while its session is still being made: the worktree and branch exist before the
// record does, so the run goes on until the session is there, then pauses it. Nothing is left to no session.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { followSession, servedElsewhere } from '../../src/cli/follow';
import type { TranscriptEvent, UsageRecord } from '../../src/protocol/records';
import { makeRecord } from './helpers/records';
import path from 'node:path';
import { engineFor, makeRepo, noProgress, tempDir, upstream } from './helpers/engineKit';
import { CLI, runCli } from './helpers/cli';
import { InterruptedError, InvalidRequestError } from '../../src/host/errors';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';

test('Ctrl-C while the session is being created pauses it once it exists; a resume can go on with it', async t => {
  const up = await upstream(t);
  const { engine, repo } = await engineFor(t, { up });
  const lines: string[] = [];
  const code = await followSession(
    engine,
    async () => {
      process.emit('SIGINT');
      return engine.sessions.create({ repo, task: 'anything', title: 'Interrupted early' }, noProgress);
    },
    { json: false, quiet: true },
    s => lines.push(s),
    s => lines.push(s),
  );
  assert.equal(code, 3, lines.join('\n'));
  assert.match(lines.join('\n'), /Interrupted: the session is paused as soon as it has started \(Ctrl-C again to exit now\)\./);
  assert.match(lines.join('\n'), /^paused: Interrupted early/m);
  const [s] = await engine.sessions.list(repo);
  assert.equal(s?.status, 'paused', 'the session that owns the worktree and branch is there, and can be resumed');
});

test('Ctrl-C from a terminal (to the whole process group) while git makes the worktree leaves no branch without its session: the run pauses the session once made', { timeout: 60_000 }, async t => {
  const up = await upstream(t);
  const root = tempDir(t);
  const repo = makeRepo(root);
  // A smudge filter that takes its time holds git inside `worktree add`, and says when it has started.
  const marker = path.join(root, 'checking-out');
  writeFileSync(path.join(repo, '.gitattributes'), '*.txt filter=slow\n');
  execFileSync('git', ['add', '.gitattributes'], { cwd: repo });
  execFileSync('git', ['commit', '-qm', 'attributes'], { cwd: repo });
  execFileSync('git', ['config', 'filter.slow.smudge', `touch '${marker}'; sleep 1; cat`], { cwd: repo });
  execFileSync('git', ['config', 'filter.slow.clean', 'cat'], { cwd: repo });
  const env = { ...process.env, SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_BASE_URL: up.url, OPENAI_API_KEY: 'sk-x' };
  // A process group of its own, as a terminal gives a command it runs in the foreground.
  const child = spawn(process.execPath, [CLI, 'run', '--repo', repo, '--task', 'anything', '--title', 'Cut short', '--json', '--quiet'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', d => (stdout += d));
  child.stderr.on('data', d => (stderr += d));
  while (!existsSync(marker)) await new Promise(r => setTimeout(r, 10));
  process.kill(-child.pid!, 'SIGINT');
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 3, `paused, not failed: ${stderr}`);
  assert.equal((JSON.parse(stdout) as { status: string }).status, 'paused');
  const branches = execFileSync('git', ['branch', '--list', '--format=%(refname:short)', 'switchyard/*'], { cwd: repo, encoding: 'utf8' }).trim().split('\n');
  assert.equal(branches.length, 1, 'one branch, the session\'s');
  const listed = JSON.parse((await runCli(['sessions', '--repo', repo, '--json'], env)).stdout) as { branch: string; status: string }[];
  assert.deepEqual(listed.map(s => [s.branch, s.status]), [[branches[0], 'paused']]);
});

test('a start that fails after a Ctrl-C (what it ran got the signal too, as the sandbox probe does) is an interrupt, not the fault it met', async t => {
  const up = await upstream(t);
  const { engine } = await engineFor(t, { up });
  const lines: string[] = [];
  const followed = followSession(
    engine,
    async () => {
      process.emit('SIGINT');
      throw new InvalidRequestError('The OS sandbox cannot run here (the sandbox could not start (Failed to create bridge sockets after 5 attempts)).');
    },
    { json: false, quiet: true, fresh: true },
    s => lines.push(s),
    s => lines.push(s),
  );
  await assert.rejects(followed, (e: Error) => e instanceof InterruptedError && /^Stopped while the session was being made, before anything was made or changed\.$/.test(e.message));
});

test('a signal while the CLI starts, before its engine is up, ends it at once as before, but said, and as JSON where asked (130 for Ctrl-C, nothing made)', async t => {
  const root = tempDir(t);
  const repo = makeRepo(root);
  // Sent the moment the CLI first listens for Ctrl-C, which it does before anything else of its own.
  const preload = path.join(root, 'signal-at-start.cjs');
  writeFileSync(preload, `const on = process.on.bind(process); let sent = false;
process.on = (ev, fn) => { const r = on(ev, fn); if (ev === 'SIGINT' && !sent) { sent = true; process.kill(process.pid, 'SIGINT'); } return r; };`);
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', NODE_OPTIONS: `--require ${preload}` };
  const r = await runCli(['run', '--repo', repo, '--task', 'anything', '--json'], env);
  assert.equal(r.code, 130, r.stderr);
  assert.equal(r.stderr.trim(), 'switchyard run: Interrupted (SIGINT) while starting, before its work began.');
  assert.deepEqual(JSON.parse(r.stdout), { ok: false, reason: 'error', message: 'Interrupted (SIGINT) while starting, before its work began.' });
  assert.equal(execFileSync('git', ['branch', '--list', 'switchyard/*'], { cwd: repo, encoding: 'utf8' }).trim(), '', 'no branch was made');
});

test('a run told to end by SIGTERM (a CI timeout) pauses its session saying so, not as the user\'s pause', async t => {
  const up = await upstream(t, { eventDelayMs: 50 });
  const { engine, repo } = await engineFor(t, { up });
  const lines: string[] = [];
  const code = await followSession(
    engine,
    async () => {
      const s = await engine.sessions.create({ repo, task: 'anything', title: 'Timed out' }, noProgress);
      setTimeout(() => process.emit('SIGTERM', 'SIGTERM'), 100);
      return s;
    },
    { json: false, quiet: true },
    s => lines.push(s),
    s => lines.push(s),
  );
  assert.equal(code, 3, lines.join('\n'));
  const [s] = await engine.sessions.list(repo);
  assert.equal(s?.status, 'paused');
  assert.equal(s?.statusReason, 'Paused: the run was told to end (SIGTERM).');
});

test('a run whose terminal closes (SIGHUP) pauses its session as SIGTERM does: it prints its end, and the cut request is booked from what arrived', { timeout: 60_000 }, async t => {
  const up = await upstream(t, {
    eventDelayMs: 40,
    scripts: { long: { repeatLast: true, steps: [{ text: 'Writing one more file, as planned.', calls: [{ name: 'write_file', arguments: { path: 'f-{{turn}}.txt', content: 'x' } }] }] } },
  });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const run = runCli(['run', '--repo', repo, '--task', '[script:long] on and on', '--json', '--quiet'], { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_BASE_URL: up.url, OPENAI_API_KEY: 'sk-x' });
  while (up.requests.length < 2) await new Promise(r => setTimeout(r, 20));
  run.kill('SIGHUP');
  const ended = await run;
  assert.equal(ended.code, 3, `paused, not killed by the signal: ${ended.stderr}`);
  const out = JSON.parse(ended.stdout) as { status: string; reason: string; estimatedRequests?: number; costUsd: number; usage: { output: number } };
  assert.equal(out.status, 'paused');
  assert.equal(out.reason, "Paused: the run's terminal was closed (SIGHUP).");
  // The cut request is estimated from the events that came, not at its worst case (8,192 tokens of output).
  assert.equal(out.estimatedRequests, 1);
  assert.ok(out.usage.output < 1000, `${out.usage.output} tokens of output`);
});

test('Ctrl-C once the session has ended neither says it pauses it nor changes the exit: the run ends with the session\'s status', { timeout: 60_000 }, async t => {
  const up = await upstream(t);
  const root = tempDir(t);
  const repo = makeRepo(root);
  const env = { ...process.env, SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_BASE_URL: up.url, OPENAI_API_KEY: 'sk-x' };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    // The signal comes as the result is printed, while the engine shuts down.
    const child = spawn(process.execPath, [CLI, 'run', '--repo', repo, '--task', 'anything', '--title', `Ends ${signal}`, '--json', '--quiet'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', d => {
      stdout += d;
      if (stdout.includes('"status"')) child.kill(signal);
    });
    child.stderr.on('data', d => (stderr += d));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal((JSON.parse(stdout) as { status: string }).status, 'done');
    assert.equal(code, 0, `${signal}: ${stderr}`);
    assert.doesNotMatch(stderr, /Interrupted/);
  }
});

test('served at another tier: one served at the tier asked is not, priced or not; one at a tier unknown here is, as unpricedTier', () => {
  const usage = (over: Partial<UsageRecord>): TranscriptEvent => ({ kind: 'usage', ts: '', turn: 1, cachedShare: 0, record: makeRecord('r', over) });
  const events = [
    usage({ requestedTier: 'flex', servedTier: 'flex', costBound: true, estimated: true }),
    usage({ requestedTier: 'standard', servedTier: 'unknown', costBound: true, estimated: true }),
    usage({ requestedTier: 'priority', servedTier: 'standard' }),
    usage({ requestedTier: 'standard', servedTier: 'unknown', estimated: true }),
    // No tier named, and the one asked has no price: bound, but not served elsewhere that anyone said.
    usage({ model: 'gpt-4.1', requestedTier: 'flex', servedTier: 'unknown', costBound: true, estimated: true }),
  ];
  const pricedAt = (model: string, tier: string) => !(model === 'gpt-4.1' && tier === 'flex');
  assert.deepEqual(servedElsewhere(events, pricedAt), { requests: 2, byTier: { unpricedTier: 1, standard: 1 } });
});
