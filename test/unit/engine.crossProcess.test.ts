// A session another live process holds (a CLI run, a second window on the repository): pause, stop, tier
// and budget are carried out by that process; resume, merge and discard wait until it has let go. Two
// engines on one home stand for the two processes.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { processOf } from '../../src/host/util/fileLock';
import { withRepoLock } from '../../src/host/worktrees/lock';
import { openRepo } from '../../src/host/worktrees/repo';
import { engineFor, noProgress, settle, until, upstream } from './helpers/engineKit';

const longWork = {
  steps: [
    ...Array.from({ length: 8 }, (_, i) => ({ text: 'Working on it. '.repeat(40), calls: [{ name: 'write_file', arguments: { path: `f${i}.txt`, content: `${i}\n` } }] })),
    { calls: [{ name: 'finish', arguments: { summary: 'all written' } }] },
  ],
};
const noSandbox = { sandbox: { enabled: false, allowedDomains: [], denyRead: [] } };
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
/** A command agent that takes 1.5 s to end after SIGTERM, logging each start and end by pid. */
const slowToEnd = `trap 'sleep 1.5; echo ended-$$ >> log.txt; exit 0' TERM; echo start-$$ >> log.txt; while :; do sleep 0.05; done`;

/** Requests waiting in any process's inbox. */
function pendingRequests(home: string): string[] {
  const dir = path.join(home, 'requests');
  return existsSync(dir) ? readdirSync(dir).flatMap(inbox => readdirSync(path.join(dir, inbox)).map(f => `${inbox}/${f}`)) : [];
}

/**
 * Until `k` holds the session in its map: a list() may read the folder before the owner's first save of the
 * record has landed, and the session then shows at the next poll (within a second).
 */
async function knows(k: { engine: { sessions: { list(repo: string): Promise<unknown>; find(id: string): unknown } } }, repo: string, id: string): Promise<void> {
  await k.engine.sessions.list(repo);
  await until(`session ${id} to be known`, () => k.engine.sessions.find(id) !== undefined);
}

/** A command session, slow to end, run by `owner`, with `window` on the same home; `log` reads its agents' starts and ends. */
async function slowSessionInOwner(t: TestContext) {
  const up = await upstream(t);
  const owner = await engineFor(t, { up, settings: noSandbox });
  const window = await engineFor(t, { up, home: owner.home, repo: owner.repo, settings: noSandbox });
  const s = await owner.engine.sessions.create({ repo: owner.repo, task: 'slow to stop', title: 'Slow', agent: 'command', command: slowToEnd }, noProgress);
  const log = () => (existsSync(path.join(s.worktree, 'log.txt')) ? readFileSync(path.join(s.worktree, 'log.txt'), 'utf8').split('\n').filter(Boolean) : []);
  await until('the agent to start', () => log().length > 0);
  return { owner, window, s, log };
}

