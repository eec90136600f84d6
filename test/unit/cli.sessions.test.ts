// The sidebar's actions on a session, from the CLI: resume, merge and discard, by the session's id.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { git, makeRepo, tempDir, upstream } from './helpers/engineKit';
import { runCli } from './helpers/cli';

const writes = (file: string) => ({
  steps: [
    { calls: [{ name: 'write_file', arguments: { path: file, content: `${file}\n` } }] },
    { calls: [{ name: 'finish', arguments: { summary: `wrote ${file}` } }] },
  ],
});

test('resume, merge and discard by id: a failed session resumed finishes, merged its work is on main, and unmerged work is discarded only with --yes', { timeout: 60_000 }, async t => {
  const up = await upstream(t, { scripts: { one: writes('one.txt'), two: writes('two.txt') }, requireKey: 'sk-right' });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_BASE_URL: up.url, OPENAI_API_KEY: 'sk-right' };
  const json = <T>(r: { stdout: string }) => JSON.parse(r.stdout) as T;

  const failed = await runCli(['run', '--repo', repo, '--task', '[script:one] one', '--json', '--quiet'], { ...env, OPENAI_API_KEY: 'sk-wrong' });
  assert.equal(failed.code, 1, failed.stderr);
  const { id, cause } = json<{ id: string; cause: string }>(failed);
  assert.equal(cause, 'api-key', 'the refused key is named as the cause');
  // With the right key now: it goes on to the end, in this process.
  const resumed = await runCli(['resume', id, '--json', '--quiet'], env);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(json<{ status: string }>(resumed).status, 'done');

  const merged = await runCli(['merge', id, '--strategy', 'squash', '--json'], env);
  assert.equal(merged.code, 0, merged.stderr);
  assert.equal(json<{ ok: boolean; strategy: string }>(merged).strategy, 'squash');
  assert.equal(git(repo, 'show', 'main:one.txt'), 'one.txt');

  const other = await runCli(['run', '--repo', repo, '--task', '[script:two] two', '--title', 'Two', '--json', '--quiet'], env);
  assert.equal(other.code, 0, other.stderr);
  const second = json<{ id: string; worktree: string; branch: string }>(other);
  const refused = await runCli(['discard', second.id], env);
  assert.equal(refused.code, 1, refused.stderr);
  // Its commits alone, and the branch kept: said as kept, not as lost.
  assert.match(refused.stdout, /^not discarded: Two has 1 commit not merged into main\. They stay on switchyard\/\S+, which a discard keeps \(--delete-branch would lose them\)\. Nothing was changed; run again with --yes to remove its worktree\.$/m);
  const refusedJson = await runCli(['discard', second.id, '--json'], env);
  assert.equal(refusedJson.code, 1, refusedJson.stderr);
  assert.deepEqual(JSON.parse(refusedJson.stdout), {
    ok: false, needsConfirmation: true, uncommittedFiles: [], unmergedCommits: 1, reason: 'would-lose-work',
    message: `Two has 1 commit not merged into main. They stay on ${second.branch}, which a discard keeps (--delete-branch would lose them). Nothing was changed; run again with --yes to remove its worktree.`,
  });
  assert.ok(existsSync(second.worktree), 'nothing was removed');
  const discarded = await runCli(['discard', second.id, '--yes', '--repo', repo], env);
  assert.equal(discarded.code, 0, discarded.stderr);
  assert.equal(discarded.stdout.trim(), `discarded: Two (its branch ${second.branch} is kept)`);
  assert.equal(existsSync(second.worktree), false);

  // Its kept branch goes when asked; a merged session is not discarded over its record.
  const branchToo = await runCli(['discard', second.id, '--yes', '--delete-branch'], env);
  assert.equal(branchToo.code, 0, branchToo.stderr);
  assert.equal(git(repo, 'branch', '--list', second.branch), '');
  const mergedOne = await runCli(['discard', id], env);
  assert.notEqual(mergedOne.code, 0);
  assert.match(mergedOne.stderr, /is merged: its work is on main and its worktree is gone; there is nothing to discard/);

  const listed = new Map(json<{ id: string; status: string }[]>(await runCli(['sessions', '--json'], env)).map(s => [s.id, s.status]));
  assert.deepEqual([listed.get(id), listed.get(second.id)], ['merged', 'discarded']);
  const unknown = await runCli(['resume', 'no-such-id'], env);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^switchyard resume: There is no session no-such-id\. `switchyard sessions` lists them\./);
  const missing = await runCli(['merge'], env);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /missing ID\. Usage: switchyard merge ID/);
});

