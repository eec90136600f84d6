// What the CLI prints, tidied: dollars in replay's JSON without float noise, and a merge refused for a base
// that is no branch without a "Merging …" line before it.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from './helpers/cli';
import { git, makeRepo, tempDir, upstream } from './helpers/engineKit';
import { writesThenFinishes } from './helpers/scripts';

test('replay --json gives dollars to the micro-dollar, not 0.30000000000000004', async t => {
  const root = tempDir(t);
  const trace = path.join(root, 'trace.jsonl');
  // No progress over three turns: the guard sums their costs.
  const turn = (n: number, costUsd: number) => JSON.stringify({ turn: n, toolCalls: [{ name: 'read_file', arguments: '{"path":"a"}', output: 'a' }], filesChanged: [], costUsd });
  writeFileSync(trace, `${[turn(1, 0.1), turn(2, 0.2), turn(3, 0.000001)].join('\n')}\n`);
  const r = await runCli(['replay', trace, '--json'], { SWITCHYARD_HOME: path.join(root, 'home') });
  assert.equal(r.code, 0, r.stderr);
  const spent = (JSON.parse(r.stdout) as { turns: { spentSinceProgressUsd: number }[] }).turns.map(x => x.spentSinceProgressUsd);
  assert.deepEqual(spent, [0.1, 0.3, 0.300001]);
});

test('merge of a session started on a detached HEAD is refused without first saying it merges', async t => {
  const fin = { steps: [{ calls: [{ name: 'write_file', arguments: { path: 'out.txt', content: 'hi\n' } }] }, { calls: [{ name: 'finish', arguments: { summary: 'done' } }] }] };
  const up = await upstream(t, { scripts: { fin } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  git(repo, 'checkout', '--quiet', '--detach');
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_BASE_URL: up.url, OPENAI_API_KEY: 'sk-cli' };
  const ran = await runCli(['run', '--repo', repo, '--task', '[script:fin] on a detached head', '--json', '--quiet'], env);
  assert.equal(ran.code, 0, ran.stderr);
  const merged = await runCli(['merge', (JSON.parse(ran.stdout) as { id: string }).id], env);
  assert.equal(merged.code, 1, merged.stderr);
  assert.match(merged.stdout, /^not merged: .*a commit on no branch \(a detached HEAD\)/);
  assert.doesNotMatch(merged.stderr, /Merging/);
});

test('a role file that is wrong is warned about once a run: as the session is made, not again as it starts', async t => {
  const up = await upstream(t, { scripts: { fin: writesThenFinishes } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  mkdirSync(path.join(repo, '.switchyard', 'roles'), { recursive: true });
  writeFileSync(path.join(repo, '.switchyard', 'roles', 'cheap.md'), '---\nbudget: 0.05\n---\nDo things.\n');
  const r = await runCli(['run', '--repo', repo, '--task', '[script:fin] write'], { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_BASE_URL: up.url, OPENAI_API_KEY: 'sk-cli' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr.match(/cheap\.md ignored: "budget" is not a role setting/g)?.length, 1, r.stderr);
});

test("a model's text and a command's output are printed as text: no escape sequence reaches the terminal, in follow lines or the summary", async t => {
  const ansi = {
    steps: [
      { text: 'hello \u001b[2J\u001b]0;pwned\u0007world', calls: [{ name: 'run_command', arguments: { command: "printf '\\033]0;pwned\\007\\033[31mred\\033[0m'; exit 1" } }] },
      { calls: [{ name: 'finish', arguments: { summary: 'all \u001b[31mred\u001b[0m \u202eevil' } }] },
    ],
  };
  const up = await upstream(t, { scripts: { ansi } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const r = await runCli(['run', '--repo', repo, '--task', '[script:ansi] print'], { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_BASE_URL: up.url, OPENAI_API_KEY: 'sk-cli' });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr + r.stdout, /[\u001b\u0007\u202e]/);
  assert.match(r.stderr, /agent: hello world/);
  assert.match(r.stderr, /✗ .*red/);
  assert.match(r.stderr + r.stdout, /all red evil/);
});

test('a run that changed nothing is not pointed at a merge: it and the merge refused say discard', async t => {
  const nothing = { steps: [{ calls: [{ name: 'finish', arguments: { summary: 'looked; nothing to change' } }] }] };
  const up = await upstream(t, { scripts: { nothing } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_BASE_URL: up.url, OPENAI_API_KEY: 'sk-cli' };
  const r = await runCli(['run', '--repo', repo, '--task', '[script:nothing] look'], env);
  assert.equal(r.code, 0, r.stderr);
  const id = /Session (\w+)/.exec(r.stderr)?.[1];
  assert.ok(id, r.stderr);
  assert.match(r.stderr + r.stdout, new RegExp(`next: nothing to merge; \`switchyard discard ${id} --delete-branch\` removes its worktree and branch`));
  assert.doesNotMatch(r.stderr + r.stdout, /switchyard merge/);
  const merged = await runCli(['merge', id], env);
  assert.equal(merged.code, 1);
  assert.match(merged.stdout, new RegExp(`^not merged: .*has nothing that is not already on main\\. \`switchyard discard ${id} --delete-branch\` removes its worktree and branch\\.`));
});
