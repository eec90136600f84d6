// The `switchyard` CLI, run as its own process against the test upstream: the contract in DESIGN.md
// (flags, the JSON object, exit statuses, SWITCHYARD_HOME, OPENAI_BASE_URL).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { homeLayout } from '../../src/host/home';
import { encodeLine } from '../../src/host/ledger/lineCodec';
import { SessionStore } from '../../src/host/sessions/sessionStore';
import { makeRepo, tempDir, upstream } from './helpers/engineKit';
import { runCli } from './helpers/cli';
import { writesThenFinishes } from './helpers/scripts';
import { refusedPort } from './helpers/refusedPort';
import { makeRecord } from './helpers/records';

const finishing = writesThenFinishes;

test('--help and --version work; bad arguments exit 2 with a clear message', async () => {
  const help = await runCli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: switchyard <command>/);
  assert.match(help.stdout, /run .*replay/s);
  const version = await runCli(['--version']);
  assert.equal(version.code, 0);
  assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+$/);
  const runHelp = await runCli(['run', '--help']);
  assert.match(runHelp.stdout, /--tier [^]*?\(priority\|standard\|flex\)/);
  assert.equal((await runCli(['help', 'run'])).stdout, runHelp.stdout, '`help run` is `run --help`');
  const unknown = await runCli(['run', '--frobnicate']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown flag --frobnicate/);
  const badTier = await runCli(['run', '--repo', '.', '--task', 'x', '--tier', 'turbo']);
  assert.equal(badTier.code, 2);
  assert.match(badTier.stderr, /--tier must be one of priority, standard, flex/);
  const noCommand = await runCli(['launch']);
  assert.equal(noCommand.code, 2);
  const notRepo = await runCli(['run', '--repo', '/', '--task', 'x'], { SWITCHYARD_HOME: path.join(tempDirSync(), 'h') });
  assert.equal(notRepo.code, 2, notRepo.stderr);
  assert.match(notRepo.stderr, /not inside a git repository/i);
  // Without --repo, the folder it runs in.
  const here = await runCli(['run', '--task', 'x'], { SWITCHYARD_HOME: path.join(tempDirSync(), 'h') }, undefined, tempDirSync());
  assert.equal(here.code, 2, here.stderr);
  assert.match(here.stderr, /not inside a git repository/i);
  const dashed = await runCli(['run', '--task', '--fix it']);
  assert.equal(dashed.code, 2);
  assert.match(dashed.stderr, /--task needs a value \(for a value that starts with "--", write --task="--fix it"\)/);
  const stray = await runCli(['run', '--task', 'x', '--agent', 'codex', '--command', 'ls']);
  assert.equal(stray.code, 2);
  assert.match(stray.stderr, /--command is for --agent command, not --agent codex/);
  // Flags that would do nothing are refused, not dropped; a count is asked for as one.
  for (const [args, said] of [
    [['run', '--task', 'x', '--command', 'true', '--max-turns', '3'], /--max-turns counts the built-in agent's turns; a command has no turn limit/],
    [['merge', 'abc', '--strategy', 'rebase', '--message', 'm'], /--message names the merge or squash commit; a rebase makes none/],
    [['run', '--task', 'x', '--max-turns', '2.5'], /--max-turns must be a whole number written plainly \(such as 2\), not "2\.5"/],
    // The last of two would win unsaid.
    [['run', '--task', 'x', '--task', 'y'], /^switchyard run: --task is given twice \("x" and "y"\): give it once$/],
    [['merge', 'abc', '--message', ' '], /--message is empty: git would write a commit message of its own/],
    // An empty value would be the default unsaid (`--model "$UNSET"`), or nothing.
    [['run', '--task', 'x', '--model', ''], /^switchyard run: --model is empty: give it a value, or leave the flag out$/],
    [['resume', 'abc', '--hint', ' '], /^switchyard resume: --hint is empty: give it a value, or leave the flag out$/],
    // A help flag as a flag's value is that value, not a question.
    [['merge', 'abc', '--message', '-h'], /^switchyard merge: There is no session abc\./],
    [['help', 'bogus'], /^switchyard help: unknown command "bogus"\. Commands: run, /],
    // A one-dash flag is a typo of one, not an argument; an empty id names nothing.
    [['run', '-t', 'x'], /^switchyard run: unknown flag -t for "switchyard run": flags are written with two dashes \(a file named so is \.\/-t\)\. Accepted: --repo, /],
    [['merge', ''], /^switchyard merge: ID is empty\. Usage: switchyard merge ID/],
    [['run', '--task', 'x', '--budget', '-1'], /^switchyard run: --budget cannot be negative, not "-1"$/],
    // As many turns as the switchyard.maxTurns setting allows, and no more.
    [['run', '--task', 'x', '--max-turns', '99999'], /^switchyard run: --max-turns must be a whole number from 1 to 1000, not 99999$/],
    [['resume', 'abc', '--max-turns', '0'], /^switchyard resume: --max-turns must be a whole number from 1 to 1000, not 0$/],
  ] as const) {
    const r = await runCli([...args], { SWITCHYARD_HOME: path.join(tempDirSync(), 'h') });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr.trim(), said);
  }
});