/** The record of session `id` in the home, as JSON (session.json under repos/…/sessions/<id>/). */
function recordFile(home: string, id: string): string {
  const file = readdirSync(path.join(home, 'repos'), { recursive: true, encoding: 'utf8' }).find(f => f.endsWith(`${path.sep}${id}${path.sep}session.json`));
  assert.ok(file, `the record of ${id}`);
  return path.join(home, 'repos', file);
}

test('a command about one session leaves the others alone, and a session that asks before each command is not resumed unasked', { timeout: 60_000 }, async t => {
  const up = await upstream(t, { scripts: { one: writes('one.txt'), two: writes('two.txt') } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const home = path.join(root, 'home');
  const env = { SWITCHYARD_HOME: home, OPENAI_BASE_URL: up.url, OPENAI_API_KEY: 'sk-x' };
  const ids: string[] = [];
  for (const task of ['[script:one] one', '[script:two] two']) {
    const r = await runCli(['run', '--repo', repo, '--task', task, '--json', '--quiet'], env);
    assert.equal(r.code, 0, r.stderr);
    ids.push((JSON.parse(r.stdout) as { id: string }).id);
  }
  const [first, second] = ids as [string, string];
  // The second as a window that closed would leave it: queued, held by nobody. The first set to ask before each command.
  const edit = (id: string, change: Record<string, unknown>) => {
    const file = recordFile(home, id);
    writeFileSync(file, JSON.stringify({ ...(JSON.parse(readFileSync(file, 'utf8')) as object), ...change, owner: undefined }));
  };
  edit(second, { status: 'queued' });
  edit(first, { status: 'paused', approval: 'ask' });

  // Not finished, its work lands only when told so: it could not be resumed after.
  const unfinished = await runCli(['merge', first], env);
  assert.equal(unfinished.code, 1, unfinished.stderr);
  assert.match(unfinished.stdout, /^not merged: .* is paused, not done\. Merging lands its work as it is and ends it: it cannot be resumed after\. Nothing was changed; run again with --yes/);
  const merged = await runCli(['merge', first, '--yes'], env);
  assert.equal(merged.code, 0, merged.stderr);
  const status = async (id: string) => (JSON.parse((await runCli(['sessions', '--json'], env)).stdout) as { id: string; status: string }[]).find(s => s.id === id)?.status;
  assert.equal(await status(second), 'queued', 'the queued session of another window was neither started nor paused');
  assert.equal(up.requests.length, 4, 'nothing was sent for it');
  // Said as what it is: queued by a run that ended, nothing of it run, and what runs it or removes it.
  const listed = (JSON.parse((await runCli(['sessions', '--json'], env)).stdout) as { id: string; statusReason?: string }[]).find(s => s.id === second);
  assert.match(listed?.statusReason ?? '', new RegExp(`^Its process ended before it started\\. \`switchyard resume ${second}\` runs it`));
  const queuedMerge = await runCli(['merge', second], env);
  assert.equal(queuedMerge.code, 1);
  assert.match(queuedMerge.stderr, new RegExp(`is queued to run: merge it once it has run \\(\`switchyard resume ${second}\` runs it if the run that queued it ended\\), or discard it`));
  const queuedDiscard = await runCli(['discard', second], env);
  assert.equal(queuedDiscard.code, 1);
  assert.match(queuedDiscard.stdout, /is queued, but the run that queued it ended: nothing will run it\. Nothing was changed; run again with --yes to discard it/);

  edit(first, { status: 'paused', approval: 'ask' });
  const asks = await runCli(['resume', first], env);
  assert.equal(asks.code, 2);
  assert.match(asks.stderr, /asks before each command it runs \(approval: ask\), and nobody is here to ask\. Resume it in VS Code, or pass --approve-commands/);
  assert.equal(await status(first), 'paused');
});

test('discard of a session another process runs changes nothing without --yes; with it, the session is stopped there, then discarded', { timeout: 60_000 }, async t => {
  const up = await upstream(t);
  const root = tempDir(t);
  const repo = makeRepo(root);
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_BASE_URL: up.url, OPENAI_API_KEY: 'sk-x' };
  const running = runCli(['run', '--repo', repo, '--task', 'wait', '--title', 'Waits', '--agent', 'command', '--command', 'echo started > started.txt; while :; do sleep 0.05; done', '--json', '--quiet'], env);
  t.after(() => running.kill('SIGKILL'));
  let id: string | undefined;
  for (const deadline = Date.now() + 15_000; !id && Date.now() < deadline; await new Promise(r => setTimeout(r, 50))) {
    const list = JSON.parse((await runCli(['sessions', '--json'], env)).stdout) as { id: string; status: string; worktree: string }[];
    id = list.find(s => s.status === 'running' && existsSync(path.join(s.worktree, 'started.txt')))?.id;
  }
  assert.ok(id, 'the session runs');
  const refused = await runCli(['discard', id], env);
  assert.equal(refused.code, 1, refused.stderr);
  assert.equal(refused.stdout.trim(), 'not discarded: Waits is running. Nothing was changed; run again with --yes to stop it and discard it.');
  // A script that asked for JSON gets the refusal as an object, in the shape of merge's.
  const refusedJson = await runCli(['discard', id, '--json'], env);
  assert.equal(refusedJson.code, 1, refusedJson.stderr);
  assert.deepEqual(JSON.parse(refusedJson.stdout), { ok: false, reason: 'running', message: 'Waits is running. Nothing was changed; run again with --yes to stop it and discard it.' });
  const discarded = await runCli(['discard', id, '--yes'], env);
  assert.equal(discarded.code, 0, discarded.stderr);
  const ended = await running;
  assert.equal(ended.code, 1, 'the run that ran it ends');
  // It says why: not a stop to resume from, and its files are gone.
  assert.deepEqual(JSON.parse(ended.stdout) as { status: string; reason: string }, { ...JSON.parse(ended.stdout), status: 'stopped', reason: 'Stopped to be discarded.' });
  const list = JSON.parse((await runCli(['sessions', '--json'], env)).stdout) as { id: string; status: string }[];
  assert.equal(list.find(s => s.id === id)?.status, 'discarded');
});

test('run says when the checkout has uncommitted changes the session does not see', async t => {
  const up = await upstream(t, { scripts: { one: writes('one.txt') } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  writeFileSync(path.join(repo, 'draft.txt'), 'not committed\n');
  const r = await runCli(['run', '--repo', repo, '--task', '[script:one] one'], { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_BASE_URL: up.url, OPENAI_API_KEY: 'sk-x' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: Your checkout has 1 uncommitted change\(s\); this session starts from the last commit of main and does not see them\./);
});

test('a run killed while its session waited for a slot leaves it queued: another run, or a merge, leaves it be, and `resume ID --hint` runs it', { timeout: 90_000 }, async t => {
  const up = await upstream(t, { scripts: { two: writes('two.txt'), three: writes('three.txt') }, eventDelayMs: 20 });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const home = path.join(root, 'home');
  const env = { SWITCHYARD_HOME: home, OPENAI_BASE_URL: up.url, OPENAI_API_KEY: 'sk-test' };
  mkdirSync(home, { recursive: true });
  writeFileSync(path.join(home, 'config.json'), JSON.stringify({ maxConcurrentSessions: 1 }));
  // The first run holds the machine's only slot until told to let go (a command agent waiting for a file),
  // while the second waits; the second is killed outright.
  const release = path.join(root, 'release-first');
  let holding = '';
  const first = runCli(['run', '--repo', repo, '--task', 'holds the slot', '--command', `while [ ! -e '${release}' ]; do sleep 0.1; done`, '--json'], env, chunk => (holding += chunk));
  await until(() => /\[running\]/.test(holding), 'the first run to hold the slot');
  let waiting = '';
  const waiter = runCli(['run', '--repo', repo, '--task', '[script:two] waits', '--json'], env, chunk => (waiting += chunk));
  await until(() => /Waiting for a free slot/.test(waiting), 'the second run to wait');
  const id = /Session (\w+) on/.exec(waiting)![1]!;
  waiter.kill('SIGKILL');
  await waiter;
  writeFileSync(release, '');
  assert.equal((await first).code, 0);
  // A run takes over nothing but its own: the orphan would end paused mid-turn when this run's session ends.
  const third = await runCli(['run', '--repo', repo, '--task', '[script:three] a run of its own', '--json', '--quiet'], env);
  assert.equal(third.code, 0, third.stderr);
  const statusOf = async () => (JSON.parse((await runCli(['sessions', '--json'], env)).stdout) as { id: string; status: string }[]).find(s => s.id === id)?.status;
  assert.equal(await statusOf(), 'queued');
  assert.match((await runCli(['sessions'], env)).stdout, new RegExp(`^${id}\\s+queued \\(its run ended\\)`, 'm'));
  // A merge of it is refused, and starts no agent on the way.
  const merge = await runCli(['merge', id], env);
  assert.notEqual(merge.code, 0);
  assert.equal(up.requests.filter(r => JSON.stringify(r.body).includes('waits')).length, 0, 'no request of the orphan was made');
  assert.equal(await statusOf(), 'queued');
  // A discard of it says that nothing runs it, not that it waits to run.
  const discard = await runCli(['discard', id], env);
  assert.match(discard.stdout, /is queued, but the run that queued it ended: nothing will run it\. Nothing was changed; run again with --yes to discard it/);
  assert.equal(await statusOf(), 'queued');
  const resumed = await runCli(['resume', id, '--hint', 'write it now', '--json', '--quiet'], env);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal((JSON.parse(resumed.stdout) as { status: string }).status, 'done');
  assert.equal(await statusOf(), 'done');
  const transcript = readFileSync(path.join(path.dirname(recordFile(home, id)), 'transcript.jsonl'), 'utf8');
  assert.match(transcript, /"kind":"user"[^\n]*"text":"write it now"/, 'the hint is in its transcript');
  assert.deepEqual(readdirSync(path.join(home, 'slots', 'running')), []);
});

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 20));
  }
}

