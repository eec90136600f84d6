// `switchyard resume` goes on where the session ran: the model API it last ran against, and the turns
// asked for. A local model's session is never sent to OpenAI (or another server) because this shell's
// OPENAI_BASE_URL says so.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { makeRepo, tempDir, upstream } from './helpers/engineKit';
import { runCli } from './helpers/cli';
import { writesThenFinishes } from './helpers/scripts';

const finishing = writesThenFinishes;

test('resume goes on at the model API the session last ran against, not at OPENAI_BASE_URL; --base-url moves it', async t => {
  const local = await upstream(t, { scripts: { fin: finishing } });
  const elsewhere = await upstream(t, { scripts: { fin: finishing } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_API_KEY: 'sk-cli' };
  const run = async (...flags: string[]) => {
    const r = await runCli(['run', '--repo', repo, '--task', '[script:fin] write it', '--base-url', local.url, '--max-turns', '1', '--json', '--quiet', ...flags], env);
    assert.equal(r.code, 1, r.stderr);
    return (JSON.parse(r.stdout) as { id: string }).id;
  };

  const id = await run();
  const resumed = await runCli(['resume', id, '--json'], { ...env, OPENAI_BASE_URL: elsewhere.url });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.equal((JSON.parse(resumed.stdout) as { status: string }).status, 'done');
  assert.match(resumed.stderr, /^ {2}at http:\/\/127\.0\.0\.1:\d+\/v1, where it last ran \(--base-url to move it\)$/m);
  assert.equal(elsewhere.requests.length, 0, 'nothing went to the server OPENAI_BASE_URL names');
  assert.equal(local.requests.length, 2);

  const moved = await run();
  const there = await runCli(['resume', moved, '--base-url', elsewhere.url, '--json', '--quiet'], env);
  assert.equal(there.code, 0, there.stdout + there.stderr);
  assert.equal(elsewhere.requests.length, 1, 'the one request after the move');
  assert.equal((JSON.parse((await runCli(['sessions', '--json'], env)).stdout) as { id: string; baseURL?: string }[]).find(s => s.id === moved)?.baseURL, elsewhere.url, 'and it is recorded there');

  const bad = await runCli(['resume', moved, '--base-url', 'localhost:11434'], env);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--base-url must be an http\(s\) URL/);
});

test('resume --max-turns is refused for an agent without turns', async t => {
  const up = await upstream(t);
  const root = tempDir(t);
  const repo = makeRepo(root);
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_API_KEY: 'sk-cli', OPENAI_BASE_URL: up.url };
  const r = await runCli(['run', '--repo', repo, '--task', 'say hi', '--command', 'true', '--approve-commands', '--json', '--quiet'], env);
  const { id } = JSON.parse(r.stdout) as { id: string };
  const more = await runCli(['resume', id, '--max-turns', '3'], env);
  assert.equal(more.code, 2, more.stderr);
  assert.match(more.stderr, /--max-turns counts the built-in agent's turns; ".*" runs a command, whose requests have no turn limit/);
});
