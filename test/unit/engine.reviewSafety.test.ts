// What merge and discard must never lose, through the engine: the commits of a branch whose base is gone,
// the commits a worktree's submodules alone hold, a file the agent's end-of-run commit could not take,
// and the worktree of a session whose folder was deleted by hand (left for the user to decide on).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { Engine } from '../../src/host/engine';
import { silentSink } from '../../src/host/events';
import { withDefaults } from '../../src/host/settings';
import { commitInitial, engineFor, git, noProgress, settle, tempDir, upstream } from './helpers/engineKit';
import { writesThenFinishes } from './helpers/scripts';
import type { UpstreamOptions } from '../upstream/types';

const write = (file: string, text: string) => ({
  steps: [
    { calls: [{ name: 'write_file', arguments: { path: file, content: text } }] },
    { calls: [{ name: 'finish', arguments: { summary: `wrote ${file}` } }] },
  ],
});

/** git with file-protocol submodules allowed (git refuses them by default since 2.38.1). */
const gitSub = (cwd: string, ...args: string[]) => git(cwd, '-c', 'protocol.file.allow=always', ...args);

/** An engine on a repository whose `libsub` is a submodule (of `origin`), and a test upstream with these scripts. */
async function repoWithSubmodule(t: TestContext, scripts: UpstreamOptions['scripts']) {
  const up = await upstream(t, { scripts });
  const { engine, repo } = await engineFor(t, { up });
  const origin = tempDir(t);
  writeFileSync(path.join(origin, 'lib.txt'), 'lib\n');
  commitInitial(origin);
  gitSub(repo, 'submodule', 'add', '-q', origin, 'libsub');
  git(repo, 'commit', '-q', '-m', 'add a submodule');
  return { engine, repo, origin };
}

/**
 * A session in a repository with a submodule, done; then the user (or an agent) works in the submodule
 * inside the session's worktree: a commit there that no remote has.
 */
async function sessionWithSubmoduleWork(t: TestContext, title: string) {
  const { engine, repo, origin } = await repoWithSubmodule(t, { w: write('feature.txt', 'feature\n') });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:w] feature', title }, noProgress));
  assert.equal(s.status, 'done', s.statusReason);
  gitSub(s.worktree, 'submodule', 'update', '--init', '-q');
  const sub = path.join(s.worktree, 'libsub');
  git(sub, 'checkout', '-q', '-b', 'work');
  git(sub, 'commit', '-q', '--allow-empty', '-m', 'submodule work');
  return { engine, repo, origin, s, sub, subCommit: git(sub, 'rev-parse', 'HEAD') };
}

test('a session whose base branch was deleted still counts its own commits: discarding asks, and keeps the branch', async t => {
  const up = await upstream(t, { scripts: { w: write('login.txt', 'precious\n') } });
  const { engine, repo } = await engineFor(t, { up });
  git(repo, 'checkout', '-q', '-b', 'feature/login');
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:w] login', title: 'On feature', baseBranch: 'feature/login' }, noProgress));
  assert.equal(s.status, 'done', s.statusReason);
  git(repo, 'checkout', '-q', 'main');
  git(repo, 'branch', '-D', 'feature/login');
  const tip = git(repo, 'rev-parse', s.branch);

  const asked = await engine.sessions.discard({ sessionId: s.id, deleteBranch: true });
  assert.ok(!asked.ok && asked.unmergedCommits === 1, JSON.stringify(asked));
  assert.ok(existsSync(s.worktree), 'nothing removed unasked');
  assert.deepEqual(await engine.sessions.discard({ sessionId: s.id }).then(r => r.ok), false, 'asked again without deleteBranch');
  assert.deepEqual(await engine.sessions.discard({ sessionId: s.id, force: true }), { ok: true, branchKept: true });
  assert.equal(git(repo, 'rev-parse', s.branch), tip, 'the branch and its commit are kept');
});

