// What New Session is told of a repository: the branch checked out, or the commit of a detached HEAD, and how
// many uncommitted changes its checkout has (which a session, from the last commit, does not see).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { repoBranches } from '../../src/host/sessions/reviewSession';
import { engineFor, git, upstream } from './helpers/engineKit';

test('repo branches: the current branch and a clean checkout; uncommitted changes counted; a detached HEAD named by its commit', async t => {
  const up = await upstream(t);
  const { engine, repo } = await engineFor(t, { up });
  git(repo, 'branch', 'dev');
  assert.deepEqual(await repoBranches(engine.sessions, repo), { current: 'main', branches: ['dev', 'main'] });

  writeFileSync(path.join(repo, 'README.md'), '# changed\n');
  writeFileSync(path.join(repo, 'new.txt'), 'untracked\n');
  // The checkout's status is read once for a moment: a later look (a session's start) sees it fresh.
  await new Promise(r => setTimeout(r, 2_100));
  assert.equal((await repoBranches(engine.sessions, repo)).uncommitted, 2);

  git(repo, 'stash', '-u', '-q');
  git(repo, 'checkout', '-q', '--detach', 'HEAD');
  await new Promise(r => setTimeout(r, 2_100));
  const detached = await repoBranches(engine.sessions, repo);
  assert.equal(detached.current, 'HEAD');
  assert.equal(detached.detachedAt, git(repo, 'rev-parse', '--short', 'HEAD'));
  assert.equal(detached.uncommitted, undefined);
});
