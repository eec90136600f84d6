import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { changes } from '../../src/host/worktrees/changes';
import { WorktreeError } from '../../src/host/worktrees/errors';
import { LARGE_FILE_BYTES } from '../../src/host/worktrees/largeFiles';
import { openRepo } from '../../src/host/worktrees/repo';
import { commitAll, createWorktree, worktreeFingerprint, type CreatedWorktree } from '../../src/host/worktrees/worktrees';
import { commitAllIn, makeSandbox, sh, shStatus, write, type Sandbox } from './helpers/git-fixtures';

let box: Sandbox;
let wt: CreatedWorktree;
let n = 0;
before(() => {
  box = makeSandbox();
});
after(() => box.dispose());
beforeEach(async () => {
  wt = await createWorktree({ repoRoot: box.repo, worktreesDir: box.worktreesDir, locksDir: box.locksDir, base: 'main', slug: `task ${++n}` });
});

function realIndex(worktree: string): { bytes: Buffer; mtimeMs: number } {
  const file = sh(worktree, 'rev-parse', '--path-format=absolute', '--git-path', 'index');
  return { bytes: readFileSync(file), mtimeMs: statSync(file).mtimeMs };
}

test('changes() lists committed, uncommitted, untracked, deleted and renamed files against the base', async () => {
  write(wt.worktree, 'src/app.txt', 'line 1\nline 2 changed\nline 3\n');
  write(wt.worktree, 'docs/guide.md', '# guide\n');
  const head = commitAllIn(wt.worktree, 'agent: edit and add');
  write(wt.worktree, 'README.md', '# demo, edited but not committed\n');
  write(wt.worktree, 'notes/todo.txt', 'untracked\n');
  write(wt.worktree, 'build/out.bin', 'ignored by .gitignore\n');
  rmSync(path.join(wt.worktree, '.gitignore'));
  write(wt.worktree, '.gitignore', 'build/\n');
  sh(wt.worktree, 'mv', 'docs/guide.md', 'docs/manual.md');
  const indexBefore = realIndex(wt.worktree);
  const stagedBefore = sh(wt.worktree, 'diff', '--cached', '--name-status');

  const result = await changes(wt.worktree, wt.baseCommit);

  assert.equal(result.baseCommit, wt.baseCommit);
  assert.equal(result.headCommit, head);
  assert.equal(result.worktree, wt.worktree);
  const byPath = Object.fromEntries(result.files.map(f => [f.path, f]));
  assert.deepEqual(byPath['src/app.txt'], { path: 'src/app.txt', status: 'modified' });
  assert.deepEqual(byPath['README.md'], { path: 'README.md', status: 'modified' });
  assert.deepEqual(byPath['notes/todo.txt'], { path: 'notes/todo.txt', status: 'added' });
  assert.deepEqual(byPath['docs/manual.md'], { path: 'docs/manual.md', status: 'added' }, 'new on the branch, whatever its history in the worktree');
  assert.equal(byPath['build/out.bin'], undefined, 'ignored files are not changes');
  assert.equal(byPath['.gitignore'], undefined, 'a file rewritten with the same content is no change');
  assert.equal(result.files.length, 4, JSON.stringify(result.files));

  assert.deepEqual(realIndex(wt.worktree), indexBefore, "the worktree's own index is not touched");
  assert.equal(sh(wt.worktree, 'diff', '--cached', '--name-status'), stagedBefore);
});

test('changes() reports deletions and renames of base files', async () => {
  rmSync(path.join(wt.worktree, 'README.md'));
  renameSync(path.join(wt.worktree, 'src/app.txt'), path.join(wt.worktree, 'src/main.txt'));
  const result = await changes(wt.worktree, wt.baseCommit);
  assert.deepEqual(
    result.files.sort((a, b) => a.path.localeCompare(b.path)),
    [
      { path: 'README.md', status: 'deleted' },
      { path: 'src/main.txt', status: 'renamed', oldPath: 'src/app.txt' },
    ],
  );
});

test('changes() of an untouched worktree is empty, and a bad base is a clear error', async () => {
  assert.deepEqual((await changes(wt.worktree, wt.baseCommit)).files, []);
  await assert.rejects(changes(wt.worktree, 'not-a-commit'), (err: unknown) => err instanceof WorktreeError && err.code === 'bad-ref');
});