test("a merge leaves a worktree whose submodules hold commits no remote has, and says so; discarding it asks first", async t => {
  const { engine, repo, origin, s, sub, subCommit } = await sessionWithSubmoduleWork(t, 'With submodule');
  // The bump is committed in the session's branch too.
  git(s.worktree, 'add', 'libsub');
  git(s.worktree, 'commit', '-q', '-m', 'bump the submodule');

  const merged = await engine.sessions.merge({ sessionId: s.id, strategy: 'merge' }, noProgress);
  assert.ok(merged.ok && /its submodules hold 1 commit that no remote of theirs has/.test(merged.worktreeKept ?? ''), JSON.stringify(merged));
  assert.equal(readFileSync(path.join(repo, 'feature.txt'), 'utf8'), 'feature\n', 'the work is merged');
  assert.equal(git(sub, 'rev-parse', 'HEAD'), subCommit, 'the submodule and its commit are still there');
  const after = engine.sessions.get(s.id).record;
  assert.equal(after.status, 'merged');
  assert.equal(after.worktreeKept, true);
  assert.match(after.statusReason ?? '', /worktree .* is kept/);

  const asked = await engine.sessions.discard({ sessionId: s.id });
  assert.ok(!asked.ok && asked.submoduleCommits === 1, JSON.stringify(asked));
  assert.ok(existsSync(sub));
  // Pushed, the commit is somewhere else too: the worktree goes without a question.
  git(sub, 'push', '-q', 'origin', 'work');
  assert.deepEqual(await engine.sessions.discard({ sessionId: s.id }), { ok: true, branchKept: false });
  assert.equal(existsSync(s.worktree), false);
  assert.equal(git(origin, 'rev-parse', 'work'), subCommit);
  const gone = engine.sessions.get(s.id).record;
  assert.equal(gone.status, 'merged', 'still merged: its work is on main');
  assert.equal(gone.worktreeKept, undefined);
  await assert.rejects(engine.sessions.discard({ sessionId: s.id }), /nothing to discard/);
});

test('a worktree moved by hand whose submodules hold commits no remote has is not forgotten by a merge: moved back, they are there', async t => {
  const { engine, s, sub, subCommit } = await sessionWithSubmoduleWork(t, 'Moved');
  renameSync(s.worktree, `${s.worktree}.moved`);

  const merged = await engine.sessions.merge({ sessionId: s.id, strategy: 'merge' }, noProgress);
  assert.ok(merged.ok && /its submodules hold 1 commit/.test(merged.worktreeKept ?? ''), JSON.stringify(merged));
  renameSync(`${s.worktree}.moved`, s.worktree);
  assert.equal(git(sub, 'rev-parse', 'HEAD'), subCommit, 'moved back, the submodule and its commit are there');
});

test("a merge keeps a worktree whose submodule holds uncommitted changes, which its branch cannot hold", async t => {
  const { engine, s, sub } = await sessionWithSubmoduleWork(t, 'Uncommitted in submodule');
  git(sub, 'push', '-q', 'origin', 'work');
  writeFileSync(path.join(sub, 'notes.txt'), 'written in the submodule\n');
  const merged = await engine.sessions.merge({ sessionId: s.id, strategy: 'merge' }, noProgress);
  assert.ok(merged.ok && /it holds uncommitted changes that its branch cannot \(libsub: a submodule.s files are its own repository.s\)/.test(merged.worktreeKept ?? ''), JSON.stringify(merged));
  assert.equal(readFileSync(path.join(sub, 'notes.txt'), 'utf8'), 'written in the submodule\n');
});

