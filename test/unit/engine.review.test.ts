// Review and finish through the engine: merge, squash and rebase land the work; a conflict is reported and
// changes nothing; discarding unmerged work asks first and keeps the branch.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { MergeStrategy } from '../../src/protocol/types';
import { Engine } from '../../src/host/engine';
import { silentSink } from '../../src/host/events';
import { withDefaults } from '../../src/host/settings';
import { engineFor, git, noProgress, settle, tempDir, upstream } from './helpers/engineKit';

const write = (file: string, text: string) => ({
  steps: [
    { calls: [{ name: 'write_file', arguments: { path: file, content: text } }] },
    { calls: [{ name: 'finish', arguments: { summary: `wrote ${file}` } }] },
  ],
});

for (const strategy of ['merge', 'squash', 'rebase'] as MergeStrategy[]) {
  test(`${strategy} lands the session's work on main and leaves the checkout clean`, async t => {
    const up = await upstream(t, { scripts: { w: write('feature.txt', `by ${strategy}\n`) } });
    const { engine, repo } = await engineFor(t, { up });
    const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:w] add a feature', title: `Feature ${strategy}` }, noProgress));
    assert.equal(s.status, 'done', s.statusReason);
    // main moves on meanwhile: the merge must still work.
    writeFileSync(path.join(repo, 'other.txt'), 'user work\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'user commit');
    const r = await engine.sessions.merge({ sessionId: s.id, strategy }, noProgress);
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(readFileSync(path.join(repo, 'feature.txt'), 'utf8'), `by ${strategy}\n`);
    assert.equal(git(repo, 'status', '--porcelain'), '');
    assert.equal(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD'), 'main');
    assert.equal(engine.sessions.get(s.id).record.status, 'merged');
    assert.equal(existsSync(s.worktree), false, 'the merged session worktree is removed');
  });
}

test('a session whose work landed already (a merge killed once it had landed) is merged by the next merge: its clean-up, recorded as merged', async t => {
  const up = await upstream(t, { scripts: { a: write('a.txt', 'landed\n'), b: write('b.txt', 'squashed\n'), c: write('c.txt', 'undone\n') } });
  const { engine, repo } = await engineFor(t, { up });
  const byMerge = await settle(engine, await engine.sessions.create({ repo, task: '[script:a] one', title: 'Landed by merge' }, noProgress));
  const bySquash = await settle(engine, await engine.sessions.create({ repo, task: '[script:b] two', title: 'Landed by squash' }, noProgress));
  // As the killed merges left them: the work on main, the sessions still done, their worktrees and branches there.
  git(repo, 'merge', '-q', '--no-ff', '-m', 'landed', byMerge.branch);
  git(repo, 'merge', '-q', '--squash', bySquash.branch);
  git(repo, 'commit', '-q', '-m', `Landed by squash\n\nMerged from Switchyard session ${bySquash.id} (${bySquash.branch}).`);
  for (const [s, strategy] of [[byMerge, 'merge'], [bySquash, 'squash']] as const) {
    const r = await engine.sessions.merge({ sessionId: s.id, strategy }, noProgress);
    assert.ok(r.ok, JSON.stringify(r));
    const after = engine.sessions.get(s.id).record;
    assert.equal(after.status, 'merged');
    assert.match(after.statusReason ?? '', /^Its work was already on main .*merged earlier/);
    assert.equal(existsSync(s.worktree), false);
  }
  // A branch whose work undid itself has nothing to merge: still refused.
  const none = await settle(engine, await engine.sessions.create({ repo, task: '[script:c] three', title: 'Nothing' }, noProgress));
  git(none.worktree, 'rm', '-q', 'c.txt');
  git(none.worktree, '-c', 'user.email=a@b', '-c', 'user.name=a', 'commit', '-qm', 'undo');
  const refused = await engine.sessions.merge({ sessionId: none.id, strategy: 'merge' }, noProgress);
  assert.ok(!refused.ok && refused.reason === 'nothing-to-merge', JSON.stringify(refused));
  assert.equal(engine.sessions.get(none.id).record.status, 'done');
});

test('a conflicting merge is reported with its files and changes nothing', async t => {
  const up = await upstream(t, { scripts: { w: write('src/app.txt', 'agent version\n') } });
  const { engine, repo } = await engineFor(t, { up });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:w] rewrite app', title: 'Rewrite app' }, noProgress));
  writeFileSync(path.join(repo, 'src', 'app.txt'), 'user version\n');
  git(repo, 'commit', '-q', '-am', 'user edit');
  const head = git(repo, 'rev-parse', 'HEAD');
  const r = await engine.sessions.merge({ sessionId: s.id, strategy: 'merge' }, noProgress);
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.reason === 'conflict' && r.files.includes('src/app.txt'), JSON.stringify(r));
  // Where to resolve it: the branch is checked out there, and git would refuse it anywhere else.
  assert.ok(!r.ok && r.message.includes(`in its worktree, ${s.worktree} (e.g. merge main into it there)`), r.ok ? '' : r.message);
  assert.equal(git(repo, 'rev-parse', 'HEAD'), head, 'main did not move');
  assert.equal(git(repo, 'status', '--porcelain'), '', 'the checkout is untouched');
  assert.equal(readFileSync(path.join(repo, 'src', 'app.txt'), 'utf8'), 'user version\n');
  assert.equal(engine.sessions.get(s.id).record.status, 'done', 'the session can still be fixed and merged');
  // Its worktree folder deleted by hand: the advice says how to get at the branch, not to go to the folder.
  rmSync(s.worktree, { recursive: true, force: true });
  const gone = await engine.sessions.merge({ sessionId: s.id, strategy: 'merge' }, noProgress);
  assert.ok(!gone.ok && gone.message.includes('its worktree folder is gone: `git worktree prune` in the repository') && !gone.message.includes(`in its worktree, ${s.worktree}`), JSON.stringify(gone));
});

