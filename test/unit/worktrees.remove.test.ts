import assert from 'node:assert/strict';
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { WorktreeError } from '../../src/host/worktrees/errors';
import { mergeBack } from '../../src/host/worktrees/merge';
import { changes } from '../../src/host/worktrees/changes';
import { adminDirOf } from '../../src/host/worktrees/registry';
import { openRepo } from '../../src/host/worktrees/repo';
import { commitAll, createWorktree, listWorktrees, prune, removeWorktree, worktreeFingerprint, type CreatedWorktree } from '../../src/host/worktrees/worktrees';
import { branchExists, commitAllIn, makeSandbox, sh, shStatus, write, type Sandbox } from './helpers/git-fixtures';

let box: Sandbox;
let wt: CreatedWorktree;
beforeEach(async () => {
  box = makeSandbox();
  wt = await createWorktree({ repoRoot: box.repo, worktreesDir: box.worktreesDir, locksDir: box.locksDir, base: 'main', slug: 'discard me' });
});
afterEach(() => box.dispose());

const discard = (extra: { force?: boolean; deleteBranch?: boolean } = {}) =>
  removeWorktree({ repoRoot: box.repo, worktree: wt.worktree, branch: wt.branch, base: 'main', locksDir: box.locksDir, ...extra });

test('discarding a session with unmerged commits asks first, then keeps the branch', async () => {
  write(wt.worktree, 'work.txt', 'work\n');
  const tip = commitAllIn(wt.worktree, 'one');
  write(wt.worktree, 'work.txt', 'more work\n');
  commitAllIn(wt.worktree, 'two');
  const asked = await discard();
  assert.deepEqual(asked, { ok: false, needsConfirmation: true, uncommittedFiles: [], unmergedCommits: 2 });
  assert.ok(existsSync(wt.worktree), 'nothing removed before the user confirms');

  const done = await discard({ force: true });
  assert.deepEqual(done, { ok: true, branchKept: true });
  assert.equal(existsSync(wt.worktree), false);
  assert.equal((await listWorktrees(box.repo)).length, 1);
  assert.ok(branchExists(box.repo, wt.branch), 'the branch and its commits are kept');
  assert.equal(sh(box.repo, 'rev-parse', `${wt.branch}~1`), tip);
});

test('uncommitted and untracked files are listed before they are thrown away', async () => {
  write(wt.worktree, 'src/app.txt', 'edited\n');
  write(wt.worktree, 'new/untracked.txt', 'new\n');
  write(wt.worktree, 'build/ignored.o', 'ignored\n');
  const asked = await discard();
  assert.ok(!asked.ok);
  assert.deepEqual([...asked.uncommittedFiles].sort(), ['new/untracked.txt', 'src/app.txt']);
  assert.equal(asked.unmergedCommits, 0);
  assert.deepEqual(await discard({ force: true }), { ok: true, branchKept: false }, 'no commits: the empty branch goes too');
  assert.equal(branchExists(box.repo, wt.branch), false);
});

test('deleteBranch removes the branch even with unmerged commits; deleteBranch false keeps an empty one', async () => {
  write(wt.worktree, 'work.txt', 'work\n');
  commitAllIn(wt.worktree, 'work');
  assert.deepEqual(await discard({ force: true, deleteBranch: true }), { ok: true, branchKept: false });
  assert.equal(branchExists(box.repo, wt.branch), false);
  assert.equal(existsSync(wt.worktree), false);

  wt = await createWorktree({ repoRoot: box.repo, worktreesDir: box.worktreesDir, locksDir: box.locksDir, base: 'main', slug: 'keep me' });
  assert.deepEqual(await discard({ deleteBranch: false }), { ok: true, branchKept: true });
  assert.ok(branchExists(box.repo, wt.branch));
});

test('a session whose work was merged (even squashed) is discarded without asking', async () => {
  write(wt.worktree, 'work.txt', 'work\n');
  commitAllIn(wt.worktree, 'one');
  write(wt.worktree, 'more.txt', 'more\n');
  commitAllIn(wt.worktree, 'two');
  const merged = await mergeBack({ repoRoot: box.repo, branch: wt.branch, baseBranch: 'main', strategy: 'squash', locksDir: box.locksDir });
  assert.ok(merged.ok, JSON.stringify(merged));
  assert.deepEqual(await discard(), { ok: true, branchKept: false });
});

test('the checkout itself, or a folder that is not a worktree, is never removed', async () => {
  const refuse = (worktree: string) => removeWorktree({ repoRoot: box.repo, worktree, branch: 'main', base: 'main', force: true, locksDir: box.locksDir });
  await assert.rejects(refuse(box.repo), (err: unknown) => err instanceof WorktreeError && err.code === 'not-a-worktree');
  await assert.rejects(refuse(box.home), (err: unknown) => err instanceof WorktreeError && err.code === 'not-a-worktree');
  assert.ok(existsSync(path.join(box.repo, 'README.md')));
});

test('orphaned worktrees (folder deleted by hand) are detected and pruned; branches stay', async () => {
  const second = await createWorktree({ repoRoot: box.repo, worktreesDir: box.worktreesDir, locksDir: box.locksDir, base: 'main', slug: 'orphan' });
  write(second.worktree, 'x.txt', 'x\n');
  commitAllIn(second.worktree, 'orphan work');
  rmSync(second.worktree, { recursive: true, force: true });
  const listed = await listWorktrees(box.repo);
  assert.equal(listed.find(w => w.path === second.worktree)?.missing, true);

  const pruned = await prune(box.repo, { locksDir: box.locksDir });
  assert.deepEqual(pruned, [{ path: second.worktree, branch: second.branch, head: sh(box.repo, 'rev-parse', second.branch) }]);
  const after = await listWorktrees(box.repo);
  assert.deepEqual(after.map(w => w.path).sort(), [box.repo, wt.worktree].sort(), 'the live worktree is left alone');
  assert.ok(branchExists(box.repo, second.branch));
  assert.deepEqual(await prune(box.repo, { locksDir: box.locksDir }), [], 'nothing left to prune');
});

