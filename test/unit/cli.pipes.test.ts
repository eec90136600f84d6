// The CLI with a reader that went away (`2>&1 >out | head -c 10`, a log pipe that closed): the run goes on
// to its end and its exit status, never dying of EPIPE between making a worktree and recording its session.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { CLI, runCli } from './helpers/cli';
import { makeRepo, tempDir, upstream } from './helpers/engineKit';

const finishing = {
  steps: [
    { calls: [{ name: 'write_file', arguments: { path: 'out.txt', content: 'hello\n' } }] },
    { calls: [{ name: 'finish', arguments: { summary: 'wrote out.txt' } }] },
  ],
};

/** Runs the CLI with the read end of `closed` shut before it writes a line; resolves with its exit status and the other stream. */
function runWithClosed(closed: 'stdout' | 'stderr', args: string[], env: Record<string, string>): Promise<{ code: number | null; other: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child[closed].destroy();
  let other = '';
  child[closed === 'stdout' ? 'stderr' : 'stdout'].on('data', d => (other += d));
  return new Promise(resolve => child.on('exit', code => resolve({ code, other })));
}

test('a closed stderr or stdout does not stop a run: it finishes, records its session and exits as it ended', async t => {
  const up = await upstream(t, { scripts: { fin: finishing } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_API_KEY: 'sk-cli', OPENAI_BASE_URL: up.url };

  // Progress goes to stderr from the first line ("Creating a worktree…"): each write fails with EPIPE.
  const noStderr = await runWithClosed('stderr', ['run', '--repo', repo, '--task', '[script:fin] stderr closed', '--json'], env);
  assert.equal(noStderr.code, 0, noStderr.other);
  const ran = JSON.parse(noStderr.other) as { id: string; status: string };
  assert.equal(ran.status, 'done');

  // The result goes to stdout at the end: nobody reads it, and the exit status still says how it ended.
  const noStdout = await runWithClosed('stdout', ['run', '--repo', repo, '--task', '[script:fin] stdout closed', '--json'], env);
  assert.equal(noStdout.code, 0, noStdout.other);

  const listed = await runCli(['sessions', '--repo', repo, '--json'], env);
  const sessions = JSON.parse(listed.stdout) as { title: string; status: string }[];
  assert.deepEqual(sessions.map(s => [s.title, s.status]).sort(), [['[script:fin] stderr closed', 'done'], ['[script:fin] stdout closed', 'done']]);
});