test('a discard that commits first keeps the uncommitted work on the branch it keeps; asked to delete that branch too, it is refused and commits nothing', async t => {
  const up = await upstream(t, { scripts: { w: write('done.txt', 'done\n') } });
  const { engine, repo } = await engineFor(t, { up });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:w] start something', title: 'Left half done' }, noProgress));
  // Work of the user's own in the worktree, after the run, not committed.
  writeFileSync(path.join(s.worktree, 'notes.txt'), 'my notes\n');
  await assert.rejects(engine.sessions.discard({ sessionId: s.id, commitFirst: true, deleteBranch: true }), /keeps the branch: it cannot also be deleted/);
  assert.equal(existsSync(path.join(s.worktree, 'notes.txt')), true);
  assert.throws(() => git(repo, 'show', `${s.branch}:notes.txt`), 'not committed');
  const r = await engine.sessions.discard({ sessionId: s.id, commitFirst: true });
  assert.deepEqual(r, { ok: true, branchKept: true });
  assert.equal(existsSync(s.worktree), false);
  assert.equal(git(repo, 'show', `${s.branch}:notes.txt`), 'my notes');
  assert.equal(git(repo, 'show', `${s.branch}:done.txt`), 'done');
  assert.match(git(repo, 'log', '-1', '--format=%s', s.branch), /^Left half done \(uncommitted work, kept when discarded\)$/);
});

test('discarding a session with unmerged work asks first, then keeps its branch', async t => {
  const up = await upstream(t, { scripts: { w: write('wip.txt', 'work in progress\n') } });
  const { engine, repo } = await engineFor(t, { up });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:w] start something', title: 'Unmerged work' }, noProgress));
  const first = await engine.sessions.discard({ sessionId: s.id });
  assert.equal(first.ok, false);
  assert.ok(!first.ok && first.needsConfirmation && first.unmergedCommits === 1);
  assert.equal(existsSync(s.worktree), true, 'nothing removed without confirmation');
  const second = await engine.sessions.discard({ sessionId: s.id, force: true });
  assert.deepEqual(second, { ok: true, branchKept: true });
  assert.equal(existsSync(s.worktree), false);
  assert.match(git(repo, 'branch', '--list', s.branch), new RegExp(s.branch.replace('/', '\\/')));
  assert.equal(engine.sessions.get(s.id).record.status, 'discarded');
  // Its kept branch can go later: asked first while it holds unmerged work, then deleted.
  const later = await engine.sessions.discard({ sessionId: s.id, deleteBranch: true });
  assert.ok(!later.ok && later.unmergedCommits === 1, JSON.stringify(later));
  assert.deepEqual(await engine.sessions.discard({ sessionId: s.id, deleteBranch: true, force: true }), { ok: true, branchKept: false });
  assert.equal(git(repo, 'branch', '--list', s.branch), '');
  assert.equal(engine.sessions.get(s.id).record.status, 'discarded');
});

