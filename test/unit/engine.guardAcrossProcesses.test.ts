// The loop guard of a session run by more than one process (a CLI resume, a window opened again, a
// process killed): rebuilt from the session's trace, it judges a loop after the resume as the same loop.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { replay } from '../../src/host/guard/replay';
import { parseTrace } from '../../src/host/guard/trace';
import type { TraceTurn } from '../../src/protocol/records';
import type { SessionInfo } from '../../src/protocol/types';
import { engineFor, noProgress, settle, until, upstream, type EngineKit } from './helpers/engineKit';

const failingForever = {
  repeatLast: true,
  steps: [{ calls: [{ name: 'run_command', arguments: { command: "echo 'FAIL test/math.test.js > adds: expected 4, received 5' && exit 1" } }] }],
};

/** The session's trace as it is on disk, read strictly: turn numbers that do not increase fail. */
function traceOf(kit: EngineKit, s: SessionInfo): TraceTurn[] {
  const file = kit.engine.sessions.get(s.id).paths.trace;
  return parseTrace(readFileSync(file, 'utf8'), file);
}

/** A looping session run headless until its budget stops it, while the guard is warning. */
async function overBudget(kit: EngineKit, o: { tier?: SessionInfo['tier']; budgetUsd?: number } = {}): Promise<SessionInfo> {
  const created = await kit.engine.sessions.create({ repo: kit.repo, task: '[script:loop] make the test pass', title: 'Loop', budgetUsd: o.budgetUsd ?? 0.026, tier: o.tier }, noProgress);
  const s = await settle(kit.engine, created);
  assert.equal(s.status, 'over-budget', s.statusReason);
  assert.equal(s.guard.level, 'warn', JSON.stringify(s.guard));
  return s;
}

/** Another process on the same home: it loads the sessions, raises the budget and resumes. */
async function resumeElsewhere(t: import('node:test').TestContext, first: EngineKit, s: SessionInfo, o: { headless?: boolean; before?: (kit: EngineKit) => Promise<void> } = {}): Promise<{ kit: EngineKit; again: SessionInfo }> {
  const kit = await engineFor(t, { up: first.up, home: first.home, repo: first.repo, headless: o.headless });
  await kit.engine.sessions.list(first.repo);
  await o.before?.(kit);
  await kit.engine.sessions.raiseBudget(s.id, 1);
  await kit.engine.sessions.resume(s.id);
  return { kit, again: await settle(kit.engine, s) };
}

/** Stopped as stuck within `most` requests after the resume, with the trace's turns numbered 1, 2, 3… throughout. */
function stoppedSoon(kit: EngineKit, again: SessionInfo, requests: { total: number; before: number }, most: number): void {
  // Stuck the first time; looping again after a resume with a hint, stopped.
  assert.equal(again.status, /^Loop guard: Stopped: still looping after it was resumed/.test(again.statusReason ?? '') ? 'stopped' : 'stuck', again.statusReason);
  assert.ok(requests.total - requests.before <= most, `${requests.total - requests.before} requests after the resume`);
  assertNumberedOn(kit, again, requests.total);
}

/** Every request's turn in the trace, numbered 1…n across the processes that ran it. */
function assertNumberedOn(kit: EngineKit, s: SessionInfo, n: number): void {
  assert.deepEqual(traceOf(kit, s).map(x => x.turn), Array.from({ length: n }, (_, i) => i + 1));
}

test('a loop resumed in another process is the same loop: its guard is rebuilt from the trace, not started afresh', async t => {
  const up = await upstream(t, { scripts: { loop: failingForever } });
  // Headless, as a CLI run: the budget ends the first run while the guard is warning.
  const first = await engineFor(t, { up });
  const s = await overBudget(first);
  const ran = up.requests.length;
  await first.engine.shutdown();
  // The next process (a `switchyard resume --budget`): the loop goes on where it was, and is stopped soon.
  const { kit: next, again } = await resumeElsewhere(t, first, s);
  // A fresh guard would warn again at the 2nd and stop at the 6th.
  stoppedSoon(next, again, { total: up.requests.length, before: ran }, 3);
  assert.match(again.statusReason ?? '', /^Loop guard: Stopped as stuck/);
  assert.equal(again.guard.turnsSinceProgress, s.guard.turnsSinceProgress + up.requests.length - ran, 'the turns without progress count on');
});

test('paused as stuck in one window and resumed with a hint in the next, a loop that goes on is stopped for good', async t => {
  const up = await upstream(t, { scripts: { loop: failingForever } });
  const first = await engineFor(t, { up, headless: false });
  const s = await settle(first.engine, await first.engine.sessions.create({ repo: first.repo, task: '[script:loop] make the test pass', title: 'Loop' }, noProgress));
  assert.equal(s.status, 'stuck', s.statusReason);
  await first.engine.shutdown();
  const next = await engineFor(t, { up, headless: false, home: first.home, repo: first.repo });
  await next.engine.sessions.list(first.repo);
  await next.engine.sessions.resume(s.id, 'The expected value in the test is wrong; fix the test fixture.');
  const again = await settle(next.engine, s);
  assert.equal(again.status, 'stopped', 'stopped, as the guard says: nothing left to stop');
  assert.match(again.statusReason ?? '', /^Loop guard: Stopped: still looping after it was resumed with the hint/);
});

