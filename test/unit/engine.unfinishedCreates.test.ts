// A process killed while it creates a session (between `git worktree add` and the record's save) leaves a
// worktree and a branch no session owns. The next creation in that repository undoes them, unless something
// was done in them since.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { UnfinishedCreates } from '../../src/host/sessions/unfinishedCreates';
import { processOf } from '../../src/host/util/fileLock';
import { runCli } from './helpers/cli';
import { commitInitial, engineFor, git, noProgress, settle, tempDir, until, upstream } from './helpers/engineKit';

/** A pid that named a process a moment ago and names none now. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid!;
}

function branches(repo: string): string[] {
  return git(repo, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/switchyard/').split('\n').filter(Boolean);
}

function worktrees(repo: string): string[] {
  return git(repo, 'worktree', 'list', '--porcelain').split('\n').filter(l => l.startsWith('worktree ')).map(l => l.slice('worktree '.length)).slice(1);
}

test('the next creation undoes one cut off before its record was saved, and keeps what was worked in', async t => {
  const up = await upstream(t);
  const { engine, home, repo } = await engineFor(t, { up });
  const root = realpathSync(repo);
  const dir = engine.sessions.ctx.home.worktreesDir(root);
  mkdirSync(dir, { recursive: true });
  const base = git(repo, 'rev-parse', 'main');
  const creating = path.join(home, 'creating');
  mkdirSync(creating, { recursive: true });
  const owner = { pid: deadPid(), host: hostname(), start: null };
  const leftover = (name: string, work?: (wt: string) => void, adder?: number) => {
    const wt = path.join(dir, name);
    git(repo, 'worktree', 'add', '-q', '-b', `switchyard/${name}`, wt, base);
    work?.(wt);
    writeFileSync(path.join(creating, `${name}.json`), JSON.stringify({ repo: root, worktree: realpathSync(wt), branch: `switchyard/${name}`, baseCommit: base, owner, ...(adder ? { adder: processOf(adder) } : {}) }));
    return realpathSync(wt);
  };
  const clean = leftover('clean');
  const edited = leftover('edited', wt => writeFileSync(path.join(wt, 'README.md'), '# edited by hand\n'));
  const added = leftover('added', wt => writeFileSync(path.join(wt, 'notes.txt'), 'new\n'));
  const committed = leftover('committed', wt => {
    writeFileSync(path.join(wt, 'more.txt'), 'more\n');
    git(wt, 'add', '-A');
    git(wt, 'commit', '-q', '-m', 'work');
  });
  // git's own mark of an add it has not finished: locked, and part of the checkout missing. With that git
  // gone, it is undone; while the git the note names runs (a kill reaches the CLI, not its git), it is left.
  const midAdd = (name: string, adder?: number) => leftover(name, wt => {
    git(repo, 'worktree', 'lock', '--reason', 'initializing', wt);
    rmSync(path.join(wt, 'src'), { recursive: true });
  }, adder);
  const initializing = midAdd('initializing', deadPid());
  const stillGit = longRunning(t);
  const adding = midAdd('adding', stillGit.pid);
  // A note whose process died after its record was saved: the session owns the worktree.
  const owned = await settle(engine, await engine.sessions.create({ repo, task: 'x', title: 'Owned' }, noProgress));
  writeFileSync(path.join(creating, 'owned.json'), JSON.stringify({ repo: root, worktree: owned.worktree, branch: owned.branch, baseCommit: base, owner }));
  // A live process's note is a creation under way elsewhere.
  const live = leftover('live');
  writeFileSync(path.join(creating, 'live.json'), JSON.stringify({ repo: root, worktree: live, branch: 'switchyard/live', baseCommit: base, owner: { pid: process.pid, host: hostname(), start: null } }));

  // This process looked before the notes were written: a new one (the CLI, or a restarted host) does.
  const { engine: next } = await engineFor(t, { up, home, repo });
  const s = await settle(next, await next.sessions.create({ repo, task: 'y', title: 'Next' }, noProgress));
  assert.equal(s.status, 'done');

  const left = worktrees(repo);
  for (const gone of [clean, initializing]) assert.ok(!left.includes(gone) && !existsSync(gone), `${gone} was undone`);
  for (const kept of [edited, added, committed, live, adding, owned.worktree]) assert.ok(left.includes(kept), `${kept} was kept`);
  assert.deepEqual(branches(repo).sort(), ['switchyard/added', 'switchyard/adding', 'switchyard/committed', 'switchyard/edited', 'switchyard/live', owned.branch, s.branch].sort());
  assert.deepEqual(readdirSync(creating).sort(), ['adding.json', 'live.json'], "the live process's note is left, and the one git may still be adding");

  // Once its git has ended, a later look undoes it.
  stillGit.kill('SIGKILL');
  await until('the stand-in git to end', () => stillGit.exitCode !== null || stillGit.signalCode !== null, 10_000);
  const { engine: later } = await engineFor(t, { up, home, repo });
  await settle(later, await later.sessions.create({ repo, task: 'z', title: 'Later' }, noProgress));
  assert.ok(!worktrees(repo).includes(adding) && !existsSync(adding), 'undone once git finished');
  assert.ok(!branches(repo).includes('switchyard/adding'));
  assert.deepEqual(readdirSync(creating).sort(), ['live.json']);
});

test('a CLI run killed while it creates its worktree leaves nothing the next run does not clear', async t => {
  const up = await upstream(t);
  const root = tempDir(t);
  const repo = path.join(root, 'repo');
  // Enough files that `git worktree add` takes a while.
  for (let d = 0; d < 20; d++) {
    mkdirSync(path.join(repo, `d${d}`), { recursive: true });
    for (let f = 0; f < 150; f++) writeFileSync(path.join(repo, `d${d}`, `f${f}.txt`), `${d}/${f}\n`);
  }
  commitInitial(repo);
  const home = path.join(root, 'home');
  const env = { SWITCHYARD_HOME: home, OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: up.url };
  const creating = path.join(home, 'creating');

  const run = runCli(['run', '--repo', repo, '--task', 'cut off'], env);
  await until('the creation to be noted', () => existsSync(creating) && readdirSync(creating).some(f => f.endsWith('.json')), 30_000);
  run.kill('SIGKILL');
  assert.equal((await run).code, null, 'the CLI was killed');
  // Its git, a child the kill did not reach, may still be adding the worktree: a creation started then
  // leaves it to git, and one started once git has ended undoes it.
  const next = await runCli(['run', '--repo', repo, '--task', 'next'], env);
  assert.equal(next.code, 0, next.stderr);
  await until('its git to end', () => notedGits(creating).every(pid => !running(pid)), 60_000);
  const last = await runCli(['run', '--repo', repo, '--task', 'last'], env);
  assert.equal(last.code, 0, last.stderr);
  const listed = await runCli(['sessions', '--repo', repo, '--json'], env);
  const sessions = JSON.parse(listed.stdout) as Array<{ branch: string; worktree: string }>;
  assert.deepEqual(branches(repo).sort(), sessions.map(x => x.branch).sort(), 'every branch left is a session');
  assert.deepEqual(worktrees(repo).sort(), sessions.map(x => x.worktree).sort(), 'every worktree left is a session');
  const folder = path.dirname(sessions[0]!.worktree);
  assert.deepEqual(readdirSync(folder).sort(), sessions.map(x => path.basename(x.worktree)).sort(), 'and every folder');
  assert.deepEqual(readdirSync(creating), [], readdirSync(creating).map(f => readFileSync(path.join(creating, f), 'utf8')).join('\n'));
});

test('a creation left to its git is looked at again by a creation here 30 s later, not by every one before', async t => {
  const dir = tempDir(t);
  const notes = new UnfinishedCreates(dir);
  const planned = { branch: 'switchyard/a', baseCommit: 'c0ffee', worktree: path.join(dir, 'wt') };
  const stillGit = longRunning(t);
  writeFileSync(path.join(dir, 'a.json'), JSON.stringify({ ...planned, repo: '/repo', owner: { pid: deadPid(), host: hostname(), start: null }, adder: processOf(stillGit.pid!) }));
  let looks = 0;
  let undone = 0;
  const look = () => notes.recover('/repo', async () => (looks++, new Set()), async () => (undone++, true), () => undefined);
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
  await look();
  await look();
  assert.deepEqual([looks, undone], [1, 0], 'left to its git, and not looked at again at once');
  stillGit.kill('SIGKILL');
  await until('the stand-in git to end', () => stillGit.exitCode !== null || stillGit.signalCode !== null, 10_000);
  t.mock.timers.tick(29_000);
  await look();
  assert.deepEqual([looks, undone], [1, 0], 'not within 30 s');
  assert.deepEqual(readdirSync(dir), ['a.json'], 'its note is kept');
  t.mock.timers.tick(2_000);
  await look();
  assert.deepEqual([looks, undone], [2, 1]);
  assert.deepEqual(readdirSync(dir), [], 'undone, its note goes');
  await look();
  assert.equal(looks, 2, 'nothing left to look at again');
});

/** The gits the notes in `creating` name as adding their worktrees. */
function notedGits(creating: string): number[] {
  return readdirSync(creating).flatMap(f => {
    try {
      const note = JSON.parse(readFileSync(path.join(creating, f), 'utf8')) as { adder?: { pid: number } };
      return note.adder ? [note.adder.pid] : [];
    } catch {
      return [];
    }
  });
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A process that runs until the test ends (or is killed), standing in for a git still adding a worktree. */
function longRunning(t: TestContext): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  return child;
}
