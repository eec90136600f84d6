// A process killed while it creates a session (between `git worktree add` and the record's save) leaves a
// worktree and a branch no session owns. The next creation in that repository undoes them, unless something
// was done in them since.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, realpathSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
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
  const leftover = (name: string, work?: (wt: string) => void) => {
    const wt = path.join(dir, name);
    git(repo, 'worktree', 'add', '-q', '-b', `switchyard/${name}`, wt, base);
    work?.(wt);
    writeFileSync(path.join(creating, `${name}.json`), JSON.stringify({ repo: root, worktree: realpathSync(wt), branch: `switchyard/${name}`, baseCommit: base, owner }));
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
  // git's own mark of an add it has not finished: locked, and part of the checkout missing. Locked long ago,
  // git is gone; locked a moment ago, git may still be adding it (a kill reaches the CLI, not its git).
  const midAdd = (name: string, lockedMsAgo: number) => leftover(name, wt => {
    git(repo, 'worktree', 'lock', '--reason', 'initializing', wt);
    rmSync(path.join(wt, 'src'), { recursive: true });
    const lock = path.join(git(wt, 'rev-parse', '--absolute-git-dir'), 'locked');
    const then = new Date(Date.now() - lockedMsAgo);
    utimesSync(lock, then, then);
  });
  const initializing = midAdd('initializing', 11 * 60_000);
  const adding = midAdd('adding', 1_000);
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

  // Once git is done with it (unlocked, the checkout whole), the next creation in this process undoes it.
  git(repo, 'worktree', 'unlock', adding);
  git(adding, 'checkout', '-q', '--', 'src');
  await settle(next, await next.sessions.create({ repo, task: 'z', title: 'Later' }, noProgress));
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
  await until('the creation to be noted', () => existsSync(creating) && readdirSync(creating).length > 0, 30_000);
  run.kill('SIGKILL');
  assert.equal((await run).code, null, 'the CLI was killed');
  // Its git, a child the kill did not reach, may have begun the worktree, and may still be adding it: a
  // creation started then leaves it to git.
  await until('its git to make the branch', () => branches(repo).length === 1, 10_000).catch(() => undefined);
  const next = await runCli(['run', '--repo', repo, '--task', 'next'], env);
  assert.equal(next.code, 0, next.stderr);
  await until('its git to finish', () => !/locked initializing/.test(git(repo, 'worktree', 'list', '--porcelain')), 60_000);
  const last = await runCli(['run', '--repo', repo, '--task', 'last'], env);
  assert.equal(last.code, 0, last.stderr);
  const listed = await runCli(['sessions', '--repo', repo, '--json'], env);
  const sessions = JSON.parse(listed.stdout) as Array<{ branch: string; worktree: string }>;
  assert.deepEqual(branches(repo).sort(), sessions.map(x => x.branch).sort(), 'every branch left is a session');
  assert.deepEqual(worktrees(repo).sort(), sessions.map(x => x.worktree).sort(), 'every worktree left is a session');
  const folder = path.dirname(sessions[0]!.worktree);
  assert.deepEqual(readdirSync(folder).sort(), sessions.map(x => path.basename(x.worktree)).sort(), 'and every folder');
  assert.deepEqual(readdirSync(creating), []);
});
