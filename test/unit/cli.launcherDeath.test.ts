// A CLI run killed outright (SIGKILL) while its `git worktree add` runs: git lives on in a session of its own
// (detachGitFromTerminal), so the run's creation note is all that tells a later process what was half-made.
// A later run leaves the worktree to a git still adding it, saying so, and undoes it once that git has ended;
// nothing is left to no session, and no other session's work is touched.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { CLI, runCli } from './helpers/cli';
import { git, makeRepo, tempDir, until, upstream } from './helpers/engineKit';

// Whether git lives on is read from /proc, where a zombie counts as ended: Linux only.
const LINUX_ONLY = { timeout: 60_000, skip: process.platform === 'linux' ? false : 'reads /proc' };

interface Listed {
  id: string;
  title: string;
  status: string;
  branch: string;
  worktree: string;
}

/** A repository whose first smudge holds git inside `worktree add` while `hold` exists; later ones pass. */
function heldRepo(root: string): { repo: string; marker: string; hold: string } {
  const repo = makeRepo(root);
  const marker = path.join(root, 'checking-out');
  const hold = path.join(root, 'hold');
  writeFileSync(hold, '');
  writeFileSync(path.join(repo, '.gitattributes'), '*.txt filter=slow\n');
  git(repo, 'add', '.gitattributes');
  git(repo, 'commit', '-qm', 'attributes');
  const claimed = path.join(root, 'claimed');
  git(repo, 'config', 'filter.slow.smudge', `if mkdir '${claimed}' 2>/dev/null; then touch '${marker}'; while [ -e '${hold}' ]; do sleep 0.02; done; fi; cat`);
  git(repo, 'config', 'filter.slow.clean', 'cat');
  return { repo, marker, hold };
}

/** Not a zombie either: a container's pid 1 may never reap an orphan. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

function branches(repo: string): string[] {
  return git(repo, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/switchyard/').split('\n').filter(Boolean);
}

function worktrees(repo: string): string[] {
  return git(repo, 'worktree', 'list', '--porcelain').split('\n').filter(l => l.startsWith('worktree ')).map(l => l.slice('worktree '.length)).slice(1);
}

/**
 * Starts `switchyard run` in a process group of its own (as a terminal runs it), waits until its git is held
 * inside `worktree add`, and kills the group with SIGKILL. Returns the pid of the git left adding.
 */
