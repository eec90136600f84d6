import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { WorktreeError } from '../../src/host/worktrees/errors';
import { isInside } from '../../src/host/worktrees/paths';
import { createWorktree, listWorktrees, type CreatedWorktree } from '../../src/host/worktrees/worktrees';
import { commitAllIn, makeSandbox, read, sh, write, type Sandbox } from './helpers/git-fixtures';

// This file doubles as the child process of the cross-process test (see spawnCreators).
const CHILD_ENV = 'SWITCHYARD_WORKTREE_TEST_CHILD';
if (process.env[CHILD_ENV]) void runChild(JSON.parse(process.env[CHILD_ENV]) as ChildTask);
else defineTests();

interface ChildTask {
  repoRoot: string;
  worktreesDir: string;
  locksDir: string;
  slug: string;
  count: number;
}

async function runChild(task: ChildTask): Promise<void> {
  try {
    const made = await Promise.all(
      Array.from({ length: task.count }, () =>
        createWorktree({ repoRoot: task.repoRoot, worktreesDir: task.worktreesDir, locksDir: task.locksDir, base: 'main', slug: task.slug }),
      ),
    );
    process.stdout.write(JSON.stringify(made));
    process.exitCode = 0;
  } catch (err) {
    process.stderr.write(String(err instanceof Error ? err.stack : err));
    process.exitCode = 1;
  }
}

