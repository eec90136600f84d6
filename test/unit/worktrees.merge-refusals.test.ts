import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { listWorktrees } from '../../src/host/worktrees/worktrees';
import { checkoutState, commitAllIn, read, sh, shStatus, write } from './helpers/git-fixtures';
import { assertMerged, divergeCleanly, makeSessionSandbox, type SessionSandbox } from './helpers/git-session';

let s: SessionSandbox;
beforeEach(async () => {
  s = await makeSessionSandbox();
});
afterEach(() => s.box.dispose());

test('a conflicting merge reports the files and changes nothing', async () => {
  write(s.wt.worktree, 'src/app.txt', 'line 1\nagent line 2\nline 3\n');
  write(s.wt.worktree, 'README.md', '# agent readme\n');
  write(s.wt.worktree, 'clean.txt', 'no conflict here\n');
  commitAllIn(s.wt.worktree, 'agent edits');
  write(s.box.repo, 'src/app.txt', 'line 1\nuser line 2\nline 3\n');
  write(s.box.repo, 'README.md', '# user readme\n');
  commitAllIn(s.box.repo, 'user edits');
  write(s.box.repo, 'wip.txt', 'user has uncommitted work too\n');
  write(s.box.repo, 'src/app.txt', 'line 1\nuser line 2\nline 3\nuncommitted\n');

  for (const strategy of ['merge', 'squash', 'rebase'] as const) {
    const stateBefore = checkoutState(s.box.repo);
    const refsBefore = sh(s.box.repo, 'for-each-ref');
    const sessionBefore = checkoutState(s.wt.worktree);
    const result = await s.merge(strategy);
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.reason === 'conflict', JSON.stringify(result));
    assert.deepEqual([...result.files].sort(), ['README.md', 'src/app.txt']);
    assert.match(result.message, /README\.md/);
    assert.equal(checkoutState(s.box.repo), stateBefore, `${strategy}: the checkout is untouched`);
    assert.equal(sh(s.box.repo, 'for-each-ref'), refsBefore, `${strategy}: no branch moved`);
    assert.equal(checkoutState(s.wt.worktree), sessionBefore, `${strategy}: the session worktree is untouched`);
    assert.equal(existsSync(path.join(s.box.repo, '.git', 'MERGE_HEAD')), false);
    assert.equal((await listWorktrees(s.box.repo)).length, 2, `${strategy}: the temporary worktree is gone`);
  }
});

test('a dirty checkout touching merged files is refused and nothing changes', async () => {
  divergeCleanly(s);
  write(s.box.repo, 'src/app.txt', 'user is editing this\n');
  write(s.box.repo, 'feature.txt', 'an untracked file the merge would overwrite\n');
  const stateBefore = checkoutState(s.box.repo);
  const refsBefore = sh(s.box.repo, 'for-each-ref');
  const result = await s.merge('squash');
  assert.ok(!result.ok && result.reason === 'dirty-checkout', JSON.stringify(result));
  assert.match(result.message, /src\/app\.txt/);
  assert.match(result.message, /feature\.txt/);
  assert.equal(checkoutState(s.box.repo), stateBefore);
  assert.equal(sh(s.box.repo, 'for-each-ref'), refsBefore);
});

test('dirty files the merge does not touch stay as they are', async () => {
  divergeCleanly(s);
  write(s.box.repo, 'README.md', '# user is editing the readme\n');
  write(s.box.repo, 'scratch.txt', 'untracked\n');
  const result = await s.merge('merge');
  assertMerged(result);
  assert.equal(sh(s.box.repo, 'rev-parse', 'HEAD'), result.commit);
  assert.equal(read(s.box.repo, 'README.md'), '# user is editing the readme\n');
  assert.deepEqual(sh(s.box.repo, 'status', '--porcelain', '--untracked-files=all').split('\n').map(l => l.trim()), ['M README.md', '?? scratch.txt']);
});

test('nothing to merge is refused with a reason', async () => {
  const empty = await s.merge('merge');
  assert.ok(!empty.ok && empty.reason === 'nothing-to-merge', JSON.stringify(empty));
  write(s.wt.worktree, 'once.txt', 'x\n');
  commitAllIn(s.wt.worktree, 'agent');
  assertMerged(await s.merge('squash'));
  const again = await s.merge('squash');
  assert.ok(!again.ok && again.reason === 'nothing-to-merge', 'already squashed in: nothing left to merge');
});

test('a checkout in the middle of a merge is refused', async () => {
  divergeCleanly(s);
  sh(s.box.repo, 'checkout', '-q', '-b', 'side', 'main~1');
  write(s.box.repo, 'user.txt', 'conflicting\n');
  commitAllIn(s.box.repo, 'side');
  sh(s.box.repo, 'checkout', '-q', 'main');
  assert.notEqual(shStatus(s.box.repo, '-c', 'user.name=T', '-c', 'user.email=t@t', 'merge', 'side'), 0, 'the user is mid-merge');
  const stateBefore = checkoutState(s.box.repo);
  const result = await s.merge('merge');
  assert.ok(!result.ok && result.reason === 'dirty-checkout' && /middle of a merge/.test(result.message), JSON.stringify(result));
  assert.equal(checkoutState(s.box.repo), stateBefore);
  sh(s.box.repo, 'merge', '--abort');
});