/** A repository with one session run to its end by the CLI, which wrote one.txt. */
async function oneSessionRun(t: TestContext) {
  const up = await upstream(t, { scripts: { one: writes('one.txt') } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_BASE_URL: up.url, OPENAI_API_KEY: 'sk-x' };
  const ran = await runCli(['run', '--repo', repo, '--task', '[script:one] one', '--json', '--quiet'], env);
  assert.equal(ran.code, 0, ran.stderr);
  return { root, repo, env, ...(JSON.parse(ran.stdout) as { id: string; branch: string; worktree: string }) };
}

test('Ctrl-C during a merge waits for it to end, and says so: the work lands whole, no temporary worktree is left', { timeout: 60_000 }, async t => {
  const { repo, env, id } = await oneSessionRun(t);

  let signalled = false;
  const merge = runCli(['merge', id], env, chunk => {
    if (!signalled && /Merging /.test(chunk)) {
      signalled = true;
      merge.kill('SIGINT');
    }
  });
  const merged = await merge;
  assert.ok(signalled, merged.stderr);
  assert.equal(merged.code, 0, `not cut off half-way: ${merged.stderr}`);
  assert.match(merged.stderr, /Interrupted: waiting for the merge to finish, or to undo what it began/);
  assert.match(merged.stdout, /^merged: /);
  assert.equal(git(repo, 'show', 'main:one.txt'), 'one.txt');
  assert.equal(git(repo, 'worktree', 'list', '--porcelain').split('\n').filter(l => l.startsWith('worktree ')).length, 1, 'no temporary worktree left');
});

test('a repository moved away: its sessions say where they belong and how to go on, and nothing is done', async t => {
  const { root, repo, env, id, branch, worktree } = await oneSessionRun(t);
  const moved = `${repo}-moved`;
  renameSync(repo, moved);
  const gone = `That folder is not there now (moved, renamed or deleted), so nothing was done. Its work is on branch ${branch}, in the worktree ${worktree}. If the repository was moved, move it back to ${repo} to resume, merge or discard the session`;
  for (const cmd of ['merge', 'discard', 'resume']) {
    const r = await runCli([cmd, id], env);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.stderr.includes(`switchyard ${cmd}: Session ${id} belongs to the repository at ${repo}. ${gone}`), r.stderr);
  }
  const there = await runCli(['merge', id, '--repo', moved], env);
  assert.equal(there.code, 2, there.stderr);
  assert.ok(there.stderr.includes(`Session ${id} belongs to the repository at ${repo}, not ${moved}. ${gone}`), there.stderr);
  // Its trace is in the Switchyard home, and needs no repository.
  const traced = await runCli(['trace', id, '--out', path.join(root, 'moved.jsonl')], env);
  assert.equal(traced.code, 0, traced.stderr);
  // Moved back, it merges as before.
  renameSync(moved, repo);
  const merged = await runCli(['merge', id], env);
  assert.equal(merged.code, 0, merged.stderr);
});