function tempDirSync(): string {
  return mkdtempSync(path.join(tmpdir(), 'sy-cli-'));
}

test('run --json prints the contract object and exits 0 when done; sessions and report see it', async t => {
  const up = await upstream(t, { scripts: { fin: finishing } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_API_KEY: 'sk-cli', OPENAI_BASE_URL: up.url };
  const r = await runCli(['run', '--repo', repo, '--task', '[script:fin] write out.txt', '--tier', 'priority', '--json', '--quiet'], env);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.deepEqual(Object.keys(out).sort(), ['branch', 'costUsd', 'id', 'reason', 'status', 'tier', 'usage', 'worktree'].sort());
  assert.equal(out.status, 'done');
  assert.equal(out.tier, 'priority');
  assert.match(String(out.branch), /^switchyard\//);
  const usage = out.usage as Record<string, number>;
  assert.deepEqual(Object.keys(usage).sort(), ['cached', 'input', 'output', 'reasoning', 'requests']);
  assert.equal(usage.requests, 2);
  assert.ok((out.costUsd as number) > 0);
  assert.equal((up.requests[0].body as Record<string, unknown>).service_tier, 'priority');
  assert.equal(up.requests[0].headers.authorization, 'Bearer sk-cli');

  const list = await runCli(['sessions', '--repo', repo, '--json'], env);
  assert.equal(list.code, 0, list.stderr);
  const sessions = JSON.parse(list.stdout) as { id: string; status: string; costUsd: number }[];
  assert.equal(sessions.length, 1);
  assert.equal(sessions[0].id, out.id);
  assert.equal(sessions[0].costUsd, out.costUsd);

  const report = await runCli(['report', '--by', 'session', '--json'], env);
  assert.equal(report.code, 0, report.stderr);
  const rows = JSON.parse(report.stdout) as { costUsd: number; usage: { requests: number } }[];
  assert.equal(rows.length, 1);
  assert.equal(rows[0].costUsd, out.costUsd);
  assert.equal(rows[0].usage.requests, 2);
  const csv = await runCli(['report', '--by', 'tier', '--csv'], env);
  assert.equal(csv.code, 0);
  assert.match(csv.stdout.split('\n')[0], /cost/i);
  assert.match(csv.stdout, /priority/);

  // A damaged line in the ledger is skipped, and the report says so on stderr (its JSON stays clean).
  appendFileSync(path.join(root, 'home', 'ledger', 'usage.jsonl'), '{"damaged": tru\n');
  const damaged = await runCli(['report', '--by', 'session', '--json'], env);
  assert.equal(damaged.code, 0, damaged.stderr);
  assert.equal((JSON.parse(damaged.stdout) as unknown[]).length, 1);
  assert.match(damaged.stderr, /ledger: skipped a damaged line/);
});

test('the run summary says which requests the provider served at another tier than asked, whose price they cost', async t => {
  const up = await upstream(t, { scripts: { fin: finishing }, servedTier: 'default' });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_API_KEY: 'sk-cli', OPENAI_BASE_URL: up.url };
  const json = await runCli(['run', '--repo', repo, '--task', '[script:fin] write out.txt', '--tier', 'priority', '--json', '--quiet'], env);
  assert.equal(json.code, 0, json.stderr);
  const out = JSON.parse(json.stdout) as { tier: string; servedAtOtherTier?: Record<string, number> };
  assert.equal(out.tier, 'priority');
  assert.deepEqual(out.servedAtOtherTier, { standard: 2 });
  const text = await runCli(['run', '--repo', repo, '--task', '[script:fin] write out.txt', '--tier', 'priority', '--quiet'], env);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /2 of 2 requests served at another tier than asked \(2 standard\); cost follows the tier served/);
  // A tier without a price here is named so, and counted (at the model's dearest known price).
  const odd = await upstream(t, { scripts: { fin: finishing }, servedTier: 'ultrafast' });
  const unpriced = await runCli(['run', '--repo', repo, '--task', '[script:fin] write out.txt', '--json', '--quiet'], { ...env, OPENAI_BASE_URL: odd.url });
  assert.equal(unpriced.code, 0, unpriced.stderr);
  const bound = JSON.parse(unpriced.stdout) as { servedAtOtherTier?: Record<string, number>; estimatedRequests?: number };
  assert.deepEqual(bound.servedAtOtherTier, { unpricedTier: 2 });
  assert.equal(bound.estimatedRequests, 2, 'its cost is an estimate, and says so');
  const boundText = await runCli(['run', '--repo', repo, '--task', '[script:fin] write out.txt', '--quiet'], { ...env, OPENAI_BASE_URL: odd.url });
  assert.match(boundText.stdout, /output tokens, \$\d+\.\d{4}~ on standard\n {2}~ includes 2 estimated requests .*\n {2}2 of 2 requests served at another tier than asked \(2 at a tier without a price here\)/);
});

