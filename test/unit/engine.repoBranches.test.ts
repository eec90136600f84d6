// What New Session is told of a repository: the branch checked out, or the commit of a detached HEAD; how
// many uncommitted changes its checkout has (which a session, from the last commit, does not see); and the
// folder asked about, when below the root.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CheckoutLooks } from '../../src/host/sessions/checkoutLooks';
import { repoBranches } from '../../src/host/sessions/reviewSession';
import type { SessionManager } from '../../src/host/sessions/sessionManager';
import { git, makeRepo, tempDir } from './helpers/engineKit';

test('repo branches: the current branch and a clean checkout; uncommitted changes counted; a detached HEAD named by its commit; a folder below the root', async t => {
  const repo = makeRepo(tempDir(t));
  // Each look a moment after the last, past the status a start would reuse.
  let now = 0;
  const mgr = { checkoutLooks: new CheckoutLooks(undefined, () => (now += 10_000)) } as unknown as SessionManager;
  git(repo, 'branch', 'dev');
  assert.deepEqual(await repoBranches(mgr, repo), { current: 'main', branches: ['dev', 'main'] });

  writeFileSync(path.join(repo, 'README.md'), '# changed\n');
  writeFileSync(path.join(repo, 'new.txt'), 'untracked\n');
  assert.equal((await repoBranches(mgr, repo)).uncommitted, 2);

  git(repo, 'stash', '-u', '-q');
  git(repo, 'checkout', '-q', '--detach', 'HEAD');
  const detached = await repoBranches(mgr, repo);
  assert.equal(detached.current, 'HEAD');
  assert.equal(detached.detachedAt, git(repo, 'rev-parse', '--short', 'HEAD'));
  assert.equal(detached.uncommitted, undefined);

  mkdirSync(path.join(repo, 'packages', 'web'), { recursive: true });
  assert.equal((await repoBranches(mgr, path.join(repo, 'packages', 'web'))).folder, 'packages/web');
  assert.equal((await repoBranches(mgr, repo)).folder, undefined);
});
