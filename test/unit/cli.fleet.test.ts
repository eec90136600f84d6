// Ten `switchyard run` processes started at once on one repository: each gets its own worktree and
// branch, and every record of every process lands once in the one shared ledger.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { runCli } from './helpers/cli';
import { git, makeRepo, tempDir, upstream } from './helpers/engineKit';

const twoTurns = {
  steps: [
    { calls: [{ name: 'write_file', arguments: { path: 'work-{{n}}.txt', content: 'done\n' } }] },
    { calls: [{ name: 'finish', arguments: { summary: 'wrote a file' } }] },
  ],
};

/** The test upstream playing `twoTurns`, a repository, and the environment every run shares. */
async function fleet(t: TestContext, o: { eventDelayMs?: number } = {}) {
  const up = await upstream(t, { scripts: { two: twoTurns }, ...o });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const home = path.join(root, 'home');
  return { up, repo, home, env: { SWITCHYARD_HOME: home, OPENAI_API_KEY: 'sk-fleet', OPENAI_BASE_URL: up.url } };
}

test('ten CLI runs at once on one repository all finish, with every record in the shared ledger', async t => {
  const { up, repo, home, env } = await fleet(t);
  const runs = await Promise.all(Array.from({ length: 10 }, () => runCli(['run', '--repo', repo, '--task', '[script:two] same task for everyone', '--json', '--quiet'], env)));
  const outs = runs.map(r => {
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as { id: string; branch: string; worktree: string; usage: { requests: number } };
  });
  assert.equal(new Set(outs.map(o => o.branch)).size, 10, 'ten distinct branches');
  assert.equal(new Set(outs.map(o => o.worktree)).size, 10, 'ten distinct worktrees');
  const worktrees = git(repo, 'worktree', 'list', '--porcelain');
  for (const o of outs) assert.ok(worktrees.includes(o.worktree), `${o.worktree} is registered`);
  assert.doesNotMatch(git(repo, 'fsck', '--no-progress'), /error/i);

  // The ledger file: one line per upstream response, each record once.
  const lines = readFileSync(path.join(home, 'ledger', 'usage.jsonl'), 'utf8').split('\n').filter(Boolean);
  const records = lines.map(l => (JSON.parse(l) as { r: { id: string; sessionId: string } }).r);
  assert.equal(records.length, up.requests.length, 'one record per upstream response');
  assert.equal(records.length, 20);
  assert.equal(new Set(records.map(r => r.id)).size, records.length, 'no record doubled');
  for (const o of outs) assert.equal(records.filter(r => r.sessionId === o.id).length, 2);

  const report = await runCli(['report', '--by', 'session', '--json'], env);
  const rows = JSON.parse(report.stdout) as { usage: { requests: number } }[];
  assert.equal(rows.length, 10);
  assert.equal(rows.reduce((n, r) => n + r.usage.requests, 0), 20);
  const text = (await runCli(['report', '--by', 'session'], env)).stdout.trim().split('\n');
  assert.equal(text.length, 12, 'a header, ten sessions and their total');
  assert.match(text.at(-1)!, /^TOTAL\s+20\s/);
});

test('a day cap that holds one worst case at a time: six runs take turns instead of pausing over money nobody spent', async t => {
  // Answers slow enough that the six runs' requests overlap however unevenly a loaded machine starts them.
  const { repo, home, env } = await fleet(t, { eventDelayMs: 100 });
  // The smallest useful request's worst case is about $0.018: three at once never fit, all twelve in turn do ($0.03 in all).
  mkdirSync(home, { recursive: true });
  writeFileSync(path.join(home, 'config.json'), JSON.stringify({ budgets: { sessionUsd: null, dayUsd: 0.06, monthUsd: null } }));
  const runs = await Promise.all(Array.from({ length: 6 }, () => runCli(['run', '--repo', repo, '--task', '[script:two] take turns', '--json'], env)));
  for (const r of runs) {
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { status: string }).status, 'done');
  }
  assert.ok(runs.some(r => /Waiting for budget headroom/.test(r.stderr)), 'a run that waited said so');
  const rows = JSON.parse((await runCli(['report', '--by', 'session', '--json'], env)).stdout) as { costUsd: number }[];
  const spent = rows.reduce((sum, r) => sum + r.costUsd, 0);
  assert.ok(rows.length === 6 && spent > 0 && spent <= 0.06, `spent $${spent} in ${rows.length} sessions`);
});

test('maxConcurrentSessions holds for the machine: ten runs at once keep to it together, and all finish', async t => {
  const { up, repo, home, env } = await fleet(t, { eventDelayMs: 25 });
  mkdirSync(home, { recursive: true });
  writeFileSync(path.join(home, 'config.json'), JSON.stringify({ maxConcurrentSessions: 3 }));
  // The upstream's answers in flight at once: never more than the agents running.
  let most = 0;
  const sample = setInterval(() => {
    most = Math.max(most, up.requests.filter(r => !r.done).length);
  }, 2);
  t.after(() => clearInterval(sample));
  const runs = await Promise.all(Array.from({ length: 10 }, () => runCli(['run', '--repo', repo, '--task', '[script:two] one of ten', '--json'], env)));
  clearInterval(sample);
  for (const r of runs) {
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { status: string }).status, 'done');
  }
  assert.equal(up.requests.length, 20);
  assert.ok(most <= 3, `${most} answers were streamed at once`);
  assert.ok(most >= 2, 'the three slots were used');
  assert.ok(runs.some(r => /Waiting for a free slot: \d agents? runs? on this machine \(limit 3\)/.test(r.stderr)), 'a run that waited said why');
  assert.deepEqual(readdirSync(path.join(home, 'slots', 'running')), [], 'every slot given back');
});

test('a run going on follows config.json: a limit raised while its session waits lets it start', async t => {
  const { repo, home, env } = await fleet(t);
  mkdirSync(home, { recursive: true });
  const config = path.join(home, 'config.json');
  writeFileSync(config, JSON.stringify({ maxConcurrentSessions: 1 }));
  // Holds the only slot until told to let go: a command agent waiting for a file (outside the home, which
  // its sandbox may not read).
  const release = path.join(path.dirname(home), 'release-slow');
  const ended: string[] = [];
  let holding = '';
  const slow = runCli(['run', '--repo', repo, '--task', 'holds the only slot', '--command', `while [ ! -e '${release}' ]; do sleep 0.1; done`, '--json'], env, chunk => (holding += chunk)).then(r => (ended.push('slow'), r));
  for (const end = Date.now() + 30_000; !/\[running\]/.test(holding) && Date.now() < end;) await new Promise(r => setTimeout(r, 20));
  let said = '';
  const waiting = runCli(['run', '--repo', repo, '--task', '[script:two] waits', '--json'], env, chunk => (said += chunk)).then(r => (ended.push('waiting'), r));
  const deadline = Date.now() + 30_000;
  while (!/Waiting for a free slot/.test(said) && Date.now() < deadline) await new Promise(r => setTimeout(r, 20));
  assert.match(said, /Waiting for a free slot: 1 agent runs on this machine \(limit 1\)/);
  // As the editor saves it when the setting changes.
  writeFileSync(config, JSON.stringify({ maxConcurrentSessions: 2 }));
  const b = await waiting;
  writeFileSync(release, '');
  const a = await slow;
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  assert.deepEqual(ended, ['waiting', 'slow'], 'the waiting run started beside the slow one, and finished first');
});