test('an orphaned worktree (folder deleted by hand) is detected and pruned', async t => {
  const up = await upstream(t, { scripts: { w: write('x.txt', 'x\n') } });
  const { engine, repo } = await engineFor(t, { up });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:w] x', title: 'Orphan' }, noProgress));
  const { rmSync } = await import('node:fs');
  rmSync(s.worktree, { recursive: true, force: true });
  const r = await engine.sessions.prune(repo);
  assert.deepEqual(r.pruned.length, 1);
  assert.equal(engine.sessions.get(s.id).record.status, 'discarded');
  assert.doesNotMatch(git(repo, 'worktree', 'list'), /Orphan/i);
});

test('sessions whose worktrees folder elsewhere is away (an unmounted drive) are left as they were, and work when it is back', async t => {
  const up = await upstream(t, { scripts: { w: write('x.txt', 'x\n') } });
  const drive = tempDir(t);
  const settings = { worktreesDir: path.join(drive, 'worktrees') };
  const { engine, repo, home } = await engineFor(t, { up, settings });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:w] x', title: 'Away' }, noProgress));
  assert.equal(s.status, 'done', s.statusReason);
  await engine.shutdown();
  renameSync(path.join(drive, 'worktrees'), path.join(drive, 'away'));
  const later = await Engine.start({ home, settings: withDefaults({ baseURL: up.url, ...settings }), apiKey: 'sk-test-upstream', headless: true, sink: silentSink });
  try {
    const [seen] = await later.sessions.list(repo);
    assert.equal(seen.status, 'done');
    assert.deepEqual((await later.sessions.prune(repo)).pruned, []);
    renameSync(path.join(drive, 'away'), path.join(drive, 'worktrees'));
    assert.match(git(repo, 'worktree', 'list'), new RegExp(s.branch.replace('/', '\\/')));
    assert.deepEqual((await later.sessions.changes(s.id)).files.map(f => f.path), ['x.txt']);
  } finally {
    await later.shutdown();
  }
});

test("a worktrees folder deleted from Switchyard's own folder is pruned: its sessions are over, their branches kept", async t => {
  const up = await upstream(t, { scripts: { w: write('x.txt', 'x\n') } });
  const { engine, repo } = await engineFor(t, { up });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:w] x', title: 'Deleted' }, noProgress));
  rmSync(path.dirname(s.worktree), { recursive: true, force: true });
  assert.deepEqual((await engine.sessions.prune(repo)).pruned.length, 1);
  assert.equal(engine.sessions.get(s.id).record.status, 'discarded');
  assert.match(git(repo, 'branch', '--list', s.branch), /Deleted|deleted/);
});

test('a merge asked for while a paused agent is still ending waits for it, and lands what it wrote last', async t => {
  const up = await upstream(t);
  const { engine, repo } = await engineFor(t, { up, settings: { sandbox: { enabled: false, allowedDomains: [], denyRead: [] } } });
  // An agent that, told to stop, takes a second to write its last file (within the stop's grace period).
  const agent = `trap 'sleep 1; echo late > late.txt; exit 0' TERM; echo early > early.txt; while :; do sleep 0.05; done`;
  const s = await engine.sessions.create({ repo, task: 'slow to stop', title: 'Slow to stop', agent: 'command', command: agent }, noProgress);
  const live = engine.sessions.get(s.id);
  for (let i = 0; i < 200 && !existsSync(path.join(s.worktree, 'early.txt')); i++) await new Promise(r => setTimeout(r, 25));
  const pausing = engine.sessions.pause(s.id);
  assert.equal(live.record.status, 'paused', 'the status changes at once');
  assert.ok(live.run, 'while the agent is still ending');
  const r = await engine.sessions.merge({ sessionId: s.id, strategy: 'merge' }, noProgress);
  await pausing;
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.deepEqual(git(repo, 'ls-tree', '--name-only', 'main').split('\n').filter(f => f.endsWith('.txt')).sort(), ['early.txt', 'late.txt']);
  assert.equal(live.record.status, 'merged');
  assert.equal(existsSync(s.worktree), false);
});