test('discard --commit keeps uncommitted work on the branch it keeps; the refusal without it says so', async t => {
  const { repo, env, id, branch, worktree } = await oneSessionRun(t);
  writeFileSync(path.join(worktree, 'notes.txt'), 'mine\n');
  const asked = await runCli(['discard', id], env);
  assert.equal(asked.code, 1, asked.stderr);
  assert.match(asked.stdout, /uncommitted changes to notes\.txt\. Nothing was changed; run again with --yes to discard it all the same \(or with --commit to commit the uncommitted changes to its branch first and keep it\)\.$/m);
  const both = await runCli(['discard', id, '--commit', '--delete-branch'], env);
  assert.equal(both.code, 2, both.stderr);
  const kept = await runCli(['discard', id, '--commit'], env);
  assert.equal(kept.code, 0, kept.stderr);
  assert.equal(kept.stdout.trim(), `discarded: [script:one] one (its branch ${branch} is kept)`);
  assert.equal(existsSync(worktree), false);
  assert.equal(git(repo, 'show', `${branch}:notes.txt`), 'mine');
});

test('a session whose repository is gone for good is discarded only with --yes: its worktree folder goes, and only its own', async t => {
  const root = tempDir(t);
  const repo = makeRepo(root);
  const home = path.join(root, 'home');
  const env = { SWITCHYARD_HOME: home, OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_API_KEY: 'sk-x' };
  const made = async (title: string) => {
    const r = await runCli(['run', '--repo', repo, '--task', title, '--agent', 'command', '--command', 'echo work > work.txt', '--json', '--quiet'], env);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as { id: string; worktree: string };
  };
  const one = await made('One');
  const two = await made('Two');
  rmSync(repo, { recursive: true, force: true });

  // Moved, not deleted, it would come back: nothing is done without --yes, and it says how.
  for (const cmd of ['discard', 'resume', 'merge']) {
    const asked = await runCli([cmd, one.id], env);
    assert.equal(asked.code, 1, asked.stderr);
    assert.ok(asked.stderr.includes(`That folder is not there now (moved, renamed or deleted), so nothing was done.`), asked.stderr);
    assert.ok(asked.stderr.includes(`If it is gone for good, \`switchyard discard ${one.id} --yes\` deletes its worktree folder (the last copy of its files) and marks it discarded.`), asked.stderr);
  }
  const committing = await runCli(['discard', one.id, '--commit', '--yes'], env);
  assert.equal(committing.code, 1);
  assert.ok(committing.stderr.includes('That folder is not there now (moved, renamed or deleted), so nothing was done.'), committing.stderr);
  assert.ok(existsSync(path.join(one.worktree, 'work.txt')), 'its files are as they were');

  const discarded = await runCli(['discard', one.id, '--yes', '--json'], env);
  assert.equal(discarded.code, 0, discarded.stderr);
  assert.deepEqual(JSON.parse(discarded.stdout), { ok: true, branchKept: false });
  assert.equal(existsSync(one.worktree), false, 'its worktree folder is gone');

  // A record that names a folder that is not its worktree (edited by hand) deletes nothing.
  const file = recordFile(home, two.id);
  const elsewhere = path.join(root, 'precious');
  mkdirSync(elsewhere);
  writeFileSync(path.join(elsewhere, 'keep.txt'), 'mine\n');
  writeFileSync(file, JSON.stringify({ ...(JSON.parse(readFileSync(file, 'utf8')) as object), worktree: elsewhere }));
  const refused = await runCli(['discard', two.id, '--yes'], env);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /is not in a worktrees folder Switchyard makes for that repository, so it was left as it is, and the session too\./);
  assert.ok(existsSync(path.join(elsewhere, 'keep.txt')));

  const list = JSON.parse((await runCli(['sessions', '--json'], env)).stdout) as { id: string; status: string; statusReason?: string }[];
  assert.deepEqual(list.map(s => [s.id, s.status]).sort(), [[one.id, 'discarded'], [two.id, 'done']].sort());
  assert.match(list.find(s => s.id === one.id)!.statusReason!, /Its repository at .* was gone; its worktree folder was deleted \(its branch switchyard\/one is left in that repository, if it is somewhere else now\)\./);
});