test('commitAll commits everything as the agent, and returns null when there is nothing to commit', async () => {
  assert.equal(await commitAll(wt.worktree, 'nothing yet', undefined, { locksDir: box.locksDir }), null);
  write(wt.worktree, 'src/app.txt', 'rewritten\n');
  write(wt.worktree, 'new/file.txt', 'new\n');
  write(wt.worktree, 'build/skip.o', 'ignored\n');
  const sha = await commitAll(wt.worktree, 'agent finished: rewrite app', undefined, { locksDir: box.locksDir });
  assert.match(sha ?? '', /^[0-9a-f]{40}$/);
  assert.equal(sh(wt.worktree, 'rev-parse', 'HEAD'), sha);
  assert.equal(sh(wt.worktree, 'log', '-1', '--format=%an <%ae>|%cn <%ce>|%s'), 'Switchyard Agent <agent@switchyard.invalid>|Switchyard Agent <agent@switchyard.invalid>|agent finished: rewrite app');
  assert.equal(sh(wt.worktree, 'status', '--porcelain', '--untracked-files=all'), '', 'all committed but the ignored file');
  assert.deepEqual(sh(wt.worktree, 'show', '--name-only', '--format=', 'HEAD').split('\n').sort(), ['new/file.txt', 'src/app.txt']);
  assert.equal(sh(box.repo, 'rev-parse', 'main'), wt.baseCommit, 'the base branch does not move');
  const custom = { name: 'Reviewer Bot', email: 'reviewer@switchyard.invalid' };
  write(wt.worktree, 'x.txt', 'x\n');
  await commitAll(wt.worktree, 'review fixes', custom, { locksDir: box.locksDir });
  assert.equal(sh(wt.worktree, 'log', '-1', '--format=%an <%ae>'), 'Reviewer Bot <reviewer@switchyard.invalid>');
});

test('commitAll does not need the user to have a git identity, and runs no hooks', async () => {
  const bare = makeSandbox({ noIdentity: true });
  const savedHome = process.env.HOME;
  const savedXdg = process.env.XDG_CONFIG_HOME;
  process.env.HOME = bare.dir;
  process.env.XDG_CONFIG_HOME = path.join(bare.dir, 'xdg');
  assert.notEqual(shStatus(bare.repo, 'config', 'user.email'), 0, 'no identity is configured anywhere');
  try {
    const made = await createWorktree({ repoRoot: bare.repo, worktreesDir: bare.worktreesDir, locksDir: bare.locksDir, base: 'main', slug: 'no identity' });
    const hook = path.join(bare.repo, '.git', 'hooks', 'pre-commit');
    writeFileSync(hook, '#!/bin/sh\necho hook ran >&2\nexit 1\n', { mode: 0o755 });
    write(made.worktree, 'a.txt', 'a\n');
    const sha = await commitAll(made.worktree, 'work', undefined, { locksDir: bare.locksDir });
    assert.ok(sha, 'committed despite no identity and a failing pre-commit hook');
  } finally {
    process.env.HOME = savedHome;
    if (savedXdg === undefined) delete process.env.XDG_CONFIG_HOME;
    else process.env.XDG_CONFIG_HOME = savedXdg;
    bare.dispose();
  }
});

test('the fingerprint follows the worktree state: edits and new files change it, undoing restores it', async () => {
  const indexFile = path.join(box.home, 'fingerprints', `${path.basename(wt.worktree)}.index`);
  const repo = await openRepo(box.repo);
  const fp = () => worktreeFingerprint(wt.worktree, indexFile, { repo });
  const start = await fp();
  assert.match(start, /^[0-9a-f]{40}$/);
  assert.equal(await fp(), start, 'stable while nothing changes');

  write(wt.worktree, 'src/app.txt', 'line 1\nEDITED\nline 3\n');
  const edited = await fp();
  assert.notEqual(edited, start, 'an edit changes it');

  write(wt.worktree, 'scratch/new.txt', 'new file\n');
  const withNew = await fp();
  assert.notEqual(withNew, edited, 'a new untracked file changes it');

  write(wt.worktree, 'build/artifact.o', 'ignored\n');
  assert.equal(await fp(), withNew, 'an ignored file does not');

  rmSync(path.join(wt.worktree, 'scratch'), { recursive: true });
  write(wt.worktree, 'src/app.txt', 'line 1\nline 2\nline 3\n');
  assert.equal(await fp(), start, 'undoing the edits gives the same value again');

  write(wt.worktree, 'src/app.txt', 'line 1\nEDITED\nline 3\n');
  commitAllIn(wt.worktree, 'commit the edit');
  assert.equal(await fp(), edited, 'a commit alone does not change the state');

  assert.deepEqual(await Promise.all([fp(), fp(), fp()]), [edited, edited, edited], 'concurrent calls on one index file agree');
});