test('exit 1 when the session fails, exit 3 when it pauses over budget', async t => {
  const up = await upstream(t, { scripts: { fin: finishing }, requireKey: 'sk-right' });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_BASE_URL: up.url };
  const failed = await runCli(['run', '--repo', repo, '--task', '[script:fin] x', '--json', '--quiet'], { ...env, OPENAI_API_KEY: 'sk-wrong' });
  assert.equal(failed.code, 1, failed.stderr);
  assert.equal(JSON.parse(failed.stdout).status, 'failed');
  // Enough for the first request, not for the second.
  const broke = await runCli(['run', '--repo', repo, '--task', '[script:fin] y', '--budget', '0.02', '--json', '--quiet'], { ...env, OPENAI_API_KEY: 'sk-right' });
  assert.equal(broke.code, 3, broke.stderr);
  const o = JSON.parse(broke.stdout) as { id: string; status: string; costUsd: number; cause?: string; usage: { requests: number } };
  assert.equal(o.status, 'over-budget');
  assert.equal(o.cause, 'session-budget');
  assert.equal(o.usage.requests, 1);
  assert.ok(o.costUsd <= 0.02);
});

test('a session budget that cannot pay for the first request is refused before a worktree or branch is made', async t => {
  const up = await upstream(t, { scripts: { fin: finishing } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_API_KEY: 'sk-cli', OPENAI_BASE_URL: up.url };
  const r = await runCli(['run', '--repo', repo, '--task', '[script:fin] y', '--budget', '0.00001'], env);
  assert.equal(r.code, 2, r.stderr);
  const [, reserves, atLeast] = /^switchyard run: A session budget of \$0\.00001 cannot pay for the first request, which reserves \$(0\.\d{2,4}) or more with gpt-5\.4 .*\. Give the session \$(0\.\d{2,4}) or more; nothing was made\.$/m.exec(r.stderr) ?? [];
  assert.ok(reserves && atLeast, r.stderr);
  // Between what the request reserves at the least and what is named, a session would be made only to stop
  // before its first request: the figure named is the one held to.
  const between = await runCli(['run', '--repo', repo, '--task', '[script:fin] y', '--budget', reserves], env);
  assert.equal(between.code, 2, between.stderr);
  assert.equal(execFileSync('git', ['branch', '--list', 'switchyard/*'], { cwd: repo, encoding: 'utf8' }).trim(), '');
  assert.equal(up.requests.length, 0);
  // What it names is enough: the run goes on to its first request.
  const enough = await runCli(['run', '--repo', repo, '--task', '[script:fin] y', '--budget', atLeast, '--json', '--quiet'], env);
  assert.notEqual(enough.code, 2, enough.stderr);
  assert.ok(up.requests.length >= 1);
});

test('a session stopped by its budget or its turn limit goes on from the CLI, which says how', async t => {
  const up = await upstream(t, { scripts: { fin: finishing } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_BASE_URL: up.url, OPENAI_API_KEY: 'sk-cli' };
  const idOf = (stdout: string) => /\(switchyard\/[^)]+\)/.test(stdout) && /switchyard resume (\S+?)[` ]/.exec(stdout)?.[1];

  const broke = await runCli(['run', '--repo', repo, '--task', '[script:fin] small budget', '--budget', '0.02'], env);
  assert.equal(broke.code, 3, broke.stderr);
  assert.match(broke.stdout, /^over-budget: /m);
  assert.match(broke.stdout, /Session budget too small to go on, with \$0\.0\d{1,3} left: \$0\.0\d{1,3} of \$0\.02 spent; the smallest useful request needs up to \$0\.0\d{1,3}\./);
  assert.match(broke.stdout, /next: `switchyard resume \S+ --budget USD` with a larger budget/);
  const raised = await runCli(['resume', idOf(broke.stdout) || '', '--budget', '1', '--quiet'], env);
  assert.equal(raised.code, 0, raised.stdout + raised.stderr);
  assert.match(raised.stdout, /^done: /m);
  assert.match(raised.stdout, /\| wrote out\.txt/, "the agent's summary is printed");

  // Stopped at its turn limit, it is given more turns when resumed, not failed again before its first request.
  const limited = await runCli(['run', '--repo', repo, '--task', '[script:fin] one turn', '--max-turns', '1'], env);
  assert.equal(limited.code, 1, limited.stderr);
  assert.match(limited.stdout, /Reached the limit of 1 turn \(/);
  assert.match(limited.stdout, /next: `switchyard resume \S+ --max-turns N` to allow N more turns/);
  const more = await runCli(['resume', idOf(limited.stdout) || '', '--max-turns', '3'], env);
  assert.equal(more.code, 0, more.stdout + more.stderr);
  assert.match(more.stdout, /^done: /m);
  assert.match(more.stderr, /^ {2}It had reached its limit of turns; 3 more turns are allowed \(up to 4\)\.$/m);

  // Stopped by the day's cap, whose words are not the session's: the cap to raise is named. A cap that lets
  // the first request start ($0.02, as the budget above), in a home of its own each (spent, the next run
  // would be refused before it starts).
  const dayHome = (name: string) => {
    const home = path.join(root, name);
    mkdirSync(home);
    writeFileSync(path.join(home, 'config.json'), JSON.stringify({ budgets: { sessionUsd: null, dayUsd: 0.02 } }));
    return { ...env, SWITCHYARD_HOME: home };
  };
  const day = await runCli(['run', '--repo', repo, '--task', '[script:fin] day cap', '--json', '--quiet'], dayHome('day-home'));
  assert.equal(day.code, 3, day.stderr);
  const d = JSON.parse(day.stdout) as { status: string; cause?: string };
  assert.deepEqual([d.status, d.cause], ['over-budget', 'day-budget']);
  const dayText = await runCli(['run', '--repo', repo, '--task', '[script:fin] day cap again'], dayHome('day-home-2'));
  assert.equal(dayText.code, 3, dayText.stderr);
  assert.match(dayText.stdout, /^ {2}next: raise the daily cap \(switchyard\.budget\.dayUsd in VS Code, "budgets": \{"dayUsd": …\} in \$SWITCHYARD_HOME\/config\.json\), then `switchyard resume \S+`$/m);
});

test("a command agent's output is shown as it runs, its stderr marked as such (not as a warning: many tools log there)", async t => {
  const up = await upstream(t);
  const root = tempDir(t);
  const repo = makeRepo(root);
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_BASE_URL: up.url, OPENAI_API_KEY: 'sk-cli' };
  const r = await runCli(['run', '--repo', repo, '--task', 'say hello', '--command', 'echo to-stdout; echo to-stderr >&2'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^ {2}to-stdout$/m);
  assert.match(r.stderr, /^ {2}stderr: to-stderr$/m);
});

test('a model server that wants a key when none is set pauses the session and says so; a base URL that is not one sends nothing', async t => {
  const up = await upstream(t, { scripts: { fin: finishing }, requireKey: 'sk-right' });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const home = path.join(root, 'home');
  const r = await runCli(['run', '--repo', repo, '--task', '[script:fin] x', '--json', '--quiet'], { SWITCHYARD_HOME: home, OPENAI_BASE_URL: up.url, OPENAI_API_KEY: '' });
  assert.equal(r.code, 3, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { status: string }).status, 'paused');
  const listed = await runCli(['sessions', '--repo', repo, '--json'], { SWITCHYARD_HOME: home });
  const [s] = JSON.parse(listed.stdout) as { statusReason?: string }[];
  assert.match(s!.statusReason ?? '', /the model server asks for an API key, and none is set\. Set one with "Switchyard: Set API Key"/);
  assert.doesNotMatch(s!.statusReason ?? '', /refused/);
});

test('a model server that cannot be reached is said in seconds, with its address (never its credentials) and what to check', async t => {
  const root = tempDir(t);
  const repo = makeRepo(root);
  const port = await refusedPort();
  const started = Date.now();
  const r = await runCli(['run', '--repo', repo, '--task', 'x', '--base-url', `http://user:secret@127.0.0.1:${port}/v1?x=1`], { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_API_KEY: 'sk-x' });
  assert.equal(r.code, 1, r.stderr);
  assert.ok(Date.now() - started < 30_000, 'not a minute of retries');
  assert.match(r.stdout, new RegExp(`the model server at http://127\\.0\\.0\\.1:${port}/v1 cannot be reached \\(connect ECONNREFUSED[^)]*\\) \\(gave up after 3 attempts\\)\\. Check the base URL`));
  assert.doesNotMatch(r.stdout + r.stderr, /secret/);
});

test('bad input is said in one line and exits 2 before anything is made: a base URL, a trace, the machine config', async t => {
  const root = tempDir(t);
  const repo = makeRepo(root);
  const home = path.join(root, 'home');
  const branches = () => execFileSync('git', ['branch', '--list'], { cwd: repo, encoding: 'utf8' });
  const before = branches();
  for (const [args, env, said] of [
    [['--base-url', 'notaurl'], {}, /--base-url must be an http\(s\) URL/],
    [['--base-url', 'ftp://127.0.0.1/v1'], {}, /--base-url must be an http\(s\) URL/],
    [[], { OPENAI_BASE_URL: 'localhost:11434' }, /OPENAI_BASE_URL must be an http\(s\) URL/],
  ] as const) {
    const r = await runCli(['run', '--repo', repo, '--task', 'x', ...args], { SWITCHYARD_HOME: home, OPENAI_API_KEY: 'sk-x', ...env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, said);
  }
  // A command session that would run no command: read-only, or of a role that runs none.
  for (const args of [['--read-only'], ['--role', 'reviewer']]) {
    const r = await runCli(['run', '--repo', repo, '--task', 'x', '--command', 'true', ...args, '--base-url', 'http://127.0.0.1:9/v1'], { SWITCHYARD_HOME: home, OPENAI_API_KEY: 'sk-x' });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /A command session is its command, and this one would run none: (it is read-only|its role "reviewer" runs no command)\. Nothing was made/);
  }
  assert.equal(branches(), before, 'no session branch was made');
  const noBase = await runCli(['run', '--repo', repo, '--task', 'x', '--base-branch', 'nosuch', '--base-url', 'http://127.0.0.1:9/v1'], { SWITCHYARD_HOME: home, OPENAI_API_KEY: 'sk-x' });
  assert.equal(noBase.code, 2, noBase.stderr);
  assert.match(noBase.stderr, /^switchyard run: There is no branch "nosuch" in this repository to start from\. Nothing was made\.$/m);
  for (const cmd of [['sessions', '--repo', path.join(root, 'nowhere')], ['trace', 'abc', '--repo', path.join(root, 'nowhere'), '--out', path.join(root, 't.jsonl')], ['trace', 'abc', '--out', path.join(root, 't.jsonl')]]) {
    const r = await runCli(cmd, { SWITCHYARD_HOME: home });
    assert.equal(r.code, 2, `${cmd[0]}: ${r.stderr}`);
  }
  // Where a trace would go: never a folder made on the way, nor a raw EISDIR.
  for (const [out, said] of [[repo, /--out .* is a folder: name a file in it/], [path.join(root, 'no', 'such', 't.jsonl'), /the folder .*no\/such does not exist/]] as const) {
    const r = await runCli(['trace', 'abc', '--out', out], { SWITCHYARD_HOME: home });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, said);
  }
  assert.equal(existsSync(path.join(root, 'no')), false);

  // A home that is a file: said as such, not as an unreadable config.json and a raw ENOTDIR.
  const fileHome = path.join(root, 'home-file');
  writeFileSync(fileHome, '');
  const aTrace = path.join(root, 'one-turn.jsonl');
  writeFileSync(aTrace, `${JSON.stringify({ turn: 1, toolCalls: [], filesChanged: [] })}\n`);
  for (const args of [['report'], ['sessions'], ['run', '--repo', repo, '--task', 'x'], ['replay', aTrace]]) {
    const r = await runCli(args, { SWITCHYARD_HOME: fileHome, OPENAI_API_KEY: 'sk-x' });
    assert.equal(r.code, 2, `${args[0]}: ${r.stderr}`);
    assert.equal(r.stderr.trim(), `switchyard ${args[0]}: ${fileHome} is a file, but Switchyard keeps its state in a folder there; set SWITCHYARD_HOME to a folder.`);
  }
  const below = await runCli(['report'], { SWITCHYARD_HOME: path.join(fileHome, 'sub') });
  assert.equal(below.code, 2, below.stderr);
  assert.match(below.stderr, /home-file\/sub cannot be a folder: a file stands on its path; set SWITCHYARD_HOME to a folder\./);

  for (const args of [['run', '--repo', repo, '--task', 'x', '--max-turns', '0x3'], ['run', '--repo', repo, '--task', 'x', '--budget', '1e2'], ['report', '--since', '2026-02-30'], ['report', '--since', '2026-13-01']]) {
    const r = await runCli(args, { SWITCHYARD_HOME: home });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /must be a (whole number|number|date like)/);
  }

  const empty = path.join(root, 'empty.jsonl');
  writeFileSync(empty, '');
  const none = await runCli(['replay', empty]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /empty\.jsonl holds no turns/);
  const trace = path.join(root, 'bad.jsonl');
  writeFileSync(trace, 'not json\n');
  const replayed = await runCli(['replay', trace]);
  assert.equal(replayed.code, 2);
  assert.match(replayed.stderr, /bad\.jsonl line 1: not valid JSON/);
  assert.doesNotMatch(replayed.stderr, /\n\s+at /, 'no stack trace');

  // The caps every window and run share: a config file that cannot be read must not be taken as none.
  mkdirSync(home, { recursive: true });
  for (const [text, said] of [
    ['{"budgets":{"dayUsd":0.01,},}', /config\.json is not valid JSON/],
    ['{"budgets":{"dayUsd":"0.01"}}', /budgets\.dayUsd should be a number of dollars/],
    // A misspelt cap would be one that silently does not hold.
    ['{"budgets":{"dayUSD":0.0001}}', /budgets\.dayUSD is not a cap \(sessionUsd, dayUsd, monthUsd\)/],
    ['{"budgets":[5]}', /"budgets" should be an object/],
    // A limit of none would queue the session for ever, without a word.
    ['{"maxConcurrentSessions":0}', /maxConcurrentSessions should be a whole number, 1 or more, not 0/],
    ['{"budget":{"dayUsd":0.000001}}', /"budget" is not a setting here \(budgets, prices, guard, maxConcurrentSessions, sandbox\)/],
    ['{"prices":{"gpt-5.4":"free"}}', /prices\.gpt-5\.4 should be an object of tiers/],
    ['{"prices":{"gpt-5.4":{"standard":{"input":"abc","cachedInput":0,"output":1}}}}', /prices\.gpt-5\.4\.standard\.input should be a number of dollars per million tokens \(0 to 1,000,000\), not "abc"/],
    // A guard that could not be made left the run hanging, running, for ever.
    ['{"guard":{"enabled":"no"}}', /config\.json: Loop guard setting "enabled" must be true or false: fix it/],
    ['{"guard":{"repeatedCall":1}}', /Loop guard setting "repeatedCall" must be a whole number of at least 2/],
    ['{"guard":"nope"}', /"guard" should be an object/],
    ['{"maxConcurrentSessions":"abc"}', /maxConcurrentSessions should be a whole number/],
    ['{"sandbox":{"enabled":true,"allowedDomains":[],"denyRead":"~/.ssh"}}', /sandbox\.denyRead should be a list of strings, not "~\/\.ssh"/],
  ] as const) {
    writeFileSync(path.join(home, 'config.json'), text);
    const r = await runCli(['run', '--repo', repo, '--task', 'x', '--base-url', 'http://127.0.0.1:9/v1'], { SWITCHYARD_HOME: home, OPENAI_API_KEY: 'sk-x' });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, said);
  }
  // A listing needs no caps: it shows what is there, and says what is wrong with the file.
  const listed = await runCli(['sessions', '--json'], { SWITCHYARD_HOME: home });
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok(Array.isArray(JSON.parse(listed.stdout)));
  assert.match(listed.stderr, /^warning: .*config\.json: sandbox\.denyRead should be a list of strings/m);
  const reported = await runCli(['report'], { SWITCHYARD_HOME: home });
  assert.equal(reported.code, 0, reported.stderr);
  assert.match(reported.stderr, /^warning: .*config\.json: sandbox\.denyRead should be a list of strings/m);
  rmSync(path.join(home, 'config.json'));
  // No key for OpenAI: refused before a worktree and branch are made, which a retried job would pile up.
  const keyless = await runCli(['run', '--repo', repo, '--task', 'x'], { SWITCHYARD_HOME: home, OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined });
  assert.equal(keyless.code, 2, keyless.stderr);
  assert.match(keyless.stderr, /No API key\. Set one with .* \(or OPENAI_API_KEY for the CLI\)/);
  // Nor a key of blanks, which would go to OpenAI as "Bearer  ".
  const blank = await runCli(['run', '--repo', repo, '--task', 'x'], { SWITCHYARD_HOME: home, OPENAI_API_KEY: ' \t', OPENAI_BASE_URL: undefined });
  assert.equal(blank.code, 2, blank.stderr);
  assert.match(blank.stderr, /No API key\./);
  // Nor one pasted with curly quotes, which no header can carry: refused here, not retried as an unreachable server.
  const quoted = await runCli(['run', '--repo', repo, '--task', 'x'], { SWITCHYARD_HOME: home, OPENAI_API_KEY: '\u201csk-abc\u201d', OPENAI_BASE_URL: undefined });
  assert.equal(quoted.code, 2, quoted.stderr);
  assert.match(quoted.stderr, /The API key holds "\u201c" \(U\+201C\), which an HTTP header cannot carry/);
  assert.equal(branches(), before);
});