test('Stop, Pause, tier and budget of a session another process runs are done by that process; stopped, its agent sends nothing more', { timeout: 60_000 }, async t => {
  const up = await upstream(t, { scripts: { many: longWork, more: longWork }, eventDelayMs: 20 });
  const owner = await engineFor(t, { up });
  const window = await engineFor(t, { up, home: owner.home, repo: owner.repo });

  const s = await owner.engine.sessions.create({ repo: owner.repo, task: '[script:many] write many files', title: 'Many' }, noProgress);
  await until('two requests', () => up.requests.length >= 2);
  await knows(window, owner.repo, s.id);
  const stopped = await window.engine.sessions.stop(s.id);
  assert.equal(stopped.status, 'stopped', stopped.statusReason);
  const ended = await settle(owner.engine, s);
  assert.equal(ended.status, 'stopped', 'the owner stopped it');
  assert.equal(owner.engine.sessions.get(s.id).run, undefined, "the owner's agent has ended");
  const sent = up.requests.length;
  await sleep(1500);
  assert.equal(up.requests.length, sent, 'nothing was sent after the stop');
  assert.equal((await window.engine.sessions.list(owner.repo)).find(x => x.id === s.id)?.status, 'stopped', 'the window still shows it stopped');
  assert.deepEqual(pendingRequests(owner.home), [], 'the request was taken');

  const p = await owner.engine.sessions.create({ repo: owner.repo, task: '[script:more] write more files', title: 'More' }, noProgress);
  await until('two more requests', () => up.requests.length >= sent + 2);
  await knows(window, owner.repo, p.id);
  // A new tier and budget are made by the owner too: its next requests go at that tier.
  assert.equal((await window.engine.sessions.setTier(p.id, 'flex'))?.tier, 'flex');
  await window.engine.sessions.raiseBudget(p.id, 7);
  assert.equal(owner.engine.sessions.get(p.id).record.tier, 'flex');
  assert.equal(owner.engine.sessions.get(p.id).record.budgetUsd, 7);
  const afterTier = up.requests.length;
  await until('a request after the tier change', () => up.requests.length > afterTier);
  assert.equal((up.requests.at(-1)!.body as { service_tier?: string }).service_tier, 'flex', 'the owner sends at the new tier');
  assert.equal((await window.engine.sessions.pause(p.id)).status, 'paused');
  assert.equal((await settle(owner.engine, p)).status, 'paused');
  // Paused, it belongs to no process: the window resumes it and runs it to the end.
  assert.match((await window.engine.sessions.resume(p.id)).status, /^(queued|running)$/);
  const done = await settle(window.engine, p);
  assert.equal(done.status, 'done', done.statusReason);
});

test('a Stop asked of an owner that has just paused the session on its own is done here, and leaves no request for a later run', { timeout: 60_000 }, async t => {
  const up = await upstream(t, { scripts: { many: longWork }, eventDelayMs: 20 });
  const owner = await engineFor(t, { up });
  const window = await engineFor(t, { up, home: owner.home, repo: owner.repo });
  const s = await owner.engine.sessions.create({ repo: owner.repo, task: '[script:many] write', title: 'Many' }, noProgress);
  await until('two requests', () => up.requests.length >= 2);
  await knows(window, owner.repo, s.id);
  // Paused where it runs (Ctrl-C in a CLI run); the window's copy still says running.
  await owner.engine.sessions.pause(s.id);
  assert.equal(window.engine.sessions.get(s.id).record.status, 'running');
  const answer = await window.engine.sessions.stop(s.id);
  assert.equal(answer.status, 'stopped', answer.statusReason);
  assert.deepEqual(pendingRequests(owner.home), [], 'nothing left for a later owner');
  // Resumed in the window, it runs to the end: no Stop from before catches up with it.
  await window.engine.sessions.resume(s.id);
  const done = await settle(window.engine, s, 60_000);
  assert.equal(done.status, 'done', done.statusReason);
});

test("Pause then Stop from another window while the owner's agent is still ending: the owner ends it stopped", { timeout: 60_000 }, async t => {
  const up = await upstream(t);
  const owner = await engineFor(t, { up, settings: noSandbox });
  const window = await engineFor(t, { up, home: owner.home, repo: owner.repo, settings: noSandbox });
  const s = await owner.engine.sessions.create({ repo: owner.repo, task: 'slow to stop', title: 'Slow', agent: 'command', command: slowToEnd }, noProgress);
  await until('the agent to start', () => existsSync(path.join(s.worktree, 'log.txt')));
  await knows(window, owner.repo, s.id);
  assert.equal((await window.engine.sessions.pause(s.id)).status, 'paused');
  assert.equal(owner.engine.sessions.get(s.id).run, undefined, "the window's Pause returns once the owner's agent has ended");
  const stopped = await window.engine.sessions.stop(s.id);
  assert.equal(stopped.status, 'stopped');
  // Nothing writes over it: on disk, in the window, and in the owner once it looks again.
  await sleep(1500);
  const onDisk = JSON.parse(readFileSync(owner.engine.sessions.get(s.id).paths.record, 'utf8')) as { status: string };
  assert.equal(onDisk.status, 'stopped');
  assert.equal(window.engine.sessions.get(s.id).record.status, 'stopped');
  assert.equal(owner.engine.sessions.get(s.id).record.status, 'stopped');
});

