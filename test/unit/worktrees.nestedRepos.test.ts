// Repositories inside a session's worktree: the host's own git never runs in one with the config a
// command may have written there (a core.fsmonitor program, a filter's clean command).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { conflictedFiles, dirtyFiles } from '../../src/host/worktrees/inspect';
import { mergeBack } from '../../src/host/worktrees/merge';
import { nestedRepos, untrustedGitlinks } from '../../src/host/worktrees/nestedRepos';
import { inWorktree, resolveWorktree } from '../../src/host/worktrees/registry';
import { commitAll, createWorktree, removeWorktree, worktreeFingerprint, type CreatedWorktree } from '../../src/host/worktrees/worktrees';
import { commitAllIn, makeSandbox, sh, write, type Sandbox } from './helpers/git-fixtures';

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

/** The worktree's submodule `sub` (files: o.txt), set up, with a submodule of its own, `sub/inner` (r.txt). */
function nestedSubmodules(): void {
  const inner = path.join(box.dir, 'inner');
  mkdirSync(inner);
  sh(inner, 'init', '-q');
  write(inner, 'r.txt', 'inner\n');
  commitAllIn(inner, 'inner');
  const outer = path.join(box.dir, 'outer');
  mkdirSync(outer);
  sh(outer, 'init', '-q');
  write(outer, 'o.txt', 'outer\n');
  sh(outer, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', inner, 'inner');
  commitAllIn(outer, 'outer');
  sh(wt.worktree, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', outer, 'sub');
  commitAllIn(wt.worktree, 'sub');
  sh(wt.worktree, '-c', 'protocol.file.allow=always', 'submodule', 'update', '-q', '--init', '--recursive');
}

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

/** A gitlink on the session's branch at `rel` (a submodule's, as the base had it). */
function gitlinkAt(rel: string): string {
  const commit = sh(box.repo, 'rev-parse', 'HEAD');
  sh(wt.worktree, 'update-index', '--add', '--cacheinfo', `160000,${commit},${rel}`);
  sh(wt.worktree, '-c', 'user.email=a@b', '-c', 'user.name=a', 'commit', '-qm', 'gitlink');
  return commit;
}

test('the end-of-run commit with nothing to stage, and the merge\'s conflict check, do not look into a submodule folder a command filled', async () => {
  gitlinkAt('vendor/sub');
  rmSync(path.join(wt.worktree, 'vendor', 'sub'), { recursive: true, force: true });
  plant(path.join(wt.worktree, 'vendor', 'sub'));
  assert.equal(await commitAll(wt.worktree, 'end of run'), null, 'nothing of the agent\'s to commit');
  const ctx = await resolveWorktree(wt.worktree);
  assert.deepEqual(await conflictedFiles(wt.worktree, inWorktree(ctx)), []);
  assert.equal(ran(), '');
});

test('a submodule .git file that names the git folder by a way through a link is not trusted: git would follow the link', async () => {
  gitlinkAt('vendor/sub');
  const sub = path.join(wt.worktree, 'vendor', 'sub');
  const common = realpathSync((await resolveWorktree(wt.worktree)).repo.gitCommonDir);
  // Read by name, `<sub>/L/..` (n times) then the git folder's path is the git folder itself; on disk, the
  // `..` climb out of the folder the link L names, deep inside the worktree, and land on a git folder
  // planted at `<worktree>/z<git folder>`, whose config names the filter.
  plant(path.join(wt.worktree, 'tmpl'));
  const planted = path.join(wt.worktree, 'z', common.slice(1));
  mkdirSync(path.dirname(planted), { recursive: true });
  renameSync(path.join(wt.worktree, 'tmpl', '.git'), planted);
  mkdirSync(sub, { recursive: true });
  for (const f of ['f', '.gitattributes']) renameSync(path.join(wt.worktree, 'tmpl', f), path.join(sub, f));
  sh(wt.worktree, 'config', '-f', path.join(planted, 'config'), 'core.worktree', sub);
  const n = `${sub}/L`.split('/').length - 1;
  const deep = path.join(wt.worktree, 'z', ...Array.from({ length: n }, (_, i) => `d${i}`));
  mkdirSync(deep, { recursive: true });
  symlinkSync(deep, path.join(sub, 'L'));
  write(sub, '.git', `gitdir: ${sub}/L${'/..'.repeat(n)}${common}\n`);
  write(sub, 'f', 'data\n');
  assert.deepEqual(await untrustedGitlinks(wt.worktree, ['vendor/sub'], common), ['vendor/sub']);
  const ctx = await resolveWorktree(wt.worktree);
  assert.ok((await dirtyFiles(wt.worktree, inWorktree(ctx), common)).includes('vendor/sub'));
  const asked = await removeWorktree({ repoRoot: box.repo, worktree: wt.worktree, branch: wt.branch, base: 'main', locksDir: box.locksDir });
  assert.ok(!asked.ok, JSON.stringify(asked));
  assert.equal(ran(), '');
});

test('a submodule\'s own submodule is not looked into: git goes one level down, where the folders are the repository\'s', async () => {
  // A trusted submodule (its .git a file naming its clone in the git folder) whose checkout holds a gitlink
  // that a command filled with a repository of its own.
  nestedSubmodules();
  rmSync(path.join(wt.worktree, 'sub', 'inner'), { recursive: true, force: true });
  plant(path.join(wt.worktree, 'sub', 'inner'));
  const ctx = await resolveWorktree(wt.worktree);
  await dirtyFiles(wt.worktree, inWorktree(ctx), ctx.repo.gitCommonDir);
  await worktreeFingerprint(wt.worktree, path.join(box.dir, 'snapshot.index'));
  assert.equal(await commitAll(wt.worktree, 'nothing'), null);
  assert.equal(ran(), '');
});

test('a user\'s submodule.recurse does not take a rebase\'s reset into a submodule folder a command filled', async () => {
  const up = path.join(box.dir, 'subup');
  mkdirSync(up);
  sh(up, 'init', '-q', '-b', 'main');
  write(up, 'lib.txt', 'v1\n');
  commitAllIn(up, 'v1');
  sh(box.repo, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', up, 'vendor/sub');
  commitAllIn(box.repo, 'add sub');
  sh(box.repo, 'config', 'submodule.recurse', 'true');
  const session = await createWorktree({ repoRoot: box.repo, worktreesDir: box.worktreesDir, locksDir: box.locksDir, base: 'main', slug: 'recursing' });
  // The agent's work, and, where the submodule was never set up, a repository of its own at the same commit.
  write(session.worktree, 'x.txt', 'x\n');
  const sub = path.join(session.worktree, 'vendor', 'sub');
  sh(sub, 'init', '-q');
  sh(sub, 'fetch', '-q', up, 'main');
  sh(sub, 'checkout', '-q', sh(box.repo, 'rev-parse', 'HEAD:vendor/sub'));
  write(sub, '.gitattributes', '* filter=x\n');
  sh(sub, 'config', 'filter.x.clean', `echo clean >> ${marker}; cat`);
  sh(sub, 'config', 'filter.x.smudge', `echo smudge >> ${marker}; cat`);
  // The user moves the submodule on in the main checkout, then merges the session by rebase (a reset there).
  write(up, 'lib.txt', 'v2\n');
  commitAllIn(up, 'v2');
  sh(path.join(box.repo, 'vendor', 'sub'), 'pull', '-q', up, 'main');
  commitAllIn(box.repo, 'bump sub');
  sh(sub, 'fetch', '-q', up, 'main');
  await mergeBack({ repoRoot: box.repo, branch: session.branch, baseBranch: 'main', strategy: 'rebase', worktree: session.worktree, locksDir: box.locksDir });
  assert.equal(ran(), '');
  assert.ok(lstatSync(path.join(sub, '.git')).isDirectory(), 'the planted repository was not moved into the git folder, to be trusted later');
});

test('host git ignores relative entries of the search path: a `git` a command wrote in the worktree never runs', async () => {
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  write(wt.worktree, 'node_modules/.bin/git', `#!/bin/sh\necho "planted git ran: $*" >> '${marker}'\nexec '${realGit}' "$@"\n`);
  chmodSync(path.join(wt.worktree, 'node_modules/.bin/git'), 0o755);
  const saved = process.env.PATH;
  process.env.PATH = `node_modules/.bin${path.delimiter}${saved}`;
  try {
    await worktreeFingerprint(wt.worktree, path.join(box.dir, 'snapshot.index'));
    const ctx = await resolveWorktree(wt.worktree);
    await dirtyFiles(wt.worktree, inWorktree(ctx), ctx.repo.gitCommonDir);
  } finally {
    process.env.PATH = saved;
  }
  assert.equal(ran(), '');
});

test('a filter driver of the user\'s config runs on no file an agent wrote when the host only looks (a fingerprint, what is uncommitted, conflicts)', async () => {
  sh(box.repo, 'config', 'filter.strip.clean', `echo clean >> '${marker}'; cat`);
  sh(box.repo, 'config', 'filter.strip.process', `echo process >> '${marker}'; false`);
  write(wt.worktree, '.gitattributes', '* filter=strip\n');
  write(wt.worktree, 'notebook.ipynb', '{"cells": []}\n');
  const ctx = await resolveWorktree(wt.worktree);
  const first = await worktreeFingerprint(wt.worktree, path.join(box.dir, 'snapshot.index'));
  write(wt.worktree, 'notebook.ipynb', '{"cells": [1]}\n');
  assert.notEqual(await worktreeFingerprint(wt.worktree, path.join(box.dir, 'snapshot.index')), first, 'the files as they are');
  assert.ok((await dirtyFiles(wt.worktree, inWorktree(ctx), ctx.repo.gitCommonDir)).includes('notebook.ipynb'));
  await conflictedFiles(wt.worktree, inWorktree(ctx));
  assert.equal(ran(), '');
  // The commit stores them as the user's drivers would, as the user's own commit there would.
  sh(box.repo, 'config', '--unset', 'filter.strip.process');
  await commitAll(wt.worktree, 'work');
  assert.match(ran(), /clean/);
});

test('a filter driver in a submodule clone\'s own config runs on no file an agent wrote there when the host looks, at any depth', async () => {
  nestedSubmodules();
  // The user's drivers, in each clone's config (inside the git folder); the agent's attributes and edits.
  for (const [dir, file] of [[path.join(wt.worktree, 'sub'), 'o.txt'], [path.join(wt.worktree, 'sub', 'inner'), 'r.txt']] as const) {
    sh(dir, 'config', 'filter.strip.clean', `echo clean >> '${marker}'; cat`);
    write(dir, '.gitattributes', '* filter=strip\n');
    write(dir, file, 'changed by the agent\n');
  }
  const ctx = await resolveWorktree(wt.worktree);
  const dirty = await dirtyFiles(wt.worktree, inWorktree(ctx), ctx.repo.gitCommonDir);
  assert.deepEqual(dirty.sort(), ['sub', 'sub/inner/.gitattributes', 'sub/inner/r.txt']);
  assert.equal(ran(), '');
  // The nested submodule's folder made a file: that file is work too (git in sub sees its gitlink's type change).
  sh(path.join(wt.worktree, 'sub'), 'checkout', '-q', '--', '.');
  rmSync(path.join(wt.worktree, 'sub', '.gitattributes'));
  rmSync(path.join(wt.worktree, 'sub', 'inner'), { recursive: true, force: true });
  write(path.join(wt.worktree, 'sub'), 'inner', 'a file where the submodule was\n');
  assert.deepEqual(await dirtyFiles(wt.worktree, inWorktree(ctx), ctx.repo.gitCommonDir), ['sub/inner']);
});

test('stacked sessions: merging one into the other does not look into a submodule folder the base session\'s command filled', async () => {
  gitlinkAt('vendor/sub');
  const stacked = await createWorktree({ repoRoot: box.repo, worktreesDir: box.worktreesDir, locksDir: box.locksDir, base: wt.branch, slug: 'on top' });
  write(stacked.worktree, 'y.txt', 'y\n');
  commitAllIn(stacked.worktree, 'on top');
  rmSync(path.join(wt.worktree, 'vendor', 'sub'), { recursive: true, force: true });
  plant(path.join(wt.worktree, 'vendor', 'sub'));
  const merged = await mergeBack({ repoRoot: box.repo, branch: stacked.branch, baseBranch: wt.branch, strategy: 'merge', worktree: stacked.worktree, locksDir: box.locksDir });
  assert.ok(merged.ok, JSON.stringify(merged));
  assert.equal(ran(), '');
});
