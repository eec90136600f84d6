// A session started from a folder below the repository's root (a monorepo's package opened in the editor,
// `run --repo packages/web`): the worktree is the whole repository's; the built-in agent is told where the
// user works, and a command agent starts there.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { folderWithin, safeFolder, startDir } from '../../src/host/sessions/workFolder';
import { runCli } from './helpers/cli';
import { writesThenFinishes } from './helpers/scripts';
import { git, makeRepo, tempDir, upstream } from './helpers/engineKit';

test('the work folder: strictly below the root, with / separators, through symlinks; never out of the repository or in .git', t => {
  const root = realpathSync(tempDir(t));
  // As the engine gives it: a real path (macOS's temp folder is behind a link).
  const repo = realpathSync(makeRepo(root));
  mkdirSync(path.join(repo, 'packages', 'web'), { recursive: true });
  assert.equal(folderWithin(repo, path.join(repo, 'packages', 'web')), 'packages/web');
  assert.equal(folderWithin(repo, repo), undefined, 'the root itself');
  assert.equal(folderWithin(repo, root), undefined, 'above it');
  assert.equal(folderWithin(repo, path.join(repo, 'missing')), undefined);
  symlinkSync(path.join(repo, 'packages', 'web'), path.join(root, 'web-link'));
  assert.equal(folderWithin(repo, path.join(root, 'web-link')), 'packages/web');
  for (const bad of ['../x', '/etc', 'a/../../b', '.git/hooks', 'a//b', '', 'C:\\x', 'a\\..\\..\\x', 3]) assert.equal(safeFolder(bad), undefined, String(bad));
  mkdirSync(path.join(repo, '..foo'));
  assert.equal(folderWithin(repo, path.join(repo, '..foo')), '..foo', 'a name that begins with two dots is inside');
  assert.equal(startDir(repo, 'packages/web'), path.join(repo, 'packages', 'web'));
  assert.equal(startDir(repo, 'packages/gone'), repo, 'not on the branch: the worktree');
  assert.equal(startDir(repo, undefined), repo);
  // The agent could make the folder a link out of the worktree: a command would then start out of it.
  symlinkSync(root, path.join(repo, 'packages', 'out'));
  assert.equal(startDir(repo, 'packages/out'), repo);
});

test('run from a folder below the root: the session records it, the built-in agent is told it, a command agent starts in it; from the root, neither', async t => {
  const up = await upstream(t, { scripts: { fin: writesThenFinishes } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: up.url };
  const below = await runCli(['run', '--repo', path.join(repo, 'src'), '--task', '[script:fin] add a file here', '--title', 'Below', '--json', '--quiet'], env);
  assert.equal(below.code, 0, below.stderr);
  const first = up.requests[0]!.body as { input: { content: string }[] };
  assert.match(first.input[0]!.content, /The user works in src\/ of this repository: "here" in the task means that folder\./);

  const atRoot = await runCli(['run', '--repo', repo, '--task', '[script:fin] add a file', '--title', 'At root', '--json', '--quiet'], env);
  assert.equal(atRoot.code, 0, atRoot.stderr);
  assert.doesNotMatch((up.requests[2]!.body as { input: { content: string }[] }).input[0]!.content, /The user works in/);

  const command = await runCli(['run', '--repo', path.join(repo, 'src'), '--task', 'where', '--title', 'Command', '--agent', 'command', '--command', 'pwd > where.txt', '--json', '--quiet'], env);
  assert.equal(command.code, 0, command.stderr);
  const { worktree } = JSON.parse(command.stdout) as { worktree: string };
  assert.equal(readFileSync(path.join(worktree, 'src', 'where.txt'), 'utf8').trim(), path.join(worktree, 'src'));

  const listed = JSON.parse((await runCli(['sessions', '--json'], env)).stdout) as { title: string; folder?: string }[];
  assert.deepEqual(listed.map(s => [s.title, s.folder]).sort(), [['At root', undefined], ['Below', 'src'], ['Command', 'src']]);
});

test('a repository with a submodule: the session says its folder is empty in the worktree, and the built-in agent is told so', async t => {
  const up = await upstream(t, { scripts: { fin: writesThenFinishes } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const origin = makeRepo(root, 'lib-origin');
  git(repo, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', origin, 'lib/sub');
  git(repo, 'commit', '-q', '-m', 'a submodule');
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: up.url };
  const r = await runCli(['run', '--repo', repo, '--task', '[script:fin] change the library', '--title', 'Sub'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /This repository's submodules \(lib\/sub\) are not checked out in the session's worktree: the agent sees their folders empty and cannot change them\./);
  const first = up.requests[0]!.body as { input: { content: string }[] };
  assert.match(first.input[0]!.content, /The submodules lib\/sub are not checked out here: their folders are empty/);
});