test('Stop from another window while the owner is still ending a Stop of its own, then Discard: the work is removed only once the agent has ended', { timeout: 60_000 }, async t => {
  const up = await upstream(t);
  const owner = await engineFor(t, { up, settings: noSandbox });
  const window = await engineFor(t, { up, home: owner.home, repo: owner.repo, settings: noSandbox });
  const s = await owner.engine.sessions.create({ repo: owner.repo, task: 'slow to stop', title: 'Slow', agent: 'command', command: slowToEnd }, noProgress);
  const logFile = path.join(s.worktree, 'log.txt');
  await until('the agent to start', () => existsSync(logFile));
  await knows(window, owner.repo, s.id);
  const stopping = owner.engine.sessions.stop(s.id);
  await sleep(100);
  const discarded = await window.engine.sessions.discard({ sessionId: s.id, force: true });
  assert.ok(discarded.ok, JSON.stringify(discarded));
  await stopping;
  assert.equal(existsSync(s.worktree), false, 'the worktree is gone, and the agent wrote nothing into it after');
  await sleep(1500);
  const onDisk = JSON.parse(readFileSync(owner.engine.sessions.get(s.id).paths.record, 'utf8')) as { status: string };
  assert.equal(onDisk.status, 'discarded', 'nothing wrote over the discard');
});

test("Resume in a window while the owner's paused agent is still ending waits for it: never two agents in one worktree", { timeout: 60_000 }, async t => {
  const { owner, window, s, log } = await slowSessionInOwner(t);
  await knows(window, owner.repo, s.id);
  // Paused where it runs: its agent takes 1.5 s to end, and the window resumes it at once.
  const pausing = owner.engine.sessions.pause(s.id);
  const record = owner.engine.sessions.get(s.id).paths.record;
  await until('the pause to be on disk', () => (JSON.parse(readFileSync(record, 'utf8')) as { status: string }).status === 'paused');
  await window.engine.sessions.resume(s.id);
  await pausing;
  await until('the second agent to start', () => log().length >= 3);
  const [first, ended, second] = log();
  assert.match(first!, /^start-/);
  assert.equal(ended, `ended-${first!.slice('start-'.length)}`, 'the first agent ended before the second started');
  assert.match(second!, /^start-/);
  await window.engine.sessions.stop(s.id);
});

test("a session paused again while queued behind its ending agent stays held: another window's resume waits for that agent", { timeout: 60_000 }, async t => {
  const { owner, window, s, log } = await slowSessionInOwner(t);
  // Paused, resumed (queued while its agent ends) and paused again, all where it runs.
  const pausing = owner.engine.sessions.pause(s.id);
  await owner.engine.sessions.resume(s.id);
  await owner.engine.sessions.pause(s.id);
  await sleep(300);
  await knows(window, owner.repo, s.id);
  await window.engine.sessions.resume(s.id);
  await pausing;
  await until('the second agent to start', () => log().length >= 3);
  const [first, ended, second] = log();
  assert.equal(ended, `ended-${first!.slice('start-'.length)}`, 'the first agent ended before the second started');
  assert.match(second!, /^start-/);
  await window.engine.sessions.stop(s.id);
});

