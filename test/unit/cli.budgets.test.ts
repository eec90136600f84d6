// --budget on run and resume, and the caps of config.json, as the CLI takes them: a budget that leaves
// nothing to spend is refused as a bad argument (exit 2) before anything is made or changed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { runCli } from './helpers/cli';
import { writesThenFinishes } from './helpers/scripts';
import { makeRepo, tempDir, upstream } from './helpers/engineKit';

const finishing = writesThenFinishes;

test('resume --budget below what the session has spent is refused (exit 2) and leaves its budget as it was', async t => {
  const up = await upstream(t, { scripts: { fin: finishing } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_BASE_URL: up.url, OPENAI_API_KEY: 'sk-cli' };
  const limited = await runCli(['run', '--repo', repo, '--task', '[script:fin] one turn', '--max-turns', '1', '--budget', '1', '--json', '--quiet'], env);
  assert.equal(limited.code, 1, limited.stderr);
  const { id, costUsd } = JSON.parse(limited.stdout) as { id: string; costUsd: number };
  assert.ok(costUsd > 0.000001, 'the first turn cost something');

  const refused = await runCli(['resume', id, '--budget', '0.000001', '--quiet'], env);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /^switchyard resume: --budget 0\.000001 is below the \$0\.\d+ the session has already spent\. Nothing was changed; give it a budget above that to go on\.$/m);
  // A budget just under the spend, which four decimals would show as the same sum, is said to the micro-dollar.
  const under = (Math.floor(costUsd * 1e6) - 1) / 1e6;
  const close = await runCli(['resume', id, '--budget', String(under), '--quiet'], env);
  assert.equal(close.code, 2, close.stderr);
  const said = /is below the (\$[\d.]+) the session/.exec(close.stderr)?.[1];
  assert.ok(said && said !== `$${under.toFixed(4)}`, close.stderr);
  const [s] = JSON.parse((await runCli(['sessions', '--repo', repo, '--json'], env)).stdout) as { budgetUsd: number; status: string }[];
  assert.deepEqual([s!.budgetUsd, s!.status], [1, 'failed']);
  assert.equal(up.requests.length, 1, 'nothing was sent');
});