test('a worktrees folder that is away for now (unmounted, renamed) is not pruned: its worktrees come back whole', async () => {
  const other = await createWorktree({ repoRoot: box.repo, worktreesDir: path.join(box.dir, 'elsewhere'), locksDir: box.locksDir, base: 'main', slug: 'elsewhere' });
  const away = `${box.worktreesDir}.away`;
  renameSync(box.worktreesDir, away);
  rmSync(other.worktree, { recursive: true, force: true });
  // Only the worktree whose own folder is gone, in a folder still there, is an orphan.
  assert.deepEqual((await prune(box.repo, { locksDir: box.locksDir })).map(p => p.path), [other.worktree]);
  renameSync(away, box.worktreesDir);
  const back = (await listWorktrees(box.repo)).find(w => w.path === wt.worktree);
  assert.equal(back?.missing, false, 'still registered, and there again');
  assert.equal(sh(wt.worktree, 'rev-parse', '--abbrev-ref', 'HEAD'), wt.branch);
});

test('discarding a session whose folder is gone forgets that worktree alone, not one that is away', async () => {
  const other = await createWorktree({ repoRoot: box.repo, worktreesDir: path.join(box.dir, 'elsewhere'), locksDir: box.locksDir, base: 'main', slug: 'elsewhere' });
  const away = path.join(box.dir, 'elsewhere.away');
  renameSync(path.dirname(other.worktree), away);
  rmSync(wt.worktree, { recursive: true, force: true });
  assert.deepEqual(await discard(), { ok: true, branchKept: false });
  renameSync(away, path.dirname(other.worktree));
  assert.deepEqual((await listWorktrees(box.repo)).map(w => [w.path, w.missing]).sort(), [[box.repo, false], [other.worktree, false]].sort());
});

test('discarding a session whose folder is already gone still cleans up', async () => {
  rmSync(wt.worktree, { recursive: true, force: true });
  assert.deepEqual(await discard(), { ok: true, branchKept: false });
  assert.equal((await listWorktrees(box.repo)).length, 1);
  assert.equal(branchExists(box.repo, wt.branch), false);
});

test("a worktree's .git file is not trusted to say where its repository is", async () => {
  // The agent can write its worktree, .git file included: pointed at a repository it made, whose
  // config names an fsmonitor program, git would run that program for us, outside any sandbox.
  const marker = path.join(box.dir, 'fsmonitor-ran');
  const evil = path.join(wt.worktree, 'evil');
  sh(box.dir, 'init', '-q', evil);
  const script = path.join(evil, 'monitor.sh');
  writeFileSync(script, `#!/bin/sh\ntouch '${marker}'\nexit 1\n`, { mode: 0o755 });
  commitAllIn(evil, 'a repository of its own');
  sh(evil, 'config', 'core.fsmonitor', script);
  writeFileSync(path.join(wt.worktree, '.git'), `gitdir: ${path.join(evil, '.git')}\n`);

  await assert.rejects(changes(wt.worktree, wt.baseCommit), (err: unknown) => err instanceof WorktreeError && err.code === 'untrusted-worktree');
  await assert.rejects(commitAll(wt.worktree, 'x', undefined, { locksDir: box.locksDir }), (err: unknown) => err instanceof WorktreeError);

  // Knowing the repository, git runs against the admin folder it registered, whatever the file says.
  const repo = await openRepo(box.repo);
  const result = await changes(wt.worktree, wt.baseCommit, { repo });
  assert.equal(result.headCommit, wt.baseCommit);
  assert.deepEqual(result.files.map(f => f.path), [], 'the planted repository is a repository of its own in the worktree: left out, git never runs in it');
  await worktreeFingerprint(wt.worktree, path.join(box.home, 'fp.index'), { repo });
  assert.equal(existsSync(marker), false, 'the planted program never ran');

  shStatus(wt.worktree, 'status');
  assert.equal(existsSync(marker), true, 'while plain git in that folder would have run it');
});

test("a worktree's .git file naming another worktree's admin folder still gets its own", async () => {
  // The file is only a hint for which admin folder to try first: pointed at a sibling session's, git
  // must still run against the folder whose back-link names this worktree, never the sibling's.
  const sibling = await createWorktree({ repoRoot: box.repo, worktreesDir: box.worktreesDir, locksDir: box.locksDir, base: 'main', slug: 'sibling' });
  const repo = await openRepo(box.repo);
  const own = adminDirOf(repo, wt.worktree);
  const siblings = adminDirOf(repo, sibling.worktree);
  assert.ok(own && siblings && own !== siblings);
  for (const claim of [siblings, `${path.dirname(siblings)}/..`, path.join(box.dir, 'nowhere')]) {
    writeFileSync(path.join(wt.worktree, '.git'), `gitdir: ${claim}\n`);
    assert.equal(adminDirOf(repo, wt.worktree), own, claim);
  }
  write(sibling.worktree, 'sibling.txt', 'theirs\n');
  write(wt.worktree, 'mine.txt', 'mine\n');
  assert.deepEqual((await changes(wt.worktree, wt.baseCommit, { repo })).files.map(f => f.path), ['mine.txt']);
});