test('a session resumed while its paused agent is still ending starts again once it has ended', async t => {
  const up = await upstream(t);
  const { engine, repo } = await engineFor(t, { up, settings: { sandbox: { enabled: false, allowedDomains: [], denyRead: [] } } });
  const agent = `trap 'sleep 1; exit 0' TERM; echo run >> runs.txt; while :; do sleep 0.05; done`;
  const s = await engine.sessions.create({ repo, task: 'slow to stop', title: 'Slow to stop', agent: 'command', command: agent }, noProgress);
  const live = engine.sessions.get(s.id);
  const runs = () => (existsSync(path.join(s.worktree, 'runs.txt')) ? readFileSync(path.join(s.worktree, 'runs.txt'), 'utf8').split('\n').filter(Boolean).length : 0);
  for (let i = 0; i < 200 && runs() < 1; i++) await new Promise(r => setTimeout(r, 25));
  const pausing = engine.sessions.pause(s.id);
  assert.ok(live.run, 'the agent is still ending');
  assert.equal((await engine.sessions.resume(s.id)).status, 'queued');
  await pausing;
  for (let i = 0; i < 200 && runs() < 2; i++) await new Promise(r => setTimeout(r, 25));
  assert.equal(runs(), 2, 'the agent started again');
  assert.equal(live.record.status, 'running');
  await engine.sessions.stop(s.id);
});

test('a session stopped, or paused twice, and resumed while its agent is still ending starts again only once that agent has ended', { timeout: 60_000 }, async t => {
  const up = await upstream(t);
  const { engine, repo } = await engineFor(t, { up, settings: { sandbox: { enabled: false, allowedDomains: [], denyRead: [] } } });
  const agent = `trap 'sleep 1; exit 0' TERM; echo "$$" >> runs.txt; while :; do sleep 0.05; done`;
  const s = await engine.sessions.create({ repo, task: 'slow to stop', title: 'Slow to stop', agent: 'command', command: agent }, noProgress);
  const live = engine.sessions.get(s.id);
  const pids = () => (existsSync(path.join(s.worktree, 'runs.txt')) ? readFileSync(path.join(s.worktree, 'runs.txt'), 'utf8').split('\n').filter(Boolean).map(Number) : []);
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  /** Waits for the n-th agent, checking every 10 ms that never two run at once. */
  const nthStarted = async (n: number) => {
    for (let i = 0; i < 1000 && pids().length < n; i++) {
      assert.ok(pids().filter(alive).length <= 1, `one agent at a time: ${pids().filter(alive).join(', ')} alive`);
      await new Promise(r => setTimeout(r, 10));
    }
    assert.equal(pids().length, n, `agent ${n} started`);
    assert.deepEqual(pids().map(alive), [...pids().slice(0, -1).map(() => false), true], 'only the newest agent runs');
  };
  await nthStarted(1);
  const stopping = engine.sessions.stop(s.id);
  assert.ok(live.run, 'the agent is still ending');
  assert.equal((await engine.sessions.resume(s.id)).status, 'queued');
  await stopping;
  await nthStarted(2);
  assert.equal(live.record.status, 'running');
  // Paused, resumed, paused again before its agent had ended, and resumed again.
  const pausing = engine.sessions.pause(s.id);
  await engine.sessions.resume(s.id);
  await engine.sessions.pause(s.id);
  assert.equal((await engine.sessions.resume(s.id)).status, 'queued');
  await pausing;
  await nthStarted(3);
  assert.equal(live.record.status, 'running');
  assert.equal(engine.sessions.scheduler.runningCount, 1, 'one slot taken');
  await engine.sessions.stop(s.id);
  for (let i = 0; i < 200 && live.run; i++) await new Promise(r => setTimeout(r, 25));
  assert.equal(live.record.status, 'stopped');
  assert.deepEqual(pids().filter(alive), [], 'stopped, no agent runs');
});