test('a budget that rounds to no micro-dollar, on the command line or as config.json\'s session budget, is refused before anything is made', async t => {
  const root = tempDir(t);
  const repo = makeRepo(root);
  const home = path.join(root, 'home');
  const env = { SWITCHYARD_HOME: home, OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' };
  const branches = () => execFileSync('git', ['branch', '--list', 'switchyard/*'], { cwd: repo, encoding: 'utf8' }).trim();
  for (const args of [['run', '--repo', repo, '--task', 'x', '--budget', '0.0000001'], ['resume', 'abc', '--budget', '0.0000004']]) {
    const r = await runCli(args, env);
    assert.equal(r.code, 2, `${args[0]}: ${r.stderr}`);
    assert.equal(r.stderr.trim(), `switchyard ${args[0]}: --budget must be a positive number of dollars, at least 0.000001 (a millionth of a dollar)`);
  }
  mkdirSync(home, { recursive: true });
  writeFileSync(path.join(home, 'config.json'), JSON.stringify({ budgets: { sessionUsd: 0 } }));
  const zero = await runCli(['run', '--repo', repo, '--task', 'x'], env);
  assert.equal(zero.code, 2, zero.stderr);
  assert.match(zero.stderr, /config\.json: budgets\.sessionUsd should be a number of dollars \(at least 0\.000001\) or null, not 0/);
  assert.equal(branches(), '', 'no branch was made');
});

/** A session that ran one turn and stopped at its turn limit (failed, resumable), and what ran it. */
async function atTurnLimit(t: TestContext) {
  const up = await upstream(t, { scripts: { fin: finishing } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const home = path.join(root, 'home');
  const env = { SWITCHYARD_HOME: home, OPENAI_BASE_URL: up.url, OPENAI_API_KEY: 'sk-cli' };
  const limited = await runCli(['run', '--repo', repo, '--task', '[script:fin] one turn', '--max-turns', '1', '--json', '--quiet'], env);
  assert.equal(limited.code, 1, limited.stderr);
  const { id, costUsd } = JSON.parse(limited.stdout) as { id: string; costUsd: number };
  return { up, repo, home, env, id, costUsd };
}

test('resume under a day cap already spent is a cap reached (exit 3), whatever the session\'s status, and changes nothing: not its status or cause, not its budget', async t => {
  const { up, repo, home, env, id, costUsd } = await atTurnLimit(t);
  writeFileSync(path.join(home, 'config.json'), JSON.stringify({ budgets: { dayUsd: costUsd / 2 } }));
  for (const extra of [[], ['--budget', '3']]) {
    const r = await runCli(['resume', id, ...extra, '--json', '--quiet'], env);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    const o = JSON.parse(r.stdout) as { status: string; cause: string; reason: string };
    assert.deepEqual([o.status, o.cause], ['over-budget', 'day-budget']);
    assert.match(o.reason, /^The daily cap is reached: \$0\.\d+ of \$0\.\d+ spent\. Nothing was changed; raise it/);
  }
  const text = await runCli(['resume', id], env);
  assert.equal(text.code, 3, text.stderr);
  assert.match(text.stderr, /^switchyard resume: The daily cap is reached/m);
  const [s] = JSON.parse((await runCli(['sessions', '--repo', repo, '--json'], env)).stdout) as { budgetUsd: number | null; status: string; statusCause?: string }[];
  assert.deepEqual([s!.status, s!.statusCause, s!.budgetUsd], ['failed', 'turn-limit', 5]);
  assert.equal(up.requests.length, 1, 'nothing more was sent');
});

test('resume under a day cap with less left than the session\'s next request reserves at the least is refused the same way, before anything changes', async t => {
  const { up, repo, home, env, id, costUsd } = await atTurnLimit(t);
  // A tenth of a cent left: not spent, but no request of the built-in agent costs that little.
  writeFileSync(path.join(home, 'config.json'), JSON.stringify({ budgets: { dayUsd: costUsd + 0.001 } }));
  const r = await runCli(['resume', id, '--json', '--quiet'], env);
  assert.equal(r.code, 3, r.stdout + r.stderr);
  const o = JSON.parse(r.stdout) as { status: string; cause: string; reason: string };
  assert.deepEqual([o.status, o.cause], ['over-budget', 'day-budget']);
  assert.match(o.reason, /^The daily cap has \$0\.001 left of \$0\.\d+, less than its next request reserves at the least \(\$0\.\d+\)\. Nothing was changed; raise it/);
  const [s] = JSON.parse((await runCli(['sessions', '--repo', repo, '--json'], env)).stdout) as { status: string; statusCause?: string }[];
  assert.deepEqual([s!.status, s!.statusCause], ['failed', 'turn-limit']);
  assert.equal(up.requests.length, 1, 'nothing more was sent');
});

test('resume of a session its own budget stopped is a cap reached (exit 3), refused before it runs, that names --budget; given more, it goes on', async t => {
  const up = await upstream(t, { scripts: { fin: finishing } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_BASE_URL: up.url, OPENAI_API_KEY: 'sk-cli' };
  // $0.02 pays for the first request's worst case, and what is left then not for the second's.
  const first = await runCli(['run', '--repo', repo, '--task', '[script:fin] one turn', '--budget', '0.02', '--json', '--quiet'], env);
  assert.equal(first.code, 3, first.stderr);
  const { id, status, cause } = JSON.parse(first.stdout) as { id: string; status: string; cause: string };
  assert.deepEqual([status, cause], ['over-budget', 'session-budget']);
  assert.equal(up.requests.length, 1);

  const json = await runCli(['resume', id, '--json', '--quiet'], env);
  assert.equal(json.code, 3, json.stderr);
  const o = JSON.parse(json.stdout) as { status: string; cause: string; reason: string };
  assert.deepEqual([o.status, o.cause], ['over-budget', 'session-budget']);
  assert.match(o.reason, /^Session budget too small to go on, with \$0\.\d+ left: \$0\.\d+ of \$0\.02 spent/);
  assert.match(o.reason, /Nothing was changed; raise it before resuming \(Raise Budget in VS Code, or `switchyard resume \w+ --budget USD`\)\.$/);
  const text = await runCli(['resume', id], env);
  assert.equal(text.code, 3, text.stderr);
  // Refused before it is run: not queued, run and stopped again.
  assert.doesNotMatch(text.stderr, /\[running\]/);
  assert.match(text.stderr, /^switchyard resume: Session budget too small to go on/m);
  assert.equal(up.requests.length, 1, 'nothing was sent');

  // A budget that leaves less than the refused request needed is refused before anything changes.
  const [listed] = JSON.parse((await runCli(['sessions', '--json'], env)).stdout) as { costUsd: number; overBudgetNeedUsd: number; budgetUsd: number }[];
  assert.ok(listed!.overBudgetNeedUsd > 0.01, JSON.stringify(listed));
  const tooLittle = await runCli(['resume', id, '--budget', String(Math.floor((listed!.costUsd + listed!.overBudgetNeedUsd / 2) * 1e6) / 1e6)], env);
  assert.equal(tooLittle.code, 2, tooLittle.stderr);
  assert.match(tooLittle.stderr, /less than its next request needs \(up to \$0\.\d+\): it would stop again at once\. Nothing was changed; give it \$0\.\d+ or more\.$/m);
  assert.equal((JSON.parse((await runCli(['sessions', '--json'], env)).stdout) as { budgetUsd: number }[])[0]!.budgetUsd, 0.02, 'its budget is as it was');
  // Exactly what it spent and what the request needs, to the micro-dollar, is enough to go on.
  const exact = (Math.round(listed!.costUsd * 1e6) + Math.round(listed!.overBudgetNeedUsd * 1e6)) / 1e6;
  const more = await runCli(['resume', id, '--budget', String(exact), '--json', '--quiet'], env);
  assert.equal(more.code, 0, more.stderr);
  assert.equal((JSON.parse(more.stdout) as { status: string }).status, 'done');
  assert.equal(up.requests.length, 2);
});

/** A session the day cap stopped at its second request ($0.02 a day: room for the first's worst case only). */
async function stoppedByDayCap(t: TestContext) {
  const up = await upstream(t, { scripts: { fin: finishing } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const home = path.join(root, 'home');
  const env = { SWITCHYARD_HOME: home, OPENAI_BASE_URL: up.url, OPENAI_API_KEY: 'sk-cli' };
  mkdirSync(home, { recursive: true });
  writeFileSync(path.join(home, 'config.json'), JSON.stringify({ budgets: { dayUsd: 0.02 } }));
  const first = await runCli(['run', '--repo', repo, '--task', '[script:fin] one turn', '--json', '--quiet'], env);
  assert.equal(first.code, 3, first.stderr);
  const { id, cause } = JSON.parse(first.stdout) as { id: string; cause: string };
  assert.equal(cause, 'day-budget');
  return { up, home, env, id };
}

test('resume of a session the day cap stopped, with no more room under it, is refused before it runs (exit 3); once the cap is raised it goes on', async t => {
  const { up, home, env, id } = await stoppedByDayCap(t);
  const again = await runCli(['resume', id], env);
  assert.equal(again.code, 3, again.stderr);
  assert.doesNotMatch(again.stderr, /\[running\]/);
  assert.match(again.stderr, /^switchyard resume: Daily cap too small to go on, with \$0\.\d+ left: .*Nothing was changed; raise it \(switchyard\.budget\.dayUsd in VS Code; "budgets" in the Switchyard home's config\.json for the CLI\), then resume\.$/m);
  assert.equal(up.requests.length, 1, 'nothing was sent');
  writeFileSync(path.join(home, 'config.json'), JSON.stringify({ budgets: { dayUsd: 1 } }));
  const raised = await runCli(['resume', id, '--json', '--quiet'], env);
  assert.equal(raised.code, 0, raised.stderr);
  assert.equal(up.requests.length, 2);
});

test('resume of a session the day cap stopped is held to the refused request under the month cap too: the day cap raised, a month cap with less left is refused before it runs', async t => {
  const { up, home, env, id } = await stoppedByDayCap(t);
  const [listed] = JSON.parse((await runCli(['sessions', '--json'], env)).stdout) as { costUsd: number; overBudgetNeedUsd: number }[];
  // The day cap raised; the month's has more left than the least request, less than the one refused.
  const monthUsd = Math.round((listed!.costUsd + listed!.overBudgetNeedUsd / 2) * 1e6) / 1e6;
  writeFileSync(path.join(home, 'config.json'), JSON.stringify({ budgets: { dayUsd: 1, monthUsd } }));
  const r = await runCli(['resume', id], env);
  assert.equal(r.code, 3, r.stderr);
  assert.doesNotMatch(r.stderr, /\[running\]/);
  assert.match(r.stderr, /^switchyard resume: Monthly cap too small to go on, with \$0\.\d+ left: .*Nothing was changed; raise it \(switchyard\.budget\.monthUsd in VS Code; "budgets" in the Switchyard home's config\.json for the CLI\), then resume\.$/m);
  const [s] = JSON.parse((await runCli(['sessions', '--json'], env)).stdout) as { status: string; statusCause?: string }[];
  assert.deepEqual([s!.status, s!.statusCause], ['over-budget', 'day-budget'], 'left as the day cap stopped it');
  assert.equal(up.requests.length, 1, 'nothing was sent');
});