test('two windows resume the same paused session in the same moment: one runs it, the other is told, never two agents', { timeout: 60_000 }, async t => {
  const { owner, window, s, log } = await slowSessionInOwner(t);
  await knows(window, owner.repo, s.id);
  await owner.engine.sessions.pause(s.id);
  await until('the owner to let go of it', () => owner.engine.sessions.get(s.id).record.owner === undefined);
  await owner.engine.sessions.ctx.store.saved(s.id);
  // Both look before either acts: each has read the session free when it goes on to take it.
  let looked = 0;
  let bothLooked!: () => void;
  const gate = Promise.race([new Promise<void>(r => (bothLooked = r)), sleep(3000)]);
  for (const { engine } of [owner, window]) {
    const store = engine.sessions.ctx.store;
    const read = store.read.bind(store);
    let first = true;
    store.read = async (repo, id) => {
      const r = await read(repo, id);
      if (first) {
        first = false;
        if (++looked === 2) bothLooked();
        await gate;
      }
      return r;
    };
  }
  const results = await Promise.allSettled([window.engine.sessions.resume(s.id), owner.engine.sessions.resume(s.id)]);
  const ran = results.filter(r => r.status === 'fulfilled');
  const told = results.flatMap(r => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
  assert.equal(ran.length, 1, `one resume goes through: ${told.join('; ')}`);
  assert.match(told[0] ?? '', /was just resumed by another Switchyard process \(pid \d+\): it is (running|queued) there now/);
  await until('the second agent to start', () => log().filter(l => l.startsWith('start-')).length >= 2);
  await sleep(1500);
  assert.equal(log().filter(l => l.startsWith('start-')).length, 2, `one agent after the resumes: ${log().join(', ')}`);
  const runner = [owner, window].find(k => k.engine.sessions.get(s.id).run);
  assert.ok(runner, 'one of them runs it');
  await runner.engine.sessions.stop(s.id);
});

test('a session a dead process left queued is taken over by exactly one of the hosts that find it at once', { timeout: 60_000 }, async t => {
  const { owner, s, log } = await slowSessionInOwner(t);
  await owner.engine.sessions.pause(s.id);
  await owner.engine.sessions.ctx.store.saved(s.id);
  // As a killed CLI run would have left it: queued, held by a process that is gone.
  const file = owner.engine.sessions.get(s.id).paths.record;
  const gone = spawnSync('true').pid!;
  const record = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify({ ...record, status: 'queued', owner: { pid: gone, hostId: 'gone', host: hostname() }, savedBy: 'gone', updatedAt: new Date().toISOString() }));
  const up = owner.up;
  const [b, c] = await Promise.all([1, 2].map(() => engineFor(t, { up, home: owner.home, repo: owner.repo, settings: noSandbox })));
  await Promise.all([b!.engine.sessions.list(owner.repo), c!.engine.sessions.list(owner.repo)]);
  await until('the session to be taken over', () => log().filter(l => l.startsWith('start-')).length >= 2);
  await sleep(2000);
  assert.equal(log().filter(l => l.startsWith('start-')).length, 2, `one agent after the take-over: ${log().join(', ')}`);
  const runners = [owner, b!, c!].filter(k => k.engine.sessions.get(s.id).run);
  assert.equal(runners.length, 1, 'one host runs it');
  await runners[0]!.engine.sessions.stop(s.id);
});

test('a session discarded in one window and then in another, whose copy is behind: discarded once, and nobody holds it after', { timeout: 60_000 }, async t => {
  const { owner, window, s } = await slowSessionInOwner(t);
  await knows(window, owner.repo, s.id);
  await owner.engine.sessions.stop(s.id);
  await until('the owner to let go of it', () => owner.engine.sessions.get(s.id).record.owner === undefined);
  assert.ok((await owner.engine.sessions.discard({ sessionId: s.id, force: true })).ok);
  await owner.engine.sessions.ctx.store.saved(s.id);
  assert.notEqual(window.engine.sessions.get(s.id).record.status, 'discarded', "the window's copy is behind");
  assert.ok((await window.engine.sessions.discard({ sessionId: s.id, force: true })).ok, 'already done');
  assert.equal(existsSync(s.worktree), false);
  await Promise.all([owner, window].map(k => k.engine.sessions.ctx.store.saved(s.id)));
  const onDisk = JSON.parse(readFileSync(owner.engine.sessions.get(s.id).paths.record, 'utf8')) as { status: string; owner?: unknown };
  assert.equal(onDisk.status, 'discarded');
  assert.equal(onDisk.owner, undefined, 'nobody holds a discarded session');
  for (const k of [owner, window]) assert.equal(k.engine.sessions.get(s.id).reviewing, undefined);
});

