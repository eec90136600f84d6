import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { listWorktrees } from '../../src/host/worktrees/worktrees';
import { checkoutState, read, sh, write } from './helpers/git-fixtures';
import { assertMerged, divergeCleanly, makeSessionSandbox, type SessionSandbox } from './helpers/git-session';

let s: SessionSandbox;
beforeEach(async () => {
  s = await makeSessionSandbox();
});
afterEach(() => s.box.dispose());

for (const strategy of ['merge', 'squash', 'rebase'] as const) {
  test(`${strategy}: lands the work on main and leaves the user's checkout clean and updated`, async () => {
    divergeCleanly(s);
    const mainBefore = sh(s.box.repo, 'rev-parse', 'main');
    const result = await s.merge(strategy);
    assertMerged(result);
    assert.equal(result.strategy, strategy);
    assert.equal(sh(s.box.repo, 'rev-parse', 'main'), result.commit);
    assert.equal(sh(s.box.repo, 'rev-parse', 'HEAD'), result.commit, 'the checkout (on main) moved with it');
    assert.equal(sh(s.box.repo, 'status', '--porcelain', '--untracked-files=all'), '', 'and is clean');
    assert.equal(read(s.box.repo, 'feature.txt'), 'feature, part two\n');
    assert.equal(read(s.box.repo, 'src/app.txt'), 'line 1\nline 2\nline 3 by agent\n');
    assert.equal(read(s.box.repo, 'user.txt'), 'user work\n');
    assert.equal(sh(s.box.repo, 'merge-base', '--is-ancestor', mainBefore, 'main'), '', 'main only moved forward');
    const parents = sh(s.box.repo, 'rev-list', '--parents', '-n', '1', 'main').split(' ').slice(1);
    if (strategy === 'merge') {
      assert.deepEqual(parents, [mainBefore, sh(s.box.repo, 'rev-parse', s.wt.branch)]);
      assert.equal(sh(s.box.repo, 'log', '-1', '--format=%s', 'main'), `Merge branch '${s.wt.branch}' into main`);
    } else if (strategy === 'squash') {
      assert.deepEqual(parents, [mainBefore], 'one commit on top of main');
      assert.equal(sh(s.box.repo, 'rev-list', '--count', `${mainBefore}..main`), '1');
    } else {
      assert.equal(sh(s.box.repo, 'rev-list', '--count', `${mainBefore}..main`), '2', 'both agent commits, replayed');
      assert.equal(sh(s.box.repo, 'rev-parse', s.wt.branch), result.commit, 'the session branch is the rebased one');
      assert.equal(sh(s.wt.worktree, 'rev-parse', 'HEAD'), result.commit, 'and its worktree follows');
      assert.equal(sh(s.wt.worktree, 'status', '--porcelain'), '');
    }
    assert.equal((await listWorktrees(s.box.repo)).length, 2, 'no temporary worktree is left');
  });
}

test('when main is not checked out anywhere, it is moved by compare-and-swap', async () => {
  divergeCleanly(s);
  sh(s.box.repo, 'checkout', '-q', '-b', 'elsewhere');
  const stateBefore = checkoutState(s.box.repo);
  const result = await s.merge('rebase');
  assertMerged(result);
  assert.equal(sh(s.box.repo, 'rev-parse', 'main'), result.commit);
  assert.equal(checkoutState(s.box.repo), stateBefore, 'the checkout on another branch is not touched');
});

test('uncommitted work in the session worktree is committed first, unless told not to', async () => {
  write(s.wt.worktree, 'pending.txt', 'never committed by the agent\n');
  const refused = await s.merge('squash', { commitPending: false });
  assert.ok(!refused.ok && refused.reason === 'error' && /uncommitted/.test(refused.message), JSON.stringify(refused));
  assert.equal(sh(s.box.repo, 'rev-parse', 'main'), s.wt.baseCommit);
  const result = await s.merge('squash', { message: 'Add pending.txt' });
  assertMerged(result);
  assert.equal(read(s.box.repo, 'pending.txt'), 'never committed by the agent\n');
  assert.equal(sh(s.box.repo, 'log', '-1', '--format=%s', 'main'), 'Add pending.txt');
  assert.equal(sh(s.wt.worktree, 'status', '--porcelain'), '');
});

test('a merge left half-done by a crashed process is cleaned up before the next one', async () => {
  divergeCleanly(s);
  const crashed = path.join(tmpdir(), `switchyard-merge-crashed-${process.pid}`);
  sh(s.box.repo, 'worktree', 'add', '-q', '--detach', crashed, 'main');
  assertMerged(await s.merge('merge'));
  assert.equal(existsSync(crashed), false);
  assert.equal((await listWorktrees(s.box.repo)).length, 2);
});