test('a model without a price is never shown as free, and the session says once that no dollar cap can hold it', async t => {
  const up = await upstream(t, { scripts: { fin: finishing } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_BASE_URL: up.url, OPENAI_API_KEY: 'sk-x' };
  const r = await runCli(['run', '--repo', repo, '--task', '[script:fin] x', '--model', 'my-local-model', '--budget', '0.01', '--json'], env);
  assert.equal(r.code, 0, r.stderr);
  const o = JSON.parse(r.stdout) as { costUsd: number; unpricedRequests?: number; usage: { requests: number } };
  assert.equal(o.usage.requests, 2);
  assert.equal(o.unpricedRequests, 2);
  assert.equal(o.costUsd, 0);
  assert.equal(r.stderr.match(/my-local-model has no price \(switchyard\.prices in VS Code can give it one, or "prices" in the Switchyard home.s config\.json\): its tokens are counted, but no dollar budget can limit them/g)?.length, 1, r.stderr);
  const text = await runCli(['run', '--repo', repo, '--task', '[script:fin] y', '--model', 'my-local-model', '--quiet'], env);
  assert.match(text.stdout, /2 requests, \d+ input \(\d+ cached\), \d+ output tokens, unpriced on standard/);
});

test('report: a cost that includes estimates is marked, JSON and CSV count them per row, and sessions of every repository are named', async t => {
  const root = tempDir(t);
  const home = path.join(root, 'home');
  const layout = homeLayout(home);
  // Two repositories' sessions in one home, where the session store keeps them; the third session's record is gone.
  const sessions = [['exact1', 'webapp', 'Fix the login form'], ['cut1', 'api-server', 'Add rate limits']] as const;
  for (const [id, repo, title] of sessions) {
    const file = new SessionStore(layout).paths(path.join(root, repo), id).record;
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ version: 1, id, title, task: title, repo: path.join(root, repo), branch: `switchyard/${id}`, worktree: `/wt/${id}`, status: 'done' }));
  }
  const ts = new Date().toISOString();
  const priced = (id: string, sessionId: string, costUsd: number, estimated?: true) => makeRecord(id, { ts, sessionId, costUsd, standardCostUsd: costUsd, estimated });
  mkdirSync(layout.ledgerDir, { recursive: true });
  writeFileSync(path.join(layout.ledgerDir, 'usage.jsonl'), Buffer.concat([
    encodeLine(priced('r1', 'exact1', 0.02)),
    encodeLine(priced('r2', 'cut1', 0.01, true)),
    encodeLine(priced('r3', 'cut1', 0.03)),
    encodeLine(makeRecord('r4', { ts, sessionId: 'gone1', model: 'my-local-model', costUsd: null, standardCostUsd: null })),
  ]));
  const env = { SWITCHYARD_HOME: home };

  const text = await runCli(['report', '--by', 'session'], env);
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.trimEnd().split('\n');
  const cost = (label: string) => lines.find(l => l.startsWith(label))?.split(/\s{2,}/)[5];
  assert.equal(cost('Add rate limits'), '$0.0400~', text.stdout);
  assert.equal(cost('Fix the login form'), '$0.0200');
  assert.equal(cost('gone1'), 'unpriced', 'a session whose record is gone keeps its id; unpriced is not $0');
  assert.equal(cost('TOTAL'), '$0.0600~');
  assert.deepEqual(lines.slice(-2), [
    '~ includes 1 estimated request (its usage never came or could not be read, as when a stream is cut; or it was served at a tier without a price here)',
    'UNPRICED: requests to a model without a price, counted in tokens but not in COST',
  ]);

  const json = await runCli(['report', '--by', 'session', '--json'], env);
  const rows = JSON.parse(json.stdout) as { key: string; label: string; estimatedRequests: number; unpricedRequests: number }[];
  assert.deepEqual(rows.map(r => [r.key, r.label, r.estimatedRequests, r.unpricedRequests]), [
    ['cut1', 'Add rate limits (api-server)', 1, 0],
    ['exact1', 'Fix the login form (webapp)', 0, 0],
    ['gone1', 'gone1', 0, 1],
  ]);
  const byDay = JSON.parse((await runCli(['report', '--json'], env)).stdout) as { estimatedRequests: number; usage: { requests: number } }[];
  assert.deepEqual(byDay.map(r => [r.usage.requests, r.estimatedRequests]), [[4, 1]]);

  const csv = (await runCli(['report', '--by', 'session', '--csv'], env)).stdout.trimEnd().split('\r\n');
  assert.match(csv[0]!, /,unpriced_requests,priority_premium_usd,estimated_requests$/);
  assert.match(csv[1]!, /^cut1,Add rate limits \(api-server\),2,.*,1$/);
  assert.match(csv[2]!, /^exact1,Fix the login form \(webapp\),1,.*,0$/);
});

