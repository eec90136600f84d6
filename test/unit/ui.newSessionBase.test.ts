// New Session's word on where a session starts: a detached HEAD and uncommitted work are said before it
// starts, and a window with no usable repository says why and what to open (never `git init` over repositories).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { baseLooks } from '../../src/extension/commands/baseLooks';
import { noRepositoryMessage, reposBelow } from '../../src/extension/commands/noRepository';

test('a detached HEAD is named by its commit and warned of (Merge Back needs a branch); a branch is not', () => {
  const detached = baseLooks('HEAD', { current: 'HEAD', branches: ['main'], detachedAt: '3412ee3' });
  assert.equal(detached.said, 'HEAD (detached at 3412ee3)');
  assert.equal(detached.warning, 'detached HEAD: Merge Back needs a branch');
  assert.match(detached.detail, /no branch to merge back into/);
  const onBranch = baseLooks('main', { current: 'HEAD', branches: ['main'], detachedAt: '3412ee3' });
  assert.deepEqual(onBranch, { said: 'main', detail: 'main' }, 'another branch picked: nothing to warn of');
});

test('uncommitted changes in the checkout are said when the session starts from what is checked out, not from another branch', () => {
  const dirty = baseLooks('main', { current: 'main', branches: ['main', 'dev'], uncommitted: 4 });
  assert.equal(dirty.warning, '4 uncommitted changes not included');
  assert.equal(dirty.detail, 'main — your 4 uncommitted changes not included: the session starts from the last commit');
  assert.equal(baseLooks('main', { current: 'main', branches: ['main'], uncommitted: 1 }).warning, '1 uncommitted change not included');
  assert.equal(baseLooks('dev', { current: 'main', branches: ['main', 'dev'], uncommitted: 4 }).warning, undefined);
});

test('no usable repository: a repository with no commit asks for one; a folder of repositories offers them, not git init', t => {
  const root = mkdtempSync(path.join(tmpdir(), 'sy-norepo-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  assert.match(noRepositoryMessage([root], true).message, /^This repository has no commit yet.*Make a first commit/);

  for (const name of ['beta', 'alpha', 'docs']) mkdirSync(path.join(root, name));
  for (const name of ['beta', 'alpha']) execFileSync('git', ['init', '-q'], { cwd: path.join(root, name) });
  assert.deepEqual(reposBelow(root).map(r => path.basename(r)), ['alpha', 'beta']);
  const below = noRepositoryMessage([root], false);
  assert.equal(below.message, 'No folder open here is in a git repository, but alpha and beta, inside it, are. Open one (or add it to the workspace) to start sessions there.');
  assert.deepEqual(below.open, [{ label: 'Open alpha', folder: path.join(root, 'alpha') }, { label: 'Open beta', folder: path.join(root, 'beta') }, { label: 'Open Folder…' }]);
  assert.doesNotMatch(below.message, /git init/);

  const plain = path.join(root, 'docs');
  assert.match(noRepositoryMessage([plain], false).message, /Make one a repository \(git init and a first commit\)/);
  assert.match(noRepositoryMessage([], false).message, /^Switchyard needs a folder inside a git repository\. Open one/);
  assert.deepEqual(reposBelow(path.join(root, 'missing')), [], 'an unreadable folder holds none');
});
