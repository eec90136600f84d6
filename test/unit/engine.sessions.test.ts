// Sessions end to end through the engine's public API: real git worktrees, the real agent loop, the
// real gateway and ledger, against the test upstream.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { test, type TestContext } from 'node:test';
import { engineFor, git, noProgress, settle, upstream } from './helpers/engineKit';

/** Counts the git processes this process starts that read the repository's HEAD for a new session. */
function countGitLooksAtHead(t: TestContext): () => number {
  let n = 0;
  const onChild = (m: unknown) => {
    const child = (m as { process: ChildProcess }).process;
    child.once('spawn', () => {
      if (child.spawnargs.includes('--show-toplevel') && child.spawnargs.includes('HEAD^{commit}')) n++;
    });
  };
  subscribe('child_process', onChild);
  t.after(() => unsubscribe('child_process', onChild));
  return () => n;
}

const writer = (file: string, text: string) => ({
  steps: [
    { calls: [{ name: 'list_files', arguments: {} }] },
    { calls: [{ name: 'write_file', arguments: { path: file, content: text } }] },
    { calls: [{ name: 'read_file', arguments: { path: file } }] },
    { calls: [{ name: 'finish', arguments: { summary: `wrote ${file}` } }] },
  ],
});

test('three sessions started at once each change files only in their own worktree', async t => {
  const up = await upstream(t, { scripts: { a: writer('a.txt', 'from a\n'), b: writer('b.txt', 'from b\n'), c: writer('c.txt', 'from c\n') } });
  const { engine, repo } = await engineFor(t, { up });
  const looks = countGitLooksAtHead(t);
  const created = await Promise.all(['a', 'b', 'c'].map(n => engine.sessions.create({ repo, task: `[script:${n}] write ${n}`, title: `Write ${n}` }, noProgress)));
  assert.equal(new Set(created.map(s => s.branch)).size, 3);
  assert.equal(looks(), 1, 'sessions created together share one look at the repository and its HEAD');
  assert.equal(new Set(created.map(s => s.baseCommit)).size, 1);
  const done = await Promise.all(created.map(s => settle(engine, s)));
  for (const [i, s] of done.entries()) {
    const name = ['a', 'b', 'c'][i];
    assert.equal(s.status, 'done', `${s.title}: ${s.statusReason}`);
    assert.ok(!s.worktree.startsWith(repo), 'worktrees live outside the checkout');
    assert.equal(readFileSync(path.join(s.worktree, `${name}.txt`), 'utf8'), `from ${name}\n`);
    for (const other of ['a', 'b', 'c'].filter(x => x !== name)) assert.equal(existsSync(path.join(s.worktree, `${other}.txt`)), false);
    assert.equal(s.usage.requests, 4);
    assert.ok(s.costUsd > 0);
    // The agent's work is committed on its branch.
    assert.match(git(s.worktree, 'log', '-1', '--format=%s'), /Write/);
  }
  // Their runs, to the commit of their work, use the repository as their creation found it: a run that ends
  // while a session is still being created adds no look of its own.
  assert.equal(looks(), 1, 'runs and commits look at the repository no more');
  assert.equal(git(repo, 'status', '--porcelain'), '', 'the user checkout is untouched');
  for (const n of ['a', 'b', 'c']) assert.equal(existsSync(path.join(repo, `${n}.txt`)), false);
  // Every request went upstream with the user's key and the session's tier and cache key.
  for (const r of up.requests) {
    assert.equal(r.headers.authorization, 'Bearer sk-test-upstream');
    const body = r.body as Record<string, unknown>;
    assert.equal(body.service_tier, 'default');
    assert.match(String(body.prompt_cache_key), /^switchyard-/);
    assert.equal(body.store, false);
    assert.ok(Number(body.max_output_tokens) > 0);
  }
});

test('a stopped session is stopped, not failed: it ends its run, can be resumed, and a second stop changes nothing', async t => {
  const up = await upstream(t, { scripts: { w: writer('w.txt', 'from w\n') }, eventDelayMs: 30 });
  const { engine, repo } = await engineFor(t, { up });
  const s = await engine.sessions.create({ repo, task: '[script:w] write w', title: 'Write w' }, noProgress);
  for (let i = 0; i < 400 && up.requests.length < 1; i++) await new Promise(r => setTimeout(r, 10));
  const stopped = await engine.sessions.stop(s.id);
  assert.equal(stopped.status, 'stopped');
  assert.equal(stopped.statusReason, 'Stopped by the user.');
  const live = engine.sessions.get(s.id);
  assert.equal(live.run, undefined, 'its agent has ended');
  const statuses = (await live.transcript.readAll()).flatMap(e => (e.kind === 'status' ? [e.status] : []));
  assert.equal(statuses.at(-1), 'stopped', 'the transcript says it was stopped');
  assert.equal((await engine.sessions.stop(s.id)).statusReason, 'Stopped by the user.');
  assert.equal(statuses.length, (await live.transcript.readAll()).filter(e => e.kind === 'status').length, 'a second stop adds nothing');
  await assert.rejects(engine.sessions.retry(s.id), /Only a failed session can be retried/);
  assert.match((await engine.sessions.resume(s.id)).status, /^(queued|running)$/);
  const done = await settle(engine, s);
  assert.equal(done.status, 'done', done.statusReason);
  assert.equal(readFileSync(path.join(s.worktree, 'w.txt'), 'utf8'), 'from w\n');
  // Done, it sends nothing more: its tier stays as its requests went.
  await assert.rejects(engine.sessions.setTier(s.id, 'flex'), /is done: it sends no more requests/);
  assert.equal(engine.sessions.info(engine.sessions.get(s.id)).tier, 'standard');
});

test("a title taken from a task's first line leaves out terminal escapes and control characters", async t => {
  const up = await upstream(t, { scripts: { w: writer('w.txt', 'from w\n') } });
  const { engine, repo } = await engineFor(t, { up });
  const s = await engine.sessions.create({ repo, task: '\u001b]0;owned\u0007 \u001b[31mRed\u001b[0m alert\u0007:\tfix it\u202e [script:w]' }, noProgress);
  assert.equal(s.title, 'Red alert: fix it [script:w]');
  await engine.sessions.stop(s.id);
  // A long first line is cut at a word's end, without the comma it stopped at, and says it was cut.
  const long = await engine.sessions.create({ repo, task: 'Move the invoice total rounding into its own module, keep the API stable, and update every caller that depends on it [script:w]' }, noProgress);
  assert.equal(long.title, 'Move the invoice total rounding into its own module, keep the API stable, and…');
  assert.ok(long.title.length <= 80);
  await engine.sessions.stop(long.id);
  // A cut with no word's end near it never splits an emoji in two.
  const emoji = await engine.sessions.create({ repo, task: `${'x'.repeat(78)}😀 tail [script:w]` }, noProgress);
  assert.equal(emoji.title, `${'x'.repeat(78)}…`);
  await engine.sessions.stop(emoji.id);
});