test('a session being merged is held while it merges: it cannot be stopped or discarded meanwhile, and is let go of after', { timeout: 60_000 }, async t => {
  const up = await upstream(t, { scripts: { w: { steps: [{ calls: [{ name: 'write_file', arguments: { path: 'a.txt', content: 'a\n' } }] }, { calls: [{ name: 'finish', arguments: { summary: 'wrote a' } }] }] } } });
  const { engine, repo, home } = await engineFor(t, { up });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:w] write a', title: 'Write a' }, noProgress));
  assert.equal(s.status, 'done', s.statusReason);
  const live = engine.sessions.get(s.id);
  // Other git work on the repository holds the merge up, half-way.
  let letGo!: () => void;
  const held = new Promise<void>(r => (letGo = r));
  const gitWork = withRepoLock(await openRepo(repo), () => held, { locksDir: path.join(home, 'locks') });
  const merging = engine.sessions.merge({ sessionId: s.id, strategy: 'merge' }, noProgress);
  await until('the merge to hold the session', () => live.reviewing === 'merge');
  await engine.sessions.ctx.store.saved(s.id);
  const onDisk = () => JSON.parse(readFileSync(live.paths.record, 'utf8')) as { status: string; owner?: { hostId: string } };
  assert.equal(onDisk().owner?.hostId, engine.sessions.ctx.hostId, 'held on disk, so other processes wait');
  await assert.rejects(engine.sessions.stop(s.id), /being merged; stop it once that is done/);
  await assert.rejects(engine.sessions.discard({ sessionId: s.id, force: true }), /being merged already/);
  letGo();
  await gitWork;
  const merged = await merging;
  assert.ok(merged.ok, JSON.stringify(merged));
  await engine.sessions.ctx.store.saved(s.id);
  assert.equal(onDisk().status, 'merged');
  assert.equal(onDisk().owner, undefined, 'let go of once merged');
  assert.equal(live.reviewing, undefined);
});

test("a record the poll read just before this process resumed the session does not undo the resume", { timeout: 60_000 }, async t => {
  const { owner, s, log } = await slowSessionInOwner(t);
  // The window runs one session at a time, and runs one already: what it resumes waits in its queue.
  const window = await engineFor(t, { up: owner.up, home: owner.home, repo: owner.repo, settings: { ...noSandbox, maxConcurrentSessions: 1 } });
  const busy = await window.engine.sessions.create({ repo: owner.repo, task: 'busy', title: 'Busy', agent: 'command', command: slowToEnd }, noProgress);
  await knows(window, owner.repo, s.id);
  // The window's poll is slow (a busy disk): it reads the owner's pause, then takes a while to act on it.
  const store = window.engine.sessions.ctx.store;
  const changedSince = store.changedSince.bind(store);
  let readPause = false;
  store.changedSince = async (...a: Parameters<typeof changedSince>) => {
    const out = await changedSince(...a);
    if (!readPause && out.some(r => r.id === s.id && r.status === 'paused' && r.owner === undefined)) {
      readPause = true;
      await sleep(400);
    }
    return out;
  };
  await owner.engine.sessions.pause(s.id);
  await until("the window's poll to read the pause", () => readPause);
  // Meanwhile the window resumes it, from the record it reads under the session's lock.
  assert.equal((await window.engine.sessions.resume(s.id)).status, 'queued');
  await sleep(800);
  const held = window.engine.sessions.get(s.id).record;
  assert.equal(held.status, 'queued', 'still queued here, not the paused state read before the resume');
  assert.equal(held.owner?.hostId, window.engine.sessions.ctx.hostId, 'still held by the window');
  // Its turn comes when the slot frees.
  await window.engine.sessions.stop(busy.id);
  await until('the resumed agent to start', () => log().filter(l => l.startsWith('start-')).length >= 2);
  await window.engine.sessions.stop(s.id);
});