test('a session started in a detached worktree of the user starts from its commit; merging it back says there is no branch', async t => {
  const up = await upstream(t, { scripts: { w: write('d.txt', 'x\n') } });
  const { engine, repo } = await engineFor(t, { up });
  writeFileSync(path.join(repo, 'later.txt'), 'later\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'later');
  // The user's own linked worktree, detached one commit behind main.
  const mine = path.join(path.dirname(repo), 'mine');
  git(repo, 'worktree', 'add', '-q', '--detach', mine, 'HEAD~1');
  const s = await settle(engine, await engine.sessions.create({ repo: mine, task: '[script:w] write', title: 'Detached' }, noProgress));
  assert.equal(s.status, 'done', s.statusReason);
  assert.equal(engine.sessions.get(s.id).record.baseCommit, git(mine, 'rev-parse', 'HEAD'));
  const r = await engine.sessions.merge({ sessionId: s.id, strategy: 'merge' }, noProgress);
  assert.ok(!r.ok && /a commit on no branch \(a detached HEAD\)/.test(r.message), JSON.stringify(r));
});

test('a session starts from a local branch: HEAD is the folder\'s own, a full ref name is its branch, and a tag, a remote-tracking branch or a commit is refused before anything is made', async t => {
  const up = await upstream(t, { scripts: { w: write('h.txt', 'x\n') } });
  const { engine, repo } = await engineFor(t, { up });
  git(repo, 'tag', 'v1');
  git(repo, 'update-ref', 'refs/remotes/origin/main', 'HEAD');
  git(repo, 'branch', 'topic');
  const branches = () => git(repo, 'branch', '--list', 'switchyard/*');
  for (const [named, said] of [
    ['v1', /^The base branch "v1" is a tag, not a local branch: a session's work is merged back into the branch it started from\. Start it from a local branch \(`git branch NAME v1` makes one there\), or from the current one\. Nothing was made\.$/],
    ['origin/main', /^The base branch "origin\/main" is a remote-tracking branch, not a local branch/],
    ['HEAD~0', /^The base branch "HEAD~0" is a commit on no branch, not a local branch/],
    ['no-such', /^There is no branch "no-such" in this repository to start from\. Nothing was made\.$/],
    ['--help', /^There is no branch "--help"/],
  ] as const) {
    await assert.rejects(engine.sessions.create({ repo, task: '[script:w] write', title: 'Base', baseBranch: named }, noProgress), (err: Error) => said.test(err.message), named);
  }
  assert.equal(branches(), '', 'nothing was made');
  // HEAD is the current branch of the folder opened, which a merge lands on.
  const fromHead = await settle(engine, await engine.sessions.create({ repo, task: '[script:w] write', title: 'From HEAD', baseBranch: 'HEAD' }, noProgress));
  assert.equal(fromHead.baseBranch, 'main');
  assert.ok((await engine.sessions.merge({ sessionId: fromHead.id, strategy: 'merge' }, noProgress)).ok);
  const fromRef = await engine.sessions.create({ repo, task: '[script:w] write', title: 'From a ref', baseBranch: 'refs/heads/topic' }, noProgress);
  assert.equal(fromRef.baseBranch, 'topic');
  await settle(engine, fromRef);
});

test('a squash merge whose branch the user also checked out elsewhere removes the worktree and says the branch is kept, not that the worktree is', async t => {
  const up = await upstream(t, { scripts: { w: write('sq.txt', 'squashed\n') } });
  const { engine, repo } = await engineFor(t, { up });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:w] write', title: 'Squash me' }, noProgress));
  const elsewhere = path.join(path.dirname(repo), 'also-here');
  git(repo, 'worktree', 'add', '-q', '--force', elsewhere, s.branch);
  const r = await engine.sessions.merge({ sessionId: s.id, strategy: 'squash' }, noProgress);
  assert.ok(r.ok && r.worktreeKept === undefined, JSON.stringify(r));
  assert.equal(existsSync(s.worktree), false);
  const after = engine.sessions.get(s.id).record;
  assert.equal(after.worktreeKept, undefined);
  assert.match(after.statusReason ?? '', /Its branch switchyard\/squash-me is kept: it is checked out in another worktree\.$/);
});