test("uncommitted work in a submodule's own submodules, set up or not, makes discard ask and a merge keep the worktree", async t => {
  const up = await upstream(t, { scripts: { w: write('feature.txt', 'feature\n') } });
  const { engine, repo } = await engineFor(t, { up });
  // libsub holds two submodules of its own: deep (set up in the worktree below) and unset (never set up).
  const deepOrigin = tempDir(t);
  writeFileSync(path.join(deepOrigin, 'deep.txt'), 'deep\n');
  commitInitial(deepOrigin);
  const libOrigin = tempDir(t);
  writeFileSync(path.join(libOrigin, 'lib.txt'), 'lib\n');
  commitInitial(libOrigin);
  gitSub(libOrigin, 'submodule', 'add', '-q', deepOrigin, 'deep');
  gitSub(libOrigin, 'submodule', 'add', '-q', deepOrigin, 'unset');
  git(libOrigin, 'commit', '-q', '-m', 'nest two submodules');
  gitSub(repo, 'submodule', 'add', '-q', libOrigin, 'libsub');
  git(repo, 'commit', '-q', '-m', 'add a submodule');
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:w] feature', title: 'Nested' }, noProgress));
  assert.equal(s.status, 'done', s.statusReason);
  gitSub(s.worktree, 'submodule', 'update', '--init', '-q');
  gitSub(path.join(s.worktree, 'libsub'), 'submodule', 'update', '--init', '-q', '--', 'deep');
  const deep = path.join(s.worktree, 'libsub', 'deep');
  writeFileSync(path.join(deep, 'deep.txt'), 'changed two levels down\n');
  writeFileSync(path.join(deep, 'notes.txt'), 'new two levels down\n');

  const asked = await engine.sessions.discard({ sessionId: s.id, force: false });
  assert.ok(!asked.ok, JSON.stringify(asked));
  assert.deepEqual([...(asked.uncommittedFiles ?? [])].sort(), ['libsub/deep/deep.txt', 'libsub/deep/notes.txt'], JSON.stringify(asked));
  const merged = await engine.sessions.merge({ sessionId: s.id, strategy: 'merge' }, noProgress);
  assert.ok(merged.ok && /uncommitted changes that its branch cannot \(libsub\/deep\/deep\.txt/.test(merged.worktreeKept ?? ''), JSON.stringify(merged));
  assert.equal(readFileSync(path.join(deep, 'notes.txt'), 'utf8'), 'new two levels down\n');

  // Committed and pushed there, the work is safe; a file in the folder of the one never set up is not.
  git(deep, 'checkout', '-q', '-b', 'work');
  git(deep, 'add', '-A');
  git(deep, 'commit', '-q', '-m', 'deep work');
  git(deep, 'push', '-q', 'origin', 'work');
  writeFileSync(path.join(s.worktree, 'libsub', 'unset', 'patch.txt'), 'git sees none of this\n');
  const again = await engine.sessions.discard({ sessionId: s.id });
  assert.ok(!again.ok && again.uncommittedFiles?.includes('libsub/unset/patch.txt'), JSON.stringify(again));
  rmSync(path.join(s.worktree, 'libsub', 'unset', 'patch.txt'));
  // What is left is libsub's own change, uncommitted there: the commit its submodule deep is at moved.
  const last = await engine.sessions.discard({ sessionId: s.id });
  assert.ok(!last.ok && last.uncommittedFiles?.join() === 'libsub/deep', JSON.stringify(last));
  assert.ok(existsSync(deep));
  assert.deepEqual(await engine.sessions.discard({ sessionId: s.id, force: true }), { ok: true, branchKept: false });
  assert.equal(existsSync(s.worktree), false);
});

test("files in a submodule folder never set up are work git cannot see: the agent's tools refuse to write there, and discard asks before taking them", async t => {
  const script = {
    steps: [
      { calls: [{ name: 'write_file', arguments: { path: 'libsub/patch.txt', content: 'fix\n' } }] },
      { calls: [{ name: 'run_command', arguments: { command: 'echo fix > libsub/by-command.txt' } }] },
      { calls: [{ name: 'finish', arguments: { summary: 'patched the library' } }] },
    ],
  };
  const { engine, repo } = await repoWithSubmodule(t, { sub: script });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:sub] patch the library', title: 'Patch lib' }, noProgress));
  const refused = (await engine.sessions.transcript(s.id, 0)).events.find(e => e.kind === 'tool-result' && !e.ok);
  assert.ok(refused?.kind === 'tool-result' && /inside the submodule 'libsub', a repository of its own/.test(refused.output), JSON.stringify(refused));
  assert.equal(existsSync(path.join(s.worktree, 'libsub', 'patch.txt')), false);
  // A command is not confined so: what it wrote there is asked about, not removed unasked.
  assert.ok(existsSync(path.join(s.worktree, 'libsub', 'by-command.txt')));
  const asked = await engine.sessions.discard({ sessionId: s.id });
  assert.ok(!asked.ok && asked.uncommittedFiles?.includes('libsub/by-command.txt'), JSON.stringify(asked));
  assert.ok(existsSync(path.join(s.worktree, 'libsub', 'by-command.txt')));
});

