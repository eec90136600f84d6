// `switchyard resume` goes on where the session ran: the model API it last ran against, and the turns
// asked for. A local model's session is never sent to OpenAI (or another server), nor this shell's key to
// the server a record names, unasked.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { makeRepo, tempDir, upstream } from './helpers/engineKit';
import { runCli } from './helpers/cli';
import { writesThenFinishes } from './helpers/scripts';

const finishing = writesThenFinishes;

test('resume goes on only where the session ran and this shell points; where they differ it sends nothing until --base-url names one', async t => {
  const local = await upstream(t, { scripts: { fin: finishing } });
  const elsewhere = await upstream(t, { scripts: { fin: finishing } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_API_KEY: 'sk-cli' };
  const run = async () => {
    const r = await runCli(['run', '--repo', repo, '--task', '[script:fin] write it', '--base-url', local.url, '--max-turns', '1', '--json', '--quiet'], env);
    assert.equal(r.code, 1, r.stderr);
    return (JSON.parse(r.stdout) as { id: string }).id;
  };
  const requests = () => [local.requests.length, elsewhere.requests.length];

  // This shell points elsewhere (or at OpenAI): its key would go there, and the session's conversation too.
  const id = await run();
  for (const shell of [{ OPENAI_BASE_URL: elsewhere.url }, { OPENAI_BASE_URL: '' }]) {
    const refused = await runCli(['resume', id, '--json'], { ...env, ...shell });
    assert.equal(refused.code, 2, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /last ran against http:\/\/127\.0\.0\.1:\d+\/v1, and this shell points at (http:\/\/127\.0\.0\.1:\d+\/v1 \(OPENAI_BASE_URL\)|OpenAI \(OPENAI_BASE_URL is not set\))\. Nothing was sent\. Pass --base-url http:\/\/127\.0\.0\.1:\d+\/v1 to go on where it ran/);
  }
  assert.deepEqual(requests(), [1, 0], 'nothing was sent anywhere');
  const there = await runCli(['resume', id, '--base-url', local.url, '--json', '--quiet'], { ...env, OPENAI_BASE_URL: elsewhere.url });
  assert.equal(there.code, 0, there.stdout + there.stderr);
  assert.deepEqual(requests(), [2, 0]);

  // Where the shell points where it ran, nothing needs saying; --base-url moves it, and that is recorded.
  const same = await runCli(['resume', await run(), '--json', '--quiet'], { ...env, OPENAI_BASE_URL: local.url });
  assert.equal(same.code, 0, same.stdout + same.stderr);
  assert.deepEqual(requests(), [4, 0]);
  const moved = await run();
  const movedThere = await runCli(['resume', moved, '--base-url', elsewhere.url, '--json', '--quiet'], env);
  assert.equal(movedThere.code, 0, movedThere.stdout + movedThere.stderr);
  assert.equal(elsewhere.requests.length, 1);
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

test('a base URL with a user and password, or a key in its query, is recorded without them, and resume from the same shell goes on', async t => {
  const up = await upstream(t, { scripts: { fin: finishing } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const withCredentials = `${up.url.replace('http://', 'http://me:secretpw@')}?api-version=1&api_key=secretpw`;
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_API_KEY: 'sk-cli', OPENAI_BASE_URL: withCredentials };
  const r = await runCli(['run', '--repo', repo, '--task', '[script:fin] write it', '--max-turns', '1', '--json', '--quiet'], env);
  assert.equal(r.code, 1, r.stderr);
  const { id } = JSON.parse(r.stdout) as { id: string };
  const listed = await runCli(['sessions', '--json'], env);
  assert.doesNotMatch(listed.stdout, /secretpw/);
  assert.equal((JSON.parse(listed.stdout) as { id: string; baseURL?: string }[]).find(s => s.id === id)?.baseURL, `${up.url}?api-version=1`, 'the query stays, its key does not');
  const { readdirSync, readFileSync } = await import('node:fs');
  const records = readdirSync(path.join(root, 'home'), { recursive: true, encoding: 'utf8' }).filter(f => f.endsWith('session.json'));
  assert.ok(records.length > 0);
  for (const f of records) assert.doesNotMatch(readFileSync(path.join(root, 'home', f), 'utf8'), /secretpw/, f);
  const resumed = await runCli(['resume', id, '--json', '--quiet'], env);
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
});
