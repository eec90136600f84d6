// Which repository a folder open in the editor is: a folder in a repository with no commit yet is said as
// such, so the empty Sessions view can ask for a first commit rather than for a repository.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import resolveRepo from '../../src/host/handlers/repo/resolve';
import { engineFor, tempDir, upstream } from './helpers/engineKit';

const noProgress = { report: () => undefined };

test('a folder is resolved to its repository; one with no commit yet, and one in no repository, say which', async t => {
  const up = await upstream(t);
  const { engine, repo } = await engineFor(t, { up });
  const found = await resolveRepo.handle(engine, { dir: repo }, noProgress);
  assert.ok(found.root && !found.noCommits);

  const fresh = path.join(tempDir(t), 'fresh');
  mkdirSync(fresh);
  execFileSync('git', ['init', '-q'], { cwd: fresh });
  const empty = await resolveRepo.handle(engine, { dir: fresh }, noProgress);
  assert.equal(empty.root, null);
  assert.equal(empty.noCommits, true);
  assert.match(empty.reason ?? '', /has no commits yet; make a first commit/);

  const none = await resolveRepo.handle(engine, { dir: tempDir(t) }, noProgress);
  assert.deepEqual([none.root, none.noCommits], [null, undefined]);
  assert.match(none.reason ?? '', /is not inside a git repository/);
});