test('work the end-of-run commit cannot take fails the session, naming why, and stays in the worktree', async t => {
  const script = {
    steps: [
      { calls: [{ name: 'write_file', arguments: { path: 'app.py', content: 'print(1)\n' } }] },
      // A scaffolder's `git init` in a subfolder: git will not add a repository without a commit.
      { calls: [{ name: 'run_command', arguments: { command: 'mkdir vendorlib && cd vendorlib && git init -q && echo x > lib.txt' } }] },
      { calls: [{ name: 'finish', arguments: { summary: 'scaffolded' } }] },
    ],
  };
  const up = await upstream(t, { scripts: { scaffold: script } });
  const { engine, repo } = await engineFor(t, { up });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:scaffold] scaffold', title: 'Scaffold' }, noProgress));
  assert.equal(s.status, 'failed', s.statusReason);
  assert.match(s.statusReason ?? '', /could not be committed, and is in its worktree, uncommitted: .*vendorlib/);
  assert.ok(existsSync(path.join(s.worktree, 'app.py')));
  assert.equal(git(s.worktree, 'rev-parse', 'HEAD'), git(repo, 'rev-parse', 'main'), 'nothing was committed');
});

test('a repository of its own made inside the worktree (with a commit) is not committed as a bare pointer: the session fails and the files stay', async t => {
  const script = {
    steps: [
      { calls: [{ name: 'write_file', arguments: { path: 'README.txt', content: 'outer\n' } }] },
      { calls: [{ name: 'run_command', arguments: { command: 'mkdir app && cd app && git init -q && echo x > index.js && git add . && git -c user.email=a@b -c user.name=a commit -qm init' } }] },
      { calls: [{ name: 'finish', arguments: { summary: 'cloned' } }] },
    ],
  };
  const up = await upstream(t, { scripts: { clone: script } });
  const { engine, repo } = await engineFor(t, { up });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:clone] clone', title: 'Nested clone' }, noProgress));
  assert.equal(s.status, 'failed', s.statusReason);
  assert.match(s.statusReason ?? '', /could not be committed, .*app is a git repository of its own .*Make it a submodule/);
  assert.equal(git(s.worktree, 'rev-parse', 'HEAD'), git(repo, 'rev-parse', 'main'), 'nothing was committed');
  assert.doesNotMatch(git(s.worktree, 'diff', '--cached', '--name-only'), /^app$/m, 'nor left staged');
  const merged = await engine.sessions.merge({ sessionId: s.id, strategy: 'merge' }, noProgress);
  assert.ok(!merged.ok && /app is a git repository of its own/.test(merged.message), JSON.stringify(merged));
  assert.ok(existsSync(path.join(s.worktree, 'app', 'index.js')), 'the files are where they were');
  assert.doesNotMatch(git(repo, 'ls-tree', '-r', '--name-only', 'main'), /^app$/m, 'no pointer landed on main');
});

test('a repository a command makes in the worktree never has the host run its config: no fsmonitor, no filter, at any fingerprint or commit', async t => {
  const marker = path.join(tempDir(t, 'sy-escape-'), 'ran');
  const nested = (name: string, config: string) =>
    `mkdir ${name} && cd ${name} && git init -q && echo data > f && printf '* filter=x\\n' > .gitattributes && git add . && git -c user.email=a@b -c user.name=a commit -qm s && ${config} && touch f`;
  const script = {
    steps: [
      { calls: [{ name: 'run_command', arguments: { command: nested('mon', `git config core.fsmonitor 'echo fsmonitor >> ${marker}; false'`) } }] },
      { calls: [{ name: 'run_command', arguments: { command: nested('filt', `git config filter.x.clean 'echo filter >> ${marker}; cat'`) } }] },
      { calls: [{ name: 'run_command', arguments: { command: 'touch mon/f filt/f && echo again' } }] },
      { calls: [{ name: 'write_file', arguments: { path: 'app.txt', content: 'work\n' } }] },
      { calls: [{ name: 'finish', arguments: { summary: 'done' } }] },
    ],
  };
  const up = await upstream(t, { scripts: { nest: script } });
  const { engine, repo } = await engineFor(t, { up });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:nest] nest', title: 'Nested config' }, noProgress));
  assert.equal(s.status, 'failed', s.statusReason);
  assert.match(s.statusReason ?? '', /filt, mon are git repositories of their own/);
  const asked = await engine.sessions.discard({ sessionId: s.id });
  assert.ok(!asked.ok, JSON.stringify(asked));
  await engine.sessions.merge({ sessionId: s.id, strategy: 'merge' }, noProgress);
  assert.equal(existsSync(marker), false, `the host ran a nested repository's config: ${existsSync(marker) ? readFileSync(marker, 'utf8') : ''}`);
});