test("a merge from a window whose copy is behind merges the work the owner finished meanwhile, once; a second merge is told it is merged", { timeout: 60_000 }, async t => {
  const up = await upstream(t, { scripts: { long: longWork }, eventDelayMs: 2 });
  const owner = await engineFor(t, { up, settings: noSandbox });
  const window = await engineFor(t, { up, home: owner.home, repo: owner.repo, settings: noSandbox });
  const s = await owner.engine.sessions.create({ repo: owner.repo, task: '[script:long] write eight files', title: 'Long' }, noProgress);
  await knows(window, owner.repo, s.id);
  await until('the window to see it run', () => window.engine.sessions.get(s.id).record.status === 'running');
  // From here on the polls read nothing: each window's copy stays as it is until it acts.
  for (const k of [owner, window]) k.engine.sessions.ctx.store.changedSince = async () => [];
  const done = await settle(owner.engine, s);
  assert.equal(done.status, 'done', done.statusReason);
  await owner.engine.sessions.ctx.store.saved(s.id);
  assert.equal(window.engine.sessions.get(s.id).record.status, 'running', 'the window still sees it run');

  const merged = await window.engine.sessions.merge({ sessionId: s.id, strategy: 'merge' }, noProgress);
  assert.ok(merged.ok, JSON.stringify(merged));
  for (let i = 0; i < 8; i++) assert.equal(readFileSync(path.join(owner.repo, `f${i}.txt`), 'utf8'), `${i}\n`, `f${i}.txt, written in the owner's last turns`);
  await window.engine.sessions.ctx.store.saved(s.id);
  assert.equal(owner.engine.sessions.get(s.id).record.status, 'done', "the owner's copy is behind now");
  await assert.rejects(owner.engine.sessions.merge({ sessionId: s.id, strategy: 'merge' }, noProgress), /already merged/);
  const merges = spawnSync('git', ['rev-list', '--merges', '--count', 'HEAD'], { cwd: owner.repo, encoding: 'utf8' }).stdout.trim();
  assert.equal(merges, '1', 'merged once');
});

/** A session paused here (its record on disk), and a live process to stand for another Switchyard process. */
async function pausedHereWithAnotherProcess(t: TestContext, title: string) {
  const up = await upstream(t);
  const here = await engineFor(t, { up, settings: noSandbox });
  const s = await here.engine.sessions.create({ repo: here.repo, task: 'wait', title, agent: 'command', command: 'while :; do sleep 0.05; done' }, noProgress);
  await here.engine.sessions.pause(s.id);
  const live = here.engine.sessions.get(s.id);
  await here.engine.sessions.ctx.store.flush();
  const other = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.after(() => other.kill('SIGKILL'));
  await until('the other process to start', () => other.pid !== undefined);
  return { here, s, live, other };
}

