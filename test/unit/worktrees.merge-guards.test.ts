// Merging back refuses, and changes nothing, when landing the session's work would lose some of it or
// leave a checkout broken: a half-done operation where the work is, a worktree that left its branch, a
// rebase under way of either branch, merge commits a rebase would flatten, ignored files in the way.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { commitAll } from '../../src/host/worktrees/commit';
import { mergeBack } from '../../src/host/worktrees/merge';
import { createWorktree, removeWorktree } from '../../src/host/worktrees/worktrees';
import { checkoutState, commitAllIn, read, sh, shStatus, write } from './helpers/git-fixtures';
import { assertMerged, divergeCleanly, makeSessionSandbox, type SessionSandbox } from './helpers/git-session';

const ID = ['-c', 'user.name=T', '-c', 'user.email=t@t'];
let s: SessionSandbox;
beforeEach(async () => {
  s = await makeSessionSandbox();
});
afterEach(() => s.box.dispose());

/** Every ref and both checkouts, as the user sees them: equal before and after means nothing changed. */
const everything = () => [sh(s.box.repo, 'for-each-ref'), checkoutState(s.box.repo), checkoutState(s.wt.worktree)].join('\n--\n');

/** Every strategy refuses a checkout the user must mend first, saying `said`, and changes nothing at all. */
async function everyStrategyRefusesTheCheckout(said: RegExp): Promise<void> {
  const before = everything();
  for (const strategy of ['merge', 'squash', 'rebase'] as const) {
    const r = await s.merge(strategy);
    assert.ok(!r.ok && r.reason === 'dirty-checkout' && said.test(r.message), JSON.stringify(r));
    assert.equal(everything(), before, `${strategy}: nothing changed, the session branch included`);
  }
}

/** The agent and the user change the same line of src/app.txt; the first merge conflicts. */
function conflict(): void {
  write(s.wt.worktree, 'src/app.txt', 'line 1\nagent\nline 3\n');
  commitAllIn(s.wt.worktree, 'agent');
  write(s.box.repo, 'src/app.txt', 'line 1\nuser\nline 3\n');
  commitAllIn(s.box.repo, 'user');
}

test('a session worktree half-way through merging its base is refused: conflict markers never land', async () => {
  conflict();
  const first = await s.merge('merge');
  assert.ok(!first.ok && first.reason === 'conflict', JSON.stringify(first));
  // The user follows the advice and merges main into the session branch, but clicks Merge before resolving.
  assert.notEqual(shStatus(s.wt.worktree, ...ID, 'merge', 'main'), 0);
  const before = everything();
  for (const strategy of ['merge', 'squash', 'rebase'] as const) {
    const r = await s.merge(strategy);
    assert.ok(!r.ok && r.reason === 'error' && /in the middle of a merge/.test(r.message) && /Nothing was changed/.test(r.message), JSON.stringify(r));
    assert.equal(everything(), before, `${strategy}: nothing changed`);
  }
  assert.equal(read(s.box.repo, 'src/app.txt'), 'line 1\nuser\nline 3\n');
  // The agent's own commit at the end of a run refuses too, rather than commit the markers.
  await assert.rejects(commitAll(s.wt.worktree, 'finish'), /in the middle of a merge/);
  assert.equal(everything(), before);
});

test('unresolved conflicts without a merge under way (a stash that did not apply) are refused', async () => {
  write(s.wt.worktree, 'src/app.txt', 'line 1\nstashed\nline 3\n');
  sh(s.wt.worktree, 'stash', '-q');
  write(s.wt.worktree, 'src/app.txt', 'line 1\nagent\nline 3\n');
  commitAllIn(s.wt.worktree, 'agent');
  assert.notEqual(shStatus(s.wt.worktree, 'stash', 'pop', '-q'), 0, 'the stash conflicts');
  const before = everything();
  const r = await s.merge('merge');
  assert.ok(!r.ok && /unresolved conflicts in src\/app\.txt/.test(r.message), JSON.stringify(r));
  assert.equal(everything(), before);
});