test('a merge and a discard of one session at once, in two processes: one of them does it, the other says why not', { timeout: 90_000 }, async t => {
  const up = await upstream(t, { scripts: { one: writes('one.txt') } });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_BASE_URL: up.url, OPENAI_API_KEY: 'sk-x' };
  for (let round = 0; round < 4; round++) {
    const made = await runCli(['run', '--repo', repo, '--task', '[script:one] one', '--title', `Round ${round}`, '--json', '--quiet'], env);
    assert.equal(made.code, 0, made.stderr);
    const { id } = JSON.parse(made.stdout) as { id: string };
    const [merged, discarded] = await Promise.all([runCli(['merge', id, '--json'], env), runCli(['discard', id, '--yes', '--delete-branch', '--json'], env)]);
    const codes = [merged.code, discarded.code];
    assert.equal(codes.filter(c => c === 0).length, 1, `round ${round}: merge ${merged.stdout}${merged.stderr} / discard ${discarded.stdout}${discarded.stderr}`);
    const [s] = (JSON.parse((await runCli(['sessions', '--json'], env)).stdout) as { id: string; status: string }[]).filter(x => x.id === id);
    assert.equal(s!.status, merged.code === 0 ? 'merged' : 'discarded');
    if (merged.code === 0) git(repo, 'reset', '--hard', 'HEAD~1');
  }
});
