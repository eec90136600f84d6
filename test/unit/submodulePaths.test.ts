// Where a worktree's submodules are: the paths .gitmodules names that the index holds as submodules.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { filesInBareSubmoduleFolders } from '../../src/host/worktrees/inspect';
import { namedPaths, submodulePaths } from '../../src/host/worktrees/submodulePaths';
import { makeSandbox, sh, type Sandbox } from './helpers/git-fixtures';

let box: Sandbox;
before(() => {
  box = makeSandbox();
});
after(() => box.dispose());

test('.gitmodules paths are read as git reads them: quoted or not, with comments', () => {
  const text = '[submodule "lib"]\n\tpath = vendor/lib ; moved here\n[submodule "x"]\n\tpath = "with space/x" # quoted\n[submodule "y"]\n\turl = ../y\n\tPath=deps/y/\n';
  assert.deepEqual(namedPaths(text), ['vendor/lib', 'with space/x', 'deps/y']);
});

test('a stale .gitmodules entry over a vendored copy is no submodule: its files are written and kept as any', async () => {
  mkdirSync(path.join(box.repo, 'vendor', 'lib'), { recursive: true });
  writeFileSync(path.join(box.repo, 'vendor', 'lib', 'lib.js'), 'export {};\n');
  writeFileSync(path.join(box.repo, '.gitmodules'), '[submodule "lib"]\n\tpath = vendor/lib\n\turl = ../lib\n');
  sh(box.repo, 'add', '-A');
  sh(box.repo, 'commit', '-q', '-m', 'vendored, with a stale .gitmodules');
  assert.deepEqual(await submodulePaths(box.repo), []);
  assert.deepEqual(await filesInBareSubmoduleFolders(box.repo), []);
});

test('a submodule is found again when the index changes, though .gitmodules did not', async () => {
  const origin = path.join(box.dir, 'lib-origin');
  mkdirSync(origin);
  sh(origin, 'init', '-q', '-b', 'main');
  sh(origin, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', 'lib');
  sh(box.repo, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', origin, 'deps/lib');
  sh(box.repo, 'commit', '-q', '-m', 'a submodule');
  assert.deepEqual(await submodulePaths(box.repo), ['deps/lib']);
  // No longer a submodule in the index; .gitmodules still names it.
  sh(box.repo, 'rm', '-q', '--cached', 'deps/lib');
  assert.deepEqual(await submodulePaths(box.repo), []);
});