test("the fingerprint never writes the worktree's own index", async () => {
  const indexFile = path.join(box.home, 'fp-own-index.index');
  write(wt.worktree, 'staged.txt', 'staged\n');
  sh(wt.worktree, 'add', 'staged.txt');
  write(wt.worktree, 'unstaged.txt', 'not staged\n');
  // `git status` itself may refresh the index, so it runs before the snapshot of the index is taken.
  const status = sh(wt.worktree, 'status', '--porcelain');
  const before = realIndex(wt.worktree);
  await worktreeFingerprint(wt.worktree, indexFile);
  assert.deepEqual(realIndex(wt.worktree), before);
  assert.equal(sh(wt.worktree, 'status', '--porcelain'), status);
});

test("an agent's nested repository without commits does not break snapshots", async () => {
  sh(wt.worktree, 'init', '-q', 'vendor/empty-repo');
  write(wt.worktree, 'vendor/empty-repo/file.txt', 'inside\n');
  write(wt.worktree, 'real.txt', 'real change\n');
  const fp = await worktreeFingerprint(wt.worktree, path.join(box.home, 'nested.index'));
  assert.match(fp, /^[0-9a-f]{40}$/);
  assert.deepEqual((await changes(wt.worktree, wt.baseCommit)).files, [{ path: 'real.txt', status: 'added' }]);
});

test('a large untracked file is stood in for in the fingerprint: tracked by its stat, never copied into the object store', async () => {
  const indexFile = path.join(box.home, 'fingerprints', 'large.index');
  const repo = await openRepo(box.repo);
  const fp = () => worktreeFingerprint(wt.worktree, indexFile, { repo });
  const start = await fp();
  const big = path.join(wt.worktree, 'data', 'dump.bin');
  write(wt.worktree, 'data/.keep', '');
  // Sparse: the size counts, not the disk.
  const sized = (bytes: number) => {
    writeFileSync(big, 'head');
    truncateSync(big, bytes);
  };
  sized(LARGE_FILE_BYTES + 1024);
  const withBig = await fp();
  assert.notEqual(withBig, start, 'a new large file changes it');
  assert.equal(await fp(), withBig, 'stable while it does not change');
  const entry = sh(wt.worktree, 'ls-tree', '-r', withBig, '--', 'data/dump.bin');
  assert.match(entry, /^100644 blob [0-9a-f]+\tdata\/dump\.bin$/, 'it is in the tree, by its name');
  const stood = sh(wt.worktree, 'cat-file', '-p', entry.split(/\s+/)[2]!);
  assert.match(stood, new RegExp(`${LARGE_FILE_BYTES + 1024} bytes`), 'as a stand-in saying its size');
  const largest = Math.max(...sh(box.repo, 'cat-file', '--batch-all-objects', '--batch-check=%(objectsize)').split('\n').map(Number));
  assert.ok(largest < 1024 * 1024, `no object the file's size was written (largest ${largest} bytes)`);

  appendFileSync(big, 'more');
  const grown = await fp();
  assert.notEqual(grown, withBig, 'a change to it changes the fingerprint');
  const fresh = await worktreeFingerprint(wt.worktree, path.join(box.home, 'fingerprints', 'large-fresh.index'), { repo });
  assert.equal(fresh, grown, 'a new index gives the same tree (the stand-in depends on the file, not the index)');

  sized(100);
  const small = await fp();
  assert.match(sh(wt.worktree, 'ls-tree', '-r', small, '--', 'data/dump.bin'), /^100644 blob /);
  assert.equal(sh(wt.worktree, 'cat-file', '-s', `${small}:data/dump.bin`), '100', 'shrunk below the size, it is hashed as any file');
  rmSync(big);
  rmSync(path.join(wt.worktree, 'data'), { recursive: true });
  assert.equal(await fp(), start, 'gone, the fingerprint is what it was');
});