test('a CLI run the guard stopped, resumed by the next run: the same loop is stopped at once, with no second allowance', async t => {
  const up = await upstream(t, { scripts: { loop: failingForever } });
  const first = await engineFor(t, { up });
  const s = await settle(first.engine, await first.engine.sessions.create({ repo: first.repo, task: '[script:loop] make the test pass', title: 'Loop' }, noProgress));
  assert.equal(s.status, 'stuck', s.statusReason);
  assert.match(s.statusReason ?? '', /^Loop guard: Stopped as stuck/);
  const ran = up.requests.length;
  await first.engine.shutdown();
  const next = await engineFor(t, { up, home: first.home, repo: first.repo });
  await next.engine.sessions.list(first.repo);
  await next.engine.sessions.resume(s.id, 'The expected value in the test is wrong.');
  const again = await settle(next.engine, s);
  // A fresh guard would warn and nudge again at the 2nd request and stop at the 6th.
  stoppedSoon(next, again, { total: up.requests.length, before: ran }, 2);
  assert.match(again.statusReason ?? '', /^Loop guard: Stopped: still looping after it was resumed with the hint "The expected value/);
  assert.ok(again.guard.spentSinceProgressUsd > s.guard.spentSinceProgressUsd, 'the money since the last progress counts on');
});

test('a tier the user chose while the session was paused holds: the rebuilt guard never raises it', async t => {
  const up = await upstream(t, { scripts: { loop: failingForever } });
  const first = await engineFor(t, { up, headless: false });
  const s = await overBudget(first, { tier: 'priority', budgetUsd: 0.027 });
  await first.engine.shutdown();
  const { kit, again } = await resumeElsewhere(t, first, s, { headless: false, before: k => k.engine.sessions.setTier(s.id, 'flex').then(() => undefined) });
  assert.equal(again.status, 'stuck', again.statusReason);
  assert.equal(again.tier, 'flex');
  const { tierHistory } = JSON.parse(readFileSync(kit.engine.sessions.get(s.id).paths.record, 'utf8')) as { tierHistory: { from: string; to: string }[] };
  assert.ok(!tierHistory.some(h => h.from === 'flex'), `no step up from flex: ${JSON.stringify(tierHistory)}`);
});

test('a run stopped at its turn limit, resumed in another process, goes on counting the loop', async t => {
  const up = await upstream(t, { scripts: { loop: failingForever } });
  const first = await engineFor(t, { up, settings: { maxTurns: 3 } });
  const s = await settle(first.engine, await first.engine.sessions.create({ repo: first.repo, task: '[script:loop] make the test pass', title: 'Loop' }, noProgress));
  assert.equal(s.status, 'failed', s.statusReason);
  assert.equal(s.statusCause, 'turn-limit');
  const ran = up.requests.length;
  await first.engine.shutdown();
  // Its last response was traced when the run ended, without the guard judging it: the rebuild still agrees.
  const { kit, again } = await resumeElsewhere(t, first, s);
  // From the warning it had reached: a fresh guard would stop it at the 6th.
  stoppedSoon(kit, again, { total: up.requests.length, before: ran }, 4);
});

test('a process killed between tracing a turn and saving the record: the turn counts, and turns are numbered on from it', async t => {
  const up = await upstream(t, { scripts: { loop: failingForever } });
  const first = await engineFor(t, { up });
  const s = await overBudget(first, { budgetUsd: 0.027 });
  const ran = up.requests.length;
  await first.engine.shutdown();
  // As the record was one save before the end: the trace holds a turn the record does not.
  const file = first.engine.sessions.get(s.id).paths.record;
  const record = JSON.parse(readFileSync(file, 'utf8')) as { tracedTurns: number; guardTurn: number; guard: SessionInfo['guard'] };
  const turns = parseTrace(readFileSync(first.engine.sessions.get(s.id).paths.trace, 'utf8'));
  const before = replay(turns.slice(0, -1), {}, { headless: true }).turns.at(-1)!;
  writeFileSync(file, JSON.stringify({ ...record, tracedTurns: record.tracedTurns - 1, guardTurn: record.guardTurn - 1, guard: { level: before.level, spentSinceProgressUsd: before.spentSinceProgressUsd, turnsSinceProgress: before.turnsSinceProgress } }));
  const { kit, again } = await resumeElsewhere(t, first, s);
  stoppedSoon(kit, again, { total: up.requests.length, before: ran }, 3);
});

test('a window that ran the session before, resuming it after another process ran it, judges it from the trace and numbers on', async t => {
  const up = await upstream(t, { scripts: { loop: failingForever } });
  const first = await engineFor(t, { up });
  const s = await overBudget(first);
  // Another process runs it on until the guard stops it.
  const { again: stopped } = await resumeElsewhere(t, first, s);
  assert.equal(stopped.status, 'stuck', stopped.statusReason);
  // The first one, still open, shows it stuck (its poll reads the record) and resumes it: its own guard and
  // turn count are stale.
  await until('the window to show it stuck', () => first.engine.sessions.get(s.id).record.status === 'stuck');
  await first.engine.sessions.resume(s.id, 'Look at the test itself.');
  const last = await settle(first.engine, s);
  assert.equal(last.status, 'stuck', last.statusReason);
  assertNumberedOn(first, last, up.requests.length);
});

test('a queued session a window takes over from a process that died is judged from its trace', async t => {
  const up = await upstream(t, { scripts: { loop: failingForever } });
  const first = await engineFor(t, { up });
  const s = await overBudget(first);
  const ran = up.requests.length;
  await first.engine.shutdown();
  // As a `switchyard resume --budget 1` left it when killed while the session waited for a slot.
  const file = first.engine.sessions.get(s.id).paths.record;
  const { owner: _gone, ...record } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify({ ...record, status: 'queued', statusReason: 'Resumed.', statusCause: undefined, budgetUsd: 1 }));
  // A window opened next picks it up on its own and runs it.
  const next = await engineFor(t, { up, headless: false, home: first.home, repo: first.repo });
  await next.engine.sessions.list(first.repo);
  const again = await settle(next.engine, s);
  stoppedSoon(next, again, { total: up.requests.length, before: ran }, 3);
});