test('a session worktree that left its branch (detached, with a new commit) is refused, and discarding it asks', async () => {
  write(s.wt.worktree, 'one.txt', '1\n');
  commitAllIn(s.wt.worktree, 'on the branch');
  sh(s.wt.worktree, 'checkout', '-q', '--detach');
  write(s.wt.worktree, 'two.txt', '2\n');
  const lonely = commitAllIn(s.wt.worktree, 'on no branch');
  write(s.wt.worktree, 'wip.txt', 'uncommitted\n');
  const before = everything();
  for (const strategy of ['merge', 'squash', 'rebase'] as const) {
    const r = await s.merge(strategy);
    assert.ok(!r.ok && /is not on switchyard\/feature \(it is detached at [0-9a-f]{12}\)/.test(r.message), JSON.stringify(r));
    assert.equal(everything(), before, `${strategy}: nothing changed`);
  }
  // Discarding counts the commit only the detached HEAD holds.
  sh(s.wt.worktree, 'stash', '-q', '-u');
  const asked = await removeWorktree({ repoRoot: s.box.repo, worktree: s.wt.worktree, branch: s.wt.branch, base: 'main', locksDir: s.box.locksDir });
  assert.ok(!asked.ok && asked.needsConfirmation && asked.unmergedCommits === 2, JSON.stringify(asked));
  assert.ok(existsSync(s.wt.worktree));
  assert.equal(sh(s.wt.worktree, 'rev-parse', 'HEAD'), lonely);
});

test('a rebase of the base branch under way in the user\'s checkout is refused, before and after it stops', async () => {
  divergeCleanly(s);
  write(s.box.repo, 'mine.txt', 'one\n');
  commitAllIn(s.box.repo, 'user 1');
  write(s.box.repo, 'mine.txt', 'two\n');
  commitAllIn(s.box.repo, 'user 2');
  // An interactive rebase that stops at its first commit: HEAD is detached, main still names the old tip.
  sh(s.box.repo, '-c', "sequence.editor=sed -i 1s/^pick/edit/", ...ID, 'rebase', '-q', '-i', 'HEAD~2');
  const before = everything();
  const r = await s.merge('merge');
  assert.ok(!r.ok && r.reason === 'dirty-checkout' && /in the middle of rebasing main/.test(r.message), JSON.stringify(r));
  assert.equal(everything(), before);
  sh(s.box.repo, 'rebase', '--abort');
  assertMerged(await s.merge('merge'));
});

test('a rebase of a session branch with merge commits is refused (it would flatten them); merge still works', async () => {
  write(s.wt.worktree, 'feature.txt', 'feature\n');
  commitAllIn(s.wt.worktree, 'agent');
  write(s.box.repo, 'user.txt', 'user\n');
  commitAllIn(s.box.repo, 'user');
  // main merged into the session branch, with a file added in the merge commit itself.
  assert.equal(shStatus(s.wt.worktree, ...ID, 'merge', '--no-commit', 'main'), 0);
  write(s.wt.worktree, 'glue.txt', 'made in the merge\n');
  sh(s.wt.worktree, 'add', '-A');
  sh(s.wt.worktree, ...ID, 'commit', '-q', '--no-edit');
  const before = everything();
  const r = await s.merge('rebase');
  assert.ok(!r.ok && /has merge commits/.test(r.message), JSON.stringify(r));
  assert.equal(everything(), before);
  assertMerged(await s.merge('merge'));
  assert.equal(read(s.box.repo, 'glue.txt'), 'made in the merge\n');
});

test('an ignored file of the user where the merge adds a file is refused, not overwritten', async () => {
  write(s.wt.worktree, 'build/out.txt', 'the agent committed a build output\n');
  sh(s.wt.worktree, 'add', '-f', 'build/out.txt');
  sh(s.wt.worktree, ...ID, 'commit', '-q', '-m', 'agent');
  write(s.box.repo, 'build/out.txt', 'the user\'s own, ignored\n');
  const before = everything();
  const r = await s.merge('merge');
  assert.ok(!r.ok && r.reason === 'dirty-checkout' && /git ignores .*build\/out\.txt/.test(r.message), JSON.stringify(r));
  assert.equal(everything(), before);
  assert.equal(read(s.box.repo, 'build/out.txt'), 'the user\'s own, ignored\n');
});

test('an ignored file of the user where the merge adds a folder is refused, not replaced by it', async () => {
  write(s.box.repo, '.gitignore', 'build/\nlocal\n!local/\n');
  commitAllIn(s.box.repo, 'ignore the local file, not a local folder');
  write(s.box.repo, 'local', 'the user\'s own settings, ignored\n');
  write(s.wt.worktree, 'local/settings.json', '{}\n');
  commitAllIn(s.wt.worktree, 'agent adds a folder');
  await everyStrategyRefusesTheCheckout(/git ignores where this merge adds files: local\./);
  assert.equal(read(s.box.repo, 'local'), 'the user\'s own settings, ignored\n');
});