function spawnCreator(task: ChildTask): Promise<CreatedWorktree[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [__filename], { env: { ...process.env, [CHILD_ENV]: JSON.stringify(task) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', d => (out += d));
    child.stderr.on('data', d => (err += d));
    child.on('error', reject);
    child.on('close', code => (code === 0 ? resolve(JSON.parse(out) as CreatedWorktree[]) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

/** The repository is intact: fsck passes and every worktree git lists is valid and on its own branch. */
async function assertHealthy(repo: string, expected: CreatedWorktree[]): Promise<void> {
  sh(repo, 'fsck', '--no-progress');
  const listed = await listWorktrees(repo);
  assert.equal(listed.filter(w => !w.main).length, expected.length, 'one registered worktree per creation');
  for (const made of expected) {
    const entry = listed.find(w => w.path === made.worktree);
    assert.ok(entry, `${made.worktree} is registered`);
    assert.equal(entry.branch, made.branch);
    assert.equal(entry.missing, false);
    assert.equal(sh(made.worktree, 'rev-parse', '--abbrev-ref', 'HEAD'), made.branch);
    assert.equal(sh(made.worktree, 'status', '--porcelain'), '', 'a fresh worktree is clean');
  }
  const adminDirs = readdirSync(path.join(repo, '.git', 'worktrees'));
  assert.equal(adminDirs.length, expected.length, 'no stray admin folders in .git/worktrees');
}

function defineTests(): void {
  let box: Sandbox;
  before(() => {
    box = makeSandbox();
  });
  after(() => box.dispose());

  test('createWorktree makes a branch and a worktree outside the checkout, at the base commit', async () => {
    const baseCommit = sh(box.repo, 'rev-parse', 'main');
    const made = await createWorktree({ repoRoot: box.repo, worktreesDir: box.worktreesDir, locksDir: box.locksDir, base: 'main', slug: 'Add a feature' });
    assert.deepEqual(made, { worktree: path.join(box.worktreesDir, 'add-a-feature'), baseCommit, branch: 'switchyard/add-a-feature' });
    assert.ok(!isInside(made.worktree, box.repo), 'the worktree is not inside the checkout');
    assert.equal(sh(made.worktree, 'rev-parse', 'HEAD'), baseCommit);
    assert.equal(read(made.worktree, 'src/app.txt'), read(box.repo, 'src/app.txt'));
    assert.equal(sh(box.repo, 'status', '--porcelain'), '', 'the checkout sees nothing of it');
    await assertHealthy(box.repo, [made]);
    sh(box.repo, 'worktree', 'remove', '--force', made.worktree);
    sh(box.repo, 'branch', '-D', made.branch);
  });

  test('a base may be any branch or commit', async () => {
    sh(box.repo, 'checkout', '-q', '-b', 'develop');
    write(box.repo, 'dev.txt', 'dev\n');
    const devTip = commitAllIn(box.repo, 'dev work');
    sh(box.repo, 'checkout', '-q', 'main');
    const fromBranch = await createWorktree({ repoRoot: box.repo, worktreesDir: box.worktreesDir, locksDir: box.locksDir, base: 'develop', branch: 'switchyard/on-dev' });
    assert.equal(fromBranch.baseCommit, devTip);
    assert.ok(existsSync(path.join(fromBranch.worktree, 'dev.txt')));
    const fromSha = await createWorktree({ repoRoot: box.repo, worktreesDir: box.worktreesDir, locksDir: box.locksDir, base: devTip.slice(0, 10), branch: 'switchyard/on-sha' });
    assert.equal(fromSha.baseCommit, devTip);
    for (const m of [fromBranch, fromSha]) {
      sh(box.repo, 'worktree', 'remove', '--force', m.worktree);
      sh(box.repo, 'branch', '-D', m.branch);
    }
  });

  test('five sessions created at once get distinct branches and an intact repository', async () => {
    const other = makeSandbox();
    try {
      const made = await Promise.all(
        Array.from({ length: 5 }, () => createWorktree({ repoRoot: other.repo, worktreesDir: other.worktreesDir, locksDir: other.locksDir, base: 'main', slug: 'fix the bug' })),
      );
      const branches = made.map(m => m.branch).sort();
      assert.deepEqual(branches, ['switchyard/fix-the-bug', 'switchyard/fix-the-bug-2', 'switchyard/fix-the-bug-3', 'switchyard/fix-the-bug-4', 'switchyard/fix-the-bug-5']);
      assert.equal(new Set(made.map(m => m.worktree)).size, 5);
      await assertHealthy(other.repo, made);
    } finally {
      other.dispose();
    }
  });

  test('three processes creating sessions at once do not race', async () => {
    const other = makeSandbox();
    try {
      const task = { repoRoot: other.repo, worktreesDir: other.worktreesDir, locksDir: other.locksDir, slug: 'parallel', count: 2 };
      const made = (await Promise.all([spawnCreator(task), spawnCreator(task), spawnCreator(task)])).flat();
      assert.equal(made.length, 6);
      assert.equal(new Set(made.map(m => m.branch)).size, 6, `distinct branches: ${made.map(m => m.branch).join(', ')}`);
      await assertHealthy(other.repo, made);
      assert.deepEqual(readdirSync(other.locksDir).filter(f => f.endsWith('.lock')), [], 'the lock is released');
    } finally {
      other.dispose();
    }
  });

  test('createWorktree refuses a worktrees folder inside the checkout', async () => {
    await assert.rejects(
      createWorktree({ repoRoot: box.repo, worktreesDir: path.join(box.repo, '.worktrees'), locksDir: box.locksDir, base: 'main', slug: 'x' }),
      (err: unknown) => err instanceof WorktreeError && err.code === 'inside-checkout',
    );
    assert.equal(existsSync(path.join(box.repo, '.worktrees')), false);
  });

  test('an exact branch that exists, a bad name or a bad base is refused and leaves nothing behind', async () => {
    sh(box.repo, 'branch', 'switchyard/taken');
    const before = sh(box.repo, 'for-each-ref');
    const attempt = (branch: string, base = 'main') => createWorktree({ repoRoot: box.repo, worktreesDir: box.worktreesDir, locksDir: box.locksDir, base, branch });
    await assert.rejects(attempt('switchyard/taken'), (err: unknown) => err instanceof WorktreeError && err.code === 'branch-exists');
    await assert.rejects(attempt('bad..name'), (err: unknown) => err instanceof WorktreeError && err.code === 'bad-branch-name');
    await assert.rejects(attempt('switchyard/ok', 'nope'), (err: unknown) => err instanceof WorktreeError && err.code === 'bad-ref');
    assert.equal(sh(box.repo, 'for-each-ref'), before);
    assert.equal((await listWorktrees(box.repo)).length, 1);
  });
}
