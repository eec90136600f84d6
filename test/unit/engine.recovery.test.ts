// Sessions survive their host: a process running a session is killed (kill -9) mid-run; the next host
// finds the session paused with a reason, and resuming it finishes the work from where it stopped.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { SessionInfo } from '../../src/protocol/types';
import { Engine } from '../../src/host/engine';
import { silentSink } from '../../src/host/events';
import { withDefaults } from '../../src/host/settings';
import { runCli } from './helpers/cli';
import { makeRepo, settle, tempDir, upstream } from './helpers/engineKit';

const long = {
  steps: [
    { calls: [{ name: 'write_file', arguments: { path: 'step1.txt', content: 'one\n' } }] },
    { text: 'Working through the second step, streaming slowly so the process can be killed while it runs.', calls: [{ name: 'write_file', arguments: { path: 'step2.txt', content: 'two\n' } }] },
    { calls: [{ name: 'write_file', arguments: { path: 'step3.txt', content: 'three\n' } }] },
    { calls: [{ name: 'finish', arguments: { summary: 'three steps' } }] },
  ],
};

const task = `[script:long] three steps\n\nContext:\n${'The service keeps a ledger of every request. '.repeat(150)}`;

/** Runs the CLI on the long script and kills it (kill -9) once its first tool call has run. */
async function killedRun(env: Record<string, string>, repo: string): Promise<void> {
  let killed = false;
  const run = runCli(['run', '--repo', repo, '--task', task], env, chunk => {
    if (!killed && /write_file .*step2/.test(chunk)) {
      killed = true;
      run.kill('SIGKILL');
    }
  });
  const r = await run;
  assert.equal(r.code, null, 'the CLI was killed');
  assert.ok(killed);
}

function startEngine(home: string, url: string): Promise<Engine> {
  const settings = withDefaults({ baseURL: url, budgets: { sessionUsd: null, dayUsd: null, monthUsd: null }, sandbox: { enabled: false, allowedDomains: [], denyRead: [] } });
  return Engine.start({ home, settings, apiKey: 'sk-x', headless: true, sink: silentSink });
}

test('a session whose host was killed comes back paused and resumes to the end', async t => {
  const up = await upstream(t, { scripts: { long }, eventDelayMs: 30 });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const home = path.join(root, 'home');
  const env = { SWITCHYARD_HOME: home, OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: up.url };
  await killedRun(env, repo);

  // `sessions` only reads: it shows the session as the next host will find it, and changes nothing.
  const listed = await runCli(['sessions', '--repo', repo, '--json'], env);
  assert.equal(listed.code, 0, listed.stderr);
  const [shown] = JSON.parse(listed.stdout) as { id: string; status: string; statusReason?: string }[];
  assert.equal(shown.status, 'paused');
  assert.match(shown.statusReason ?? '', /its process ended/);
  const onDisk = readdirSync(path.join(home, 'repos'), { recursive: true, encoding: 'utf8' }).find(f => f.endsWith(`${shown.id}${path.sep}session.json`));
  assert.ok(onDisk, 'the session record is on disk');
  assert.equal((JSON.parse(readFileSync(path.join(home, 'repos', onDisk), 'utf8')) as { status: string }).status, 'running', 'the reader wrote nothing');

  const engine = await startEngine(home, up.url);
  t.after(() => engine.shutdown());
  const [s] = await engine.sessions.list(repo);
  assert.equal(s.status, 'paused');
  assert.match(s.statusReason ?? '', /Switchyard stopped while this session ran \(its process ended\)/);
  const requestsBefore = up.requests.length;
  await engine.sessions.resume(s.id);
  const done = await settle(engine, s);
  assert.equal(done.status, 'done', done.statusReason);
  for (const [f, text] of [['step1.txt', 'one\n'], ['step2.txt', 'two\n'], ['step3.txt', 'three\n']]) {
    assert.equal(readFileSync(path.join(done.worktree, f), 'utf8'), text);
  }
  // The resumed conversation starts with the same prefix: its first request hits the prompt cache.
  const resumed = up.requests[requestsBefore];
  assert.ok(resumed.usage && resumed.usage.input > 1024, 'the prompt is long enough to be cached');
  assert.ok(resumed.usage.cached >= 1024, `the first request after the restart hit the cache (${resumed.usage.cached} cached)`);
});

test('a host that watched another process run a session shows it paused within seconds of that process being killed', async t => {
  // The second response streams for seconds: the running process writes nothing while it is killed.
  const slow = {
    steps: [
      { calls: [{ name: 'write_file', arguments: { path: 'step1.txt', content: 'one\n' } }] },
      { text: 'Still thinking about it. '.repeat(100), calls: [{ name: 'finish', arguments: { summary: 'one step' } }] },
    ],
  };
  const up = await upstream(t, { scripts: { slow }, eventDelayMs: 30 });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const home = path.join(root, 'home');
  const engine = await startEngine(home, up.url);
  t.after(() => engine.shutdown());
  await engine.sessions.list(repo);
  const current = async () => (await engine.sessions.list(repo))[0];
  const until = async (ok: (s: SessionInfo | undefined) => boolean, what: string) => {
    const deadline = Date.now() + 10_000;
    while (!ok(await current())) {
      if (Date.now() > deadline) assert.fail(`${what}; the session shows ${(await current())?.status ?? 'nothing'}`);
      await new Promise(r => setTimeout(r, 100));
    }
  };
  const run = runCli(['run', '--repo', repo, '--task', '[script:slow] one step'], { SWITCHYARD_HOME: home, OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: up.url });
  await until(s => s?.status === 'running' && s.usage.requests >= 1, 'the other process never showed as running');
  // Past the next poll, this host holds the record as the living process last wrote it.
  await new Promise(r => setTimeout(r, 1500));
  assert.equal((await current())?.status, 'running');
  run.kill('SIGKILL');
  assert.equal((await run).code, null, 'the CLI was killed mid-stream');
  await until(s => s?.status === 'paused', 'the session still shows as running after its process was killed');
  assert.match((await current())?.statusReason ?? '', /its process ended/);
});
