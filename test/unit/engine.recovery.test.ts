// Sessions survive their host: a process running a session is killed (kill -9) mid-run; the next host
// finds the session paused with a reason, and resuming it finishes the work from where it stopped.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
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

test('a session whose host was killed comes back paused and resumes to the end', async t => {
  const up = await upstream(t, { scripts: { long }, eventDelayMs: 30 });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const home = path.join(root, 'home');
  const env = { SWITCHYARD_HOME: home, OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: up.url };
  let killed = false;
  const task = `[script:long] three steps\n\nContext:\n${'The service keeps a ledger of every request. '.repeat(150)}`;
  const run = runCli(['run', '--repo', repo, '--task', task], env, chunk => {
    // The first tool call has run: kill the host in the middle of the session.
    if (!killed && /write_file .*step2/.test(chunk)) {
      killed = true;
      run.kill('SIGKILL');
    }
  });
  const r = await run;
  assert.equal(r.code, null, 'the CLI was killed');
  assert.ok(killed);

  const engine = await Engine.start({ home, settings: withDefaults({ baseURL: up.url, budgets: { sessionUsd: null, dayUsd: null, monthUsd: null }, sandbox: { enabled: false, allowedDomains: [], denyRead: [] } }), apiKey: 'sk-x', headless: true, sink: silentSink });
  t.after(() => engine.shutdown());
  const [s] = await engine.sessions.list(repo);
  assert.equal(s.status, 'paused');
  assert.match(s.statusReason ?? '', /restarted while this session ran/);
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