async function killMidAdd(t: TestContext, repo: string, marker: string, env: NodeJS.ProcessEnv, creating: string): Promise<number> {
  const child = spawn(process.execPath, [CLI, 'run', '--repo', repo, '--task', 'anything', '--title', 'Cut off', '--json', '--quiet'], { env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.on('data', d => (stderr += d));
  const killGroup = () => child.exitCode === null && child.signalCode === null && process.kill(-child.pid!, 'SIGKILL');
  t.after(killGroup);
  await until('git to be held inside `worktree add`', () => existsSync(marker), 30_000).catch((e: Error) => {
    // Now, not in an after hook that an earlier one's failure may skip: a live child keeps the test running.
    killGroup();
    throw new Error(`${e.message}; the run said: ${stderr}`);
  });
  const [note] = readdirSync(creating).filter(f => f.endsWith('.json'));
  const adder = (JSON.parse(readFileSync(path.join(creating, note!), 'utf8')) as { adder?: { pid: number } }).adder?.pid;
  assert.ok(adder !== undefined, 'the note names the git adding the worktree');
  process.kill(-child.pid!, 'SIGKILL');
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  assert.deepEqual([code, signal], [null, 'SIGKILL']);
  assert.ok(running(adder), 'git, in a session of its own, outlives the killed run');
  assert.deepEqual(branches(repo), ['switchyard/cut-off'], 'the half-made branch is there, to no session');
  return adder;
}

/** What every user-facing view agrees on once the cut-off creation is cleared: only the sessions' own. */
async function assertOnlySessionsLeft(repo: string, env: NodeJS.ProcessEnv, creating: string, titles: string[]): Promise<Listed[]> {
  const listed = await runCli(['sessions', '--repo', repo, '--json'], env);
  assert.equal(listed.code, 0, listed.stderr);
  const sessions = JSON.parse(listed.stdout) as Listed[];
  assert.deepEqual(sessions.map(s => [s.title, s.status]).sort(), titles.map(x => [x, 'done']).sort());
  assert.deepEqual(branches(repo).sort(), sessions.map(s => s.branch).sort(), 'every branch left is a session\'s');
  assert.deepEqual(worktrees(repo).sort(), sessions.map(s => s.worktree).sort(), 'every worktree left is a session\'s');
  const folder = path.dirname(sessions[0]!.worktree);
  assert.deepEqual(readdirSync(folder).sort(), sessions.map(s => path.basename(s.worktree)).sort(), 'and every folder');
  assert.deepEqual(readdirSync(creating), [], 'no creation note is left');
  // The ledger books what the sessions spent, and nothing to the run that never made one.
  const report = await runCli(['report', '--by', 'session', '--json'], env);
  assert.equal(report.code, 0, report.stderr);
  assert.deepEqual((JSON.parse(report.stdout) as { key: string }[]).map(r => r.key).sort(), sessions.map(s => s.id).sort());
  return sessions;
}

test('a run killed while its git adds the worktree: a run meanwhile leaves it to that git, saying so; one after that git has ended removes what is left', LINUX_ONLY, async t => {
  const up = await upstream(t);
  const root = tempDir(t);
  const { repo, marker, hold } = heldRepo(root);
  t.after(() => rmSync(hold, { force: true }));
  const home = path.join(root, 'home');
  const creating = path.join(home, 'creating');
  const env = { ...process.env, SWITCHYARD_HOME: home, OPENAI_BASE_URL: up.url, OPENAI_API_KEY: 'sk-x' };
  const adder = await killMidAdd(t, repo, marker, env, creating);
  // No session was made: the list shows none (the branch is the next creation's to look at).
  const listed = await runCli(['sessions', '--repo', repo, '--json'], env);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout), []);

  // While that git runs, a run in the repository makes its own session (of the same title), and leaves the
  // other one to it.
  const meanwhile = await runCli(['run', '--repo', repo, '--task', 'anything', '--title', 'Cut off', '--json'], env);
  assert.equal(meanwhile.code, 0, meanwhile.stderr);
  assert.match(meanwhile.stderr, new RegExp(`Left the worktree \\S*cut-off of a session whose creation was cut off: its git \\(pid ${adder}\\) is still adding it`));
  const mine = JSON.parse(meanwhile.stdout) as { worktree: string; branch: string };
  assert.equal(mine.branch, 'switchyard/cut-off-2', 'a branch of its own');
  writeFileSync(path.join(mine.worktree, 'by-hand.txt'), 'mine\n');
  assert.equal(readdirSync(creating).filter(f => f.endsWith('.json')).length, 1, 'the note is kept for a later look');

  // Let go, git ends: it finishes the worktree, or gives it up (its output has no reader now) leaving the branch.
  // Either way the next run removes what is left, and says so.
  rmSync(hold);
  await until('the git left adding to end', () => !running(adder), 20_000);
  const next = await runCli(['run', '--repo', repo, '--task', 'anything', '--title', 'Next', '--json'], env);
  assert.equal(next.code, 0, next.stderr);
  assert.match(next.stderr, /Removed the worktree and branch switchyard\/cut-off of a session whose creation was cut off/);

  const left = await assertOnlySessionsLeft(repo, env, creating, ['Cut off', 'Next']);
  assert.ok(left.some(s => s.branch === mine.branch && s.worktree === mine.worktree));
  assert.equal(readFileSync(path.join(mine.worktree, 'by-hand.txt'), 'utf8'), 'mine\n', "another session's work is untouched");
});

test('a run killed while its git adds the worktree, and that git killed too: the next run removes what git left half-made', LINUX_ONLY, async t => {
  const up = await upstream(t);
  const root = tempDir(t);
  const { repo, marker } = heldRepo(root);
  const home = path.join(root, 'home');
  const creating = path.join(home, 'creating');
  const env = { ...process.env, SWITCHYARD_HOME: home, OPENAI_BASE_URL: up.url, OPENAI_API_KEY: 'sk-x' };
  const adder = await killMidAdd(t, repo, marker, env, creating);
  // git and what it runs (its checkout, the filter): a session of their own.
  process.kill(-adder, 'SIGKILL');
  await until('the killed git to end', () => !running(adder), 10_000);
  assert.match(git(repo, 'worktree', 'list', '--porcelain'), /locked initializing/, 'git left its own mark of an unfinished add');

  const next = await runCli(['run', '--repo', repo, '--task', 'anything', '--title', 'Next', '--json'], env);
  assert.equal(next.code, 0, next.stderr);
  assert.match(next.stderr, /Removed the worktree and branch switchyard\/cut-off of a session whose creation was cut off/);
  await assertOnlySessionsLeft(repo, env, creating, ['Next']);
});