test("unresolved conflicts in the user's checkout (a stash that did not apply) are refused before a rebase moves the session branch", async () => {
  write(s.wt.worktree, 'feature.txt', 'feature\n');
  commitAllIn(s.wt.worktree, 'agent');
  write(s.box.repo, 'src/app.txt', 'line 1\nstashed\nline 3\n');
  sh(s.box.repo, 'stash', '-q');
  write(s.box.repo, 'src/app.txt', 'line 1\nuser\nline 3\n');
  commitAllIn(s.box.repo, 'user');
  assert.notEqual(shStatus(s.box.repo, 'stash', 'pop', '-q'), 0, 'the stash conflicts');
  await everyStrategyRefusesTheCheckout(/has unresolved conflicts in src\/app\.txt; resolve them/);
});

test("a session branch checked out in the user's own checkout (its worktree gone) is refused, saying so", async () => {
  write(s.wt.worktree, 'feature.txt', 'feature\n');
  commitAllIn(s.wt.worktree, 'agent');
  rmSync(s.wt.worktree, { recursive: true, force: true });
  sh(s.box.repo, 'worktree', 'prune');
  sh(s.box.repo, 'checkout', '-q', s.wt.branch);
  const state = () => [sh(s.box.repo, 'for-each-ref'), checkoutState(s.box.repo)].join('\n--\n');
  const before = state();
  const r = await s.merge('merge');
  assert.ok(!r.ok && r.message.includes(`${s.wt.branch} is checked out in ${s.box.repo}, the repository's own checkout. Check out another branch there (such as main), then merge again. Nothing was changed.`), JSON.stringify(r));
  assert.equal(state(), before);
});

test('a refusal after the session\'s pending work was committed says so instead of "nothing was changed"', async () => {
  conflict();
  write(s.wt.worktree, 'wip.txt', 'pending\n');
  const r = await s.merge('squash');
  assert.ok(!r.ok && r.reason === 'conflict', JSON.stringify(r));
  assert.match(r.message, /The session's uncommitted work was committed on switchyard\/feature; nothing else was changed/);
  assert.doesNotMatch(r.message, /Nothing was changed/);
  assert.equal(sh(s.wt.worktree, 'status', '--porcelain'), '');
});

test('a base checked out in another session\'s worktree is fast-forwarded through its registered admin folder, never its own .git file', async () => {
  // Session A, then a session stacked on A's branch.
  write(s.wt.worktree, 'a.txt', 'A\n');
  const aTip = commitAllIn(s.wt.worktree, 'A');
  const b = await createWorktree({ repoRoot: s.box.repo, worktreesDir: s.box.worktreesDir, locksDir: s.box.locksDir, base: s.wt.branch, slug: 'stacked' });
  write(b.worktree, 'b.txt', 'B\n');
  commitAllIn(b.worktree, 'B');
  // A's agent plants a repository whose fsmonitor runs a command, and points its .git file at it.
  const planted = path.join(s.wt.worktree, '.planted');
  const proof = path.join(s.box.dir, 'PWNED');
  sh(s.box.dir, 'init', '-q', '--bare', planted);
  mkdirSync(path.join(planted, 'objects', 'info'), { recursive: true });
  writeFileSync(path.join(planted, 'objects', 'info', 'alternates'), `${path.join(s.box.repo, '.git', 'objects')}\n`);
  sh(s.box.dir, `--git-dir=${planted}`, 'update-ref', `refs/heads/${s.wt.branch}`, aTip);
  sh(s.box.dir, `--git-dir=${planted}`, 'symbolic-ref', 'HEAD', `refs/heads/${s.wt.branch}`);
  sh(s.box.dir, `--git-dir=${planted}`, 'config', 'core.bare', 'false');
  sh(s.box.dir, `--git-dir=${planted}`, 'config', 'core.fsmonitor', `touch ${proof}; echo`);
  sh(s.box.dir, `--git-dir=${planted}`, 'config', 'core.worktree', s.wt.worktree);
  writeFileSync(path.join(s.wt.worktree, '.git'), `gitdir: ${planted}\n`);

  const r = await mergeBack({ repoRoot: s.box.repo, branch: b.branch, baseBranch: s.wt.branch, strategy: 'merge', worktree: b.worktree, locksDir: s.box.locksDir });
  assert.equal(existsSync(proof), false, 'nothing the agent configured ran');
  // Pinned to the real admin folder, git sees the planted folder as untracked files of A's worktree, which
  // the merge does not touch: the real branch is fast-forwarded.
  assertMerged(r);
  assert.equal(sh(s.box.repo, 'rev-parse', s.wt.branch), r.commit, 'the real branch moved to the merge');
  assert.equal(read(s.wt.worktree, 'b.txt'), 'B\n', 'and A\'s worktree with it');
});