test('a resume asked just as another process\'s run ends waits for that run\'s last record rather than saying it still runs', { timeout: 60_000 }, async t => {
  const { here, s, live, other } = await pausedHereWithAnotherProcess(t, 'Ending there');
  const mine = JSON.parse(readFileSync(live.paths.record, 'utf8')) as Record<string, unknown>;
  const rev = live.record.rev ?? 0;
  // The other process ran it; its run has just ended, and its last record (paused, let go of) lands a moment later.
  writeFileSync(live.paths.record, JSON.stringify({ ...mine, status: 'running', statusReason: 'Resumed.', owner: { ...processOf(other.pid!), hostId: 'host-b', beats: true }, savedBy: 'host-b', rev: rev + 1, updatedAt: new Date().toISOString() }));
  // Its agent's last request, metered as it ended, counted one more turn: no reason to refuse the resume.
  const lands = setTimeout(() => writeFileSync(live.paths.record, JSON.stringify({ ...mine, status: 'paused', statusReason: 'Paused by the user.', turns: 1, owner: undefined, savedBy: 'host-b', rev: rev + 2, updatedAt: new Date().toISOString() })), 600);
  t.after(() => clearTimeout(lands));
  const resumed = await here.engine.sessions.resume(s.id);
  assert.match(resumed.status, /^(queued|running)$/);
  await here.engine.sessions.stop(s.id);
});

test('a resume that waited while another process ran the session is not carried out after that run: the session moved on, and it says how', { timeout: 60_000 }, async t => {
  const { here, s, live, other } = await pausedHereWithAnotherProcess(t, 'Resumed twice');
  const mine = JSON.parse(readFileSync(live.paths.record, 'utf8')) as Record<string, unknown>;
  const rev = live.record.rev ?? 0;
  // Another resume, asked at the same moment, ran it two turns to its limit; this one waited for that run to end.
  writeFileSync(live.paths.record, JSON.stringify({ ...mine, status: 'running', statusReason: 'Resumed.', resumes: 1, owner: { ...processOf(other.pid!), hostId: 'host-b', beats: true }, savedBy: 'host-b', rev: rev + 1, updatedAt: new Date().toISOString() }));
  const ends = setTimeout(() => writeFileSync(live.paths.record, JSON.stringify({ ...mine, status: 'failed', statusReason: 'Reached its limit of 2 turns.', turns: 2, resumes: 1, owner: undefined, savedBy: 'host-b', rev: rev + 2, updatedAt: new Date().toISOString() })), 600);
  t.after(() => clearTimeout(ends));
  await assert.rejects(here.engine.sessions.resume(s.id), {
    message: '"Resumed twice" was paused when this resume was asked; another resume has run it since for 2 turns, and it is failed now (Reached its limit of 2 turns). Nothing was resumed: look at it, then resume it again if it should go on.',
  });
  assert.equal(live.record.status, 'failed');
  assert.equal(live.record.owner, undefined, 'nobody holds it');
  // Asked again, now that it is seen as it is: it goes on.
  const resumed = await here.engine.sessions.resume(s.id);
  assert.match(resumed.status, /^(queued|running)$/);
  await here.engine.sessions.stop(s.id);
});

test("a record another process saved with a clock behind this one's is still the newer one: a resume here is refused while that process runs the session", { timeout: 60_000 }, async t => {
  const { here, s, live, other } = await pausedHereWithAnotherProcess(t, 'Skewed');
  // Another process (on a machine whose clock is 2 s behind) resumed it since: it read this record, and wrote its own.
  const theirs = {
    ...JSON.parse(readFileSync(live.paths.record, 'utf8')) as Record<string, unknown>,
    status: 'running', statusReason: 'Resumed.', owner: { ...processOf(other.pid!), hostId: 'host-b', beats: true },
    savedBy: 'host-b', rev: (live.record.rev ?? 0) + 1, updatedAt: new Date(Date.parse(live.record.updatedAt) - 2000).toISOString(),
  };
  writeFileSync(live.paths.record, JSON.stringify(theirs));
  await assert.rejects(here.engine.sessions.resume(s.id), /is running in another Switchyard process \(pid \d+\): pause or stop it there first \(in a window, from the Sessions view; a CLI run pauses on Ctrl-C, or on `kill -INT \d+`\), then resume it\./);
  assert.equal(live.record.status, 'running', 'shown as that process has it');
  assert.equal(live.record.owner?.hostId, 'host-b');
});