test('a worktree folder deleted by hand leaves its session as it was: its branch still merges', async t => {
  const up = await upstream(t, { scripts: { w: write('x.txt', 'x\n') } });
  const { engine, repo, home } = await engineFor(t, { up });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:w] x', title: 'Folder gone' }, noProgress));
  assert.equal(s.status, 'done', s.statusReason);
  await engine.shutdown();
  rmSync(s.worktree, { recursive: true, force: true });
  const later = await Engine.start({ home, settings: withDefaults({ baseURL: up.url }), apiKey: 'sk-test-upstream', headless: true, sink: silentSink });
  t.after(() => later.shutdown());
  const [seen] = await later.sessions.list(repo);
  assert.equal(seen.status, 'done', 'loading the sessions decides nothing about it');
  const merged = await later.sessions.merge({ sessionId: s.id, strategy: 'merge' }, noProgress);
  assert.ok(merged.ok, JSON.stringify(merged));
  assert.equal(readFileSync(path.join(repo, 'x.txt'), 'utf8'), 'x\n');
  assert.equal(later.sessions.get(s.id).record.status, 'merged');
});

test('a session whose worktree folder is gone is not resumed: nothing is sent, and the message says where its work is', async t => {
  const up = await upstream(t, { scripts: { finishing: writesThenFinishes } });
  const { engine, repo } = await engineFor(t, { up, settings: { maxTurns: 1 } });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:finishing] write it', title: 'Gone' }, noProgress));
  assert.equal(s.statusCause, 'turn-limit', s.statusReason);
  rmSync(s.worktree, { recursive: true, force: true });
  const requests = engine.sessions.info(engine.sessions.get(s.id)).usage.requests;
  await assert.rejects(engine.sessions.resume(s.id), new RegExp(`The worktree of "Gone" \\(${s.worktree.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\) is gone.*Nothing was sent\\. Its committed work is on ${s.branch}`));
  const after = engine.sessions.info(engine.sessions.get(s.id));
  assert.equal(after.status, 'failed', 'left as it was');
  assert.equal(after.usage.requests, requests, 'no request sent');
});

test("a session's branch and folder, deleted by hand, are not given to a new session of the same title: the old one's discard would take the new one's work", async t => {
  const up = await upstream(t, { scripts: { w: write('fix.txt', 'fixed\n') } });
  const { engine, repo } = await engineFor(t, { up });
  const old = await settle(engine, await engine.sessions.create({ repo, task: '[script:w] fix the bug', title: 'Fix bug' }, noProgress));
  rmSync(old.worktree, { recursive: true, force: true });
  git(repo, 'worktree', 'prune');
  git(repo, 'branch', '-D', old.branch);
  const fresh = await settle(engine, await engine.sessions.create({ repo, task: '[script:w] fix the bug again', title: 'Fix bug' }, noProgress));
  assert.notEqual(fresh.branch, old.branch);
  assert.notEqual(fresh.worktree, old.worktree);
  await engine.sessions.discard({ sessionId: old.id, force: true, deleteBranch: true });
  assert.ok(existsSync(fresh.worktree), "the new session's worktree is untouched");
  assert.equal(git(repo, 'rev-parse', '--verify', '--quiet', fresh.branch).length > 0, true);
});
