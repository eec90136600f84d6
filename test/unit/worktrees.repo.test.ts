import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { WorktreeError } from '../../src/host/worktrees/errors';
import { listWorktrees } from '../../src/host/worktrees/registry';
import { branchTips, currentBranch, listBranches, openRepo, openRepoWithHead, resolveCommit } from '../../src/host/worktrees/repo';
import { makeSandbox, sh, type Sandbox } from './helpers/git-fixtures';

let box: Sandbox;
before(() => {
  box = makeSandbox();
});
after(() => box.dispose());

function rejectsWith(code: string, pattern: RegExp) {
  return (err: unknown) => err instanceof WorktreeError && err.code === code && pattern.test(err.message);
}

test('openRepo finds the root and the shared git dir, from any folder inside', async () => {
  mkdirSync(path.join(box.repo, 'src', 'deep'), { recursive: true });
  const repo = await openRepo(path.join(box.repo, 'src', 'deep'));
  assert.equal(repo.root, box.repo);
  assert.equal(repo.gitCommonDir, path.join(box.repo, '.git'));
  assert.equal(repo.identityRoot, box.repo);
});

test('openRepoWithHead reads HEAD in the same step: its commit, and its branch or null when detached', async () => {
  const sub = path.join(box.repo, 'src');
  mkdirSync(sub, { recursive: true });
  const opened = await openRepoWithHead(sub);
  assert.deepEqual(opened.repo, await openRepo(box.repo));
  assert.deepEqual(opened.head, { commit: sh(box.repo, 'rev-parse', 'HEAD'), branch: 'main' });
  sh(box.repo, 'checkout', '-q', '--detach');
  try {
    assert.deepEqual((await openRepoWithHead(box.repo)).head, { commit: sh(box.repo, 'rev-parse', 'HEAD'), branch: null });
  } finally {
    sh(box.repo, 'checkout', '-q', 'main');
  }
});

test('openRepo from a linked worktree names the same repository', async () => {
  const wt = path.join(box.dir, 'linked');
  sh(box.repo, 'worktree', 'add', '-q', '-b', 'linked', wt);
  const repo = await openRepo(wt);
  assert.equal(repo.root, wt);
  assert.equal(repo.gitCommonDir, path.join(box.repo, '.git'));
  assert.equal(repo.identityRoot, box.repo);
});

test('a repository whose git folder is not named .git (made with --separate-git-dir) is known by its checkout', async () => {
  const checkout = path.join(box.dir, 'separate');
  const gitDir = path.join(box.dir, 'separate-git');
  mkdirSync(checkout);
  sh(checkout, 'init', '-q', '-b', 'main', '--separate-git-dir', gitDir);
  sh(checkout, 'commit', '-q', '--allow-empty', '-m', 'first');
  const repo = await openRepo(checkout);
  assert.equal(repo.root, checkout);
  assert.equal(repo.gitCommonDir, gitDir);
  assert.equal(repo.identityRoot, checkout);
  // git lists the git folder as the main worktree; the checkout is where a merge lands.
  assert.equal((await listWorktrees(checkout))[0]?.path, checkout);
});

test('openRepo explains what is wrong with a folder', async () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'sy-notrepo-'));
  try {
    await assert.rejects(openRepo(path.join(scratch, 'missing')), rejectsWith('not-a-repo', /does not exist/));
    await assert.rejects(openRepo(scratch), rejectsWith('not-a-repo', /is not inside a git repository/));
    sh(scratch, 'init', '-q', '-b', 'main');
    await assert.rejects(openRepo(scratch), rejectsWith('no-commits', /has no commits yet/));
    await assert.rejects(openRepo(path.join(scratch, '.git')), rejectsWith('not-a-repo', /working tree/));
    sh(scratch, 'init', '-q', '--bare', 'bare.git');
    await assert.rejects(openRepoWithHead(path.join(scratch, 'bare.git')), rejectsWith('bare-repo', /bare repository/));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

test('branches: current, list, and commits they resolve to', async () => {
  sh(box.repo, 'branch', 'feature/a');
  assert.equal(await currentBranch(box.repo), 'main');
  const branches = await listBranches(box.repo);
  assert.ok(branches.includes('main') && branches.includes('feature/a'), branches.join(','));
  assert.equal(await resolveCommit(box.repo, 'main'), sh(box.repo, 'rev-parse', 'HEAD'));
  const tips = await branchTips(box.repo);
  assert.deepEqual([...tips.keys()].sort(), branches);
  assert.equal(tips.get('feature/a'), sh(box.repo, 'rev-parse', 'feature/a'));
  await assert.rejects(resolveCommit(box.repo, 'no-such-branch'), rejectsWith('bad-ref', /no-such-branch/));
  await assert.rejects(resolveCommit(box.repo, '--output=/tmp/x'), rejectsWith('bad-ref', /does not name a commit/));
  sh(box.repo, 'checkout', '-q', '--detach');
  try {
    assert.equal(await currentBranch(box.repo), null);
  } finally {
    sh(box.repo, 'checkout', '-q', 'main');
  }
});

test('a missing git binary is reported as such', async () => {
  const savedPath = process.env.PATH;
  process.env.PATH = path.join(box.dir, 'no-bin-here');
  try {
    await assert.rejects(openRepo(box.repo), rejectsWith('git-missing', /git was not found/));
  } finally {
    process.env.PATH = savedPath;
  }
});
