// The sidebar's actions on a session, from the CLI: resume, merge and discard, by the session's id.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { git, makeRepo, tempDir, upstream } from './helpers/engineKit';
import { runCli } from './helpers/cli';

const writes = (file: string) => ({
  steps: [
    { calls: [{ name: 'write_file', arguments: { path: file, content: `${file}\n` } }] },
    { calls: [{ name: 'finish', arguments: { summary: `wrote ${file}` } }] },
  ],
});

test('resume, merge and discard by id: a failed session resumed finishes, merged its work is on main, and unmerged work is discarded only with --yes', { timeout: 60_000 }, async t => {
  const up = await upstream(t, { scripts: { one: writes('one.txt'), two: writes('two.txt') }, requireKey: 'sk-right' });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_BASE_URL: up.url, OPENAI_API_KEY: 'sk-right' };
  const json = <T>(r: { stdout: string }) => JSON.parse(r.stdout) as T;

  const failed = await runCli(['run', '--repo', repo, '--task', '[script:one] one', '--json', '--quiet'], { ...env, OPENAI_API_KEY: 'sk-wrong' });
  assert.equal(failed.code, 1, failed.stderr);
  const { id } = json<{ id: string }>(failed);
  // With the right key now: it goes on to the end, in this process.
  const resumed = await runCli(['resume', id, '--json', '--quiet'], env);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(json<{ status: string }>(resumed).status, 'done');

  const merged = await runCli(['merge', id, '--strategy', 'squash', '--json'], env);
  assert.equal(merged.code, 0, merged.stderr);
  assert.equal(json<{ ok: boolean; strategy: string }>(merged).strategy, 'squash');
  assert.equal(git(repo, 'show', 'main:one.txt'), 'one.txt');

  const other = await runCli(['run', '--repo', repo, '--task', '[script:two] two', '--title', 'Two', '--json', '--quiet'], env);
  assert.equal(other.code, 0, other.stderr);
  const second = json<{ id: string; worktree: string; branch: string }>(other);
  const refused = await runCli(['discard', second.id], env);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stdout, /^not discarded: Two has 1 commit not merged\. Nothing was changed; run again with --yes/);
  assert.ok(existsSync(second.worktree), 'nothing was removed');
  const discarded = await runCli(['discard', second.id, '--yes', '--repo', repo], env);
  assert.equal(discarded.code, 0, discarded.stderr);
  assert.equal(discarded.stdout.trim(), `discarded: Two (its branch ${second.branch} is kept)`);
  assert.equal(existsSync(second.worktree), false);

  const listed = new Map(json<{ id: string; status: string }[]>(await runCli(['sessions', '--json'], env)).map(s => [s.id, s.status]));
  assert.deepEqual([listed.get(id), listed.get(second.id)], ['merged', 'discarded']);
  const unknown = await runCli(['resume', 'no-such-id'], env);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^switchyard resume: There is no session no-such-id\. `switchyard sessions` lists them\./);
  const missing = await runCli(['merge'], env);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /missing ID\. Usage: switchyard merge ID/);
});
