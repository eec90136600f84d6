// Repositories inside a session's worktree: the host's own git never runs in one with the config a
// command may have written there (a core.fsmonitor program, a filter's clean command).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { dirtyFiles } from '../../src/host/worktrees/inspect';
import { nestedRepos } from '../../src/host/worktrees/nestedRepos';
import { inWorktree, resolveWorktree } from '../../src/host/worktrees/registry';
import { commitAll, createWorktree, removeWorktree, worktreeFingerprint, type CreatedWorktree } from '../../src/host/worktrees/worktrees';
import { makeSandbox, sh, write, type Sandbox } from './helpers/git-fixtures';

let box: Sandbox;
let wt: CreatedWorktree;
let marker: string;
beforeEach(async () => {
  box = makeSandbox();
  wt = await createWorktree({ repoRoot: box.repo, worktreesDir: box.worktreesDir, locksDir: box.locksDir, base: 'main', slug: 'nested' });
  marker = path.join(box.dir, 'ran');
});
afterEach(() => box.dispose());

/** A repository at `dir` with one committed file under a filter, and config that writes the marker when git runs it. */
function plant(dir: string): void {
  mkdirSync(dir, { recursive: true });
  sh(dir, 'init', '-q');
  write(dir, 'f', 'data\n');
  write(dir, '.gitattributes', '* filter=x\n');
  sh(dir, 'add', '.');
  sh(dir, '-c', 'user.email=a@b', '-c', 'user.name=a', 'commit', '-qm', 's');
  sh(dir, 'config', 'core.fsmonitor', `echo fsmonitor >> ${marker}; false`);
  sh(dir, 'config', 'filter.x.clean', `echo filter >> ${marker}; cat`);
  // Stat-dirty: git would compare its content through the filter.
  write(dir, 'f', 'data\n');
}

const ran = () => (existsSync(marker) ? readFileSync(marker, 'utf8').trim() : '');

test('fingerprints and the commit leave a repository made in the worktree alone, and the commit refuses it', async () => {
  plant(path.join(wt.worktree, 'lib', 'made'));
  write(wt.worktree, 'work.txt', 'work\n');
  const index = path.join(box.dir, 'snapshot.index');
  const first = await worktreeFingerprint(wt.worktree, index);
  write(path.join(wt.worktree, 'lib', 'made'), 'f', 'data\n');
  assert.equal(await worktreeFingerprint(wt.worktree, index), first, 'the nested repository is no part of the fingerprint');
  await assert.rejects(commitAll(wt.worktree, 'work'), /lib\/made is a git repository of its own/);
  assert.equal(ran(), '');
  assert.deepEqual((await nestedRepos(wt.worktree)).untracked, ['lib/made']);
});

test('a submodule folder whose repository a command made is not looked into: counted as changed, whole', async () => {
  // A gitlink on the branch (as a submodule's), whose folder a command filled with a repository of its own.
  const sub = sh(box.repo, 'rev-parse', 'HEAD');
  sh(wt.worktree, 'update-index', '--add', '--cacheinfo', `160000,${sub},vendor/sub`);
  sh(wt.worktree, '-c', 'user.email=a@b', '-c', 'user.name=a', 'commit', '-qm', 'gitlink');
  rmSync(path.join(wt.worktree, 'vendor', 'sub'), { recursive: true, force: true });
  plant(path.join(wt.worktree, 'vendor', 'sub'));
  const ctx = await resolveWorktree(wt.worktree);
  const dirty = await dirtyFiles(wt.worktree, inWorktree(ctx), ctx.repo.gitCommonDir);
  assert.ok(dirty.includes('vendor/sub'), JSON.stringify(dirty));
  await worktreeFingerprint(wt.worktree, path.join(box.dir, 'snapshot.index'));
  write(wt.worktree, 'more.txt', 'more\n');
  assert.match(await commitAll(wt.worktree, 'more') ?? '', /^[0-9a-f]{40}$/);
  assert.equal(sh(wt.worktree, 'rev-parse', 'HEAD:vendor/sub'), sub, 'the gitlink is as it was');
  const asked = await removeWorktree({ repoRoot: box.repo, worktree: wt.worktree, branch: wt.branch, base: 'main', locksDir: box.locksDir });
  assert.ok(!asked.ok && asked.uncommittedFiles?.includes('vendor/sub'), JSON.stringify(asked));
  assert.equal(ran(), '');
});
