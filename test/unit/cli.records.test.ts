// A session record edited or cut short by hand: said as damaged, by its file, and nothing is done to the
// session's worktree or branch; a value no code knows (a status, a budget) is not acted on.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { git, makeRepo, tempDir, upstream } from './helpers/engineKit';
import { runCli } from './helpers/cli';
import { writesThenFinishes } from './helpers/scripts';

test('a damaged session record is named as such by merge, discard and resume; its worktree and branch are left as they were', async t => {
  const up = await upstream(t, { scripts: { fin: writesThenFinishes } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const home = path.join(root, 'home');
  const env = { SWITCHYARD_HOME: home, OPENAI_API_KEY: 'sk-cli', OPENAI_BASE_URL: up.url };
  const r = await runCli(['run', '--repo', repo, '--task', '[script:fin] write it', '--json', '--quiet'], env);
  assert.equal(r.code, 0, r.stderr);
  const { id, branch } = JSON.parse(r.stdout) as { id: string; branch: string };
  const record = readdirSync(home, { recursive: true, encoding: 'utf8' }).map(f => path.join(home, f)).find(f => f.endsWith(path.join(id, 'session.json')))!;
  const whole = readFileSync(record, 'utf8');
  const tip = git(repo, 'rev-parse', branch);

  writeFileSync(record, whole.slice(0, 120));
  for (const command of [['merge', id], ['discard', id, '--yes'], ['resume', id]]) {
    const refused = await runCli(command, env);
    assert.equal(refused.code, 1, `${command[0]}: ${refused.stderr}`);
    assert.match(refused.stderr, new RegExp(`Skipping session .*session\\.json`));
    assert.match(refused.stderr, new RegExp(`The record of session ${id} cannot be read, so nothing was done: .*session\\.json: .*JSON`));
  }
  // Another repository's folder is not looked in when --repo names one: its session is not "damaged" there.
  const elsewhere = await runCli(['merge', id, '--repo', makeRepo(tempDir(t))], env);
  assert.equal(elsewhere.code, 2, elsewhere.stderr);
  assert.match(elsewhere.stderr, new RegExp(`There is no session ${id} in `));
  assert.equal(git(repo, 'rev-parse', branch), tip, 'the branch is as it was');
  assert.match(git(repo, 'worktree', 'list'), new RegExp(branch.replace('/', '\\/')));

  for (const [field, value, said] of [['status', 'weird', /"status" is "weird", which is no session status/], ['budgetUsd', 'abc', /"budgetUsd" is "abc", not a number of dollars \(0 or more, or null for none\)/]] as const) {
    writeFileSync(record, JSON.stringify({ ...JSON.parse(whole), [field]: value }));
    const listed = await runCli(['sessions', '--json'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stderr, said);
    assert.deepEqual(JSON.parse(listed.stdout), [], 'not listed as if it were whole');
  }
  writeFileSync(record, JSON.stringify({ ...JSON.parse(whole), budgetUsd: 0 }));
  assert.equal((JSON.parse((await runCli(['sessions', '--json'], env)).stdout) as unknown[]).length, 1, 'a budget of $0 is a budget, not a damaged record');
  writeFileSync(record, whole);
  // Asked for JSON, a refusal is an object on stdout too, whatever ended the command.
  for (const command of [['merge', 'nosuchid', '--json'], ['discard', id, '--json', '--bogus']]) {
    const refused = await runCli(command, env);
    assert.equal(refused.code, 2, refused.stderr);
    const said = JSON.parse(refused.stdout) as { ok: boolean; reason: string; message: string };
    assert.deepEqual([said.ok, said.reason], [false, 'error']);
    assert.ok(said.message && refused.stderr.includes(said.message), refused.stderr);
  }
  const merged = await runCli(['merge', id, '--json'], env);
  assert.equal(merged.code, 0, merged.stderr);
});

test('report and sessions on a machine where nothing ran yet say so, and make no Switchyard home', async t => {
  const home = path.join(tempDir(t), 'never-made');
  for (const args of [['report'], ['report', '--json'], ['report', '--csv'], ['sessions'], ['sessions', '--json']]) {
    const r = await runCli(args, { SWITCHYARD_HOME: home });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.trim().length > 0, args.join(' '));
  }
  assert.equal(existsSync(home), false);
});