test('where the OS sandbox cannot run, run refuses before anything is made unless told to run commands unconfined', async t => {
  const runs = {
    steps: [
      { calls: [{ name: 'run_command', arguments: { command: 'echo ran > ran.txt' } }] },
      { calls: [{ name: 'finish', arguments: { summary: 'ran it' } }] },
    ],
  };
  const up = await upstream(t, { scripts: { runs, fin: finishing } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_API_KEY: 'sk-cli', OPENAI_BASE_URL: up.url, SWITCHYARD_SANDBOX_UNAVAILABLE: '1' };
  const branches = () => execFileSync('git', ['branch', '--list', 'switchyard/*'], { cwd: repo, encoding: 'utf8' }).trim();

  const refused = await runCli(['run', '--repo', repo, '--task', '[script:runs] run it', '--quiet'], env);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /The OS sandbox cannot run here \(SWITCHYARD_SANDBOX_UNAVAILABLE=1 is set\), so the agent's commands would run unconfined, with nobody here to approve each one\..* Or pass --approve-commands to run them unconfined all the same/);
  const command = await runCli(['run', '--repo', repo, '--task', 'serve', '--agent', 'command', '--command', 'true', '--approve-commands', '--quiet'], env);
  assert.equal(command.code, 2, command.stderr);
  assert.match(command.stderr, /A command session runs whole inside the OS sandbox, which cannot run here/);
  assert.equal(branches(), '', 'no branch was made');
  assert.equal(up.requests.length, 0, 'nothing was sent');

  // Reading only needs no sandbox; told to, the commands run unconfined, and the transcript says so.
  const readOnly = await runCli(['run', '--repo', repo, '--task', '[script:fin] read', '--read-only', '--json', '--quiet'], env);
  assert.equal(readOnly.code, 0, readOnly.stderr);
  const approved = await runCli(['run', '--repo', repo, '--task', '[script:runs] run it', '--approve-commands', '--json'], env);
  assert.equal(approved.code, 0, approved.stderr);
  const done = JSON.parse(approved.stdout) as { worktree: string };
  assert.equal(readFileSync(path.join(done.worktree, 'ran.txt'), 'utf8'), 'ran\n');
  assert.match(approved.stderr, /The OS sandbox cannot run here/);

  // Resumed, it is asked again: the sandbox may have been installed since, or not.
  const paused = await runCli(['run', '--repo', repo, '--task', '[script:runs] run it', '--approve-commands', '--budget', '0.02', '--json', '--quiet'], env);
  assert.equal(paused.code, 3, paused.stderr);
  const { id } = JSON.parse(paused.stdout) as { id: string };
  const resumed = await runCli(['resume', id, '--quiet'], env);
  assert.equal(resumed.code, 2, resumed.stderr);
  assert.match(resumed.stderr, /The OS sandbox cannot run here/);
});

test('a day cap already spent refuses a new run before a worktree or branch is made, saying where the cap is, as a cap reached (exit 3)', async t => {
  const up = await upstream(t, { scripts: { fin: finishing } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const home = path.join(root, 'home');
  const env = { SWITCHYARD_HOME: home, OPENAI_BASE_URL: up.url, OPENAI_API_KEY: 'sk-cli' };
  const spent = await runCli(['run', '--repo', repo, '--task', '[script:fin] spend a little', '--quiet'], env);
  assert.equal(spent.code, 0, spent.stderr);
  writeFileSync(path.join(home, 'config.json'), JSON.stringify({ budgets: { sessionUsd: null, dayUsd: 0.0001, monthUsd: null } }));
  const branches = () => execFileSync('git', ['branch', '--list', 'switchyard/*'], { cwd: repo, encoding: 'utf8' }).trim().split('\n').length;
  const before = branches();
  const refused = await runCli(['run', '--repo', repo, '--task', '[script:fin] one more', '--quiet'], env);
  // Not a bad argument (2): the cap a run reaches mid-way, reached before it starts.
  assert.equal(refused.code, 3, refused.stderr);
  const said = /The daily cap is reached: \$0\.\d{2,4} of \$0\.0001 spent\. No session starts until tomorrow, or until the cap is raised \(switchyard\.budget\.dayUsd in VS Code; "budgets" in the Switchyard home's config\.json for the CLI\)\./;
  assert.match(refused.stderr, said);
  // With --json, the object of a run the cap stopped, without a session's fields: a script reads the cause.
  const json = await runCli(['run', '--repo', repo, '--task', '[script:fin] one more', '--json', '--quiet'], env);
  assert.equal(json.code, 3, json.stderr);
  const o = JSON.parse(json.stdout) as { status: string; reason: string; cause: string };
  assert.deepEqual(Object.keys(o).sort(), ['cause', 'reason', 'status']);
  assert.deepEqual([o.status, o.cause], ['over-budget', 'day-budget']);
  assert.match(o.reason, said);
  assert.equal(branches(), before, 'no branch was made');
  // A cap with less left than the first request reserves is refused alike.
  const spentUsd = (JSON.parse((await runCli(['report', '--json'], env)).stdout) as { costUsd: number }[]).reduce((sum, r) => sum + r.costUsd, 0);
  writeFileSync(path.join(home, 'config.json'), JSON.stringify({ budgets: { sessionUsd: null, dayUsd: Math.ceil((spentUsd + 0.001) * 1e4) / 1e4, monthUsd: null } }));
  const short = await runCli(['run', '--repo', repo, '--task', '[script:fin] one more', '--quiet'], env);
  assert.equal(short.code, 3, short.stderr);
  assert.match(short.stderr, /The daily cap has \$0\.\d{2,4} left of \$0\.\d{2,4}, less than the first request reserves \(\$0\.\d{2,4}\)\. No session starts until tomorrow/);
  assert.equal(branches(), before, 'no branch was made');
  // A model without a price goes through whatever the dollar caps say: it is not refused for them either.
  const local = await runCli(['run', '--repo', repo, '--task', '[script:fin] on a local model', '--model', 'my-local-model', '--quiet'], env);
  assert.equal(local.code, 0, local.stderr);
});
