import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GuardSettingsError } from '../../src/host/guard/errors';
import { LoopGuard, type GuardDecision } from '../../src/host/guard/loopGuard';
import { DEFAULT_GUARD_SETTINGS, resolveGuardSettings } from '../../src/host/guard/settings';
import type { TraceTurn } from '../../src/protocol/records';
import { cmd, jestFail, productiveSession, read, turns, write } from './guardTurns';

const failingNpmTest = () => cmd('npm test', jestFail('test/db.test.ts', 'db › connects', 'connected', 'ECONNREFUSED 127.0.0.1:5432'), 1);

/** A scripted agent that runs the same failing command every turn, for `n` turns or until told to stop. */
function loopingTurns(n: number, cost = 0.05): TraceTurn[] {
  const t = turns();
  return Array.from({ length: n }, () => t([failingNpmTest()], { cost }));
}

const observeAll = (guard: LoopGuard, sequence: TraceTurn[]): GuardDecision[] => sequence.map(x => guard.observe(x));

test('escalation: warn with a nudge, then downgrade the tier, then pause, two looping turns apart', () => {
  const guard = new LoopGuard({}, { headless: false, tier: 'standard' });
  const d = observeAll(guard, loopingTurns(6));
  assert.deepEqual(d.map(x => x.level), ['ok', 'warn', 'warn', 'downgrade', 'downgrade', 'pause']);
  assert.deepEqual(d.map(x => x.action), ['none', 'nudge', 'none', 'downgrade', 'none', 'pause']);
  assert.equal(d[3]!.downgradeTo, 'flex');
  assert.match(d[1]!.nudge!, /^\[Switchyard loop guard\] The same error 2 times/);
  assert.equal(d.filter(x => x.nudge).length, 1, 'the nudge is injected once');
  for (const x of d.slice(1)) assert.equal(x.signal?.kind, 'repeated-error');
  assert.match(d[3]!.reason!, /tier lowered from standard to flex/);
  assert.match(d[5]!.reason!, /^Stuck, paused for you to resume, resume with a hint, or stop: The same error 6 times/);
  assert.equal(d[5]!.spentSinceProgressUsd.toFixed(2), '0.30');
  assert.deepEqual(guard.state, { level: 'pause', reason: d[5]!.reason, spentSinceProgressUsd: d[5]!.spentSinceProgressUsd, turnsSinceProgress: 6 });
});

test('end to end: an agent repeating a failing command is paused before its 7th request and spends nothing after', () => {
  const guard = new LoopGuard(DEFAULT_GUARD_SETTINGS, { headless: false });
  const t = turns();
  // The host's gate before each model request: a stuck (or stopped) session makes none.
  const mayRequest = () => guard.state.level !== 'pause' && guard.state.level !== 'stop';
  let requests = 0;
  let pausedAt: number | undefined;
  let spentAfterPause = 0;
  for (let attempt = 0; attempt < 20; attempt++) {
    if (!mayRequest()) continue;
    requests++;
    const cost = 0.04;
    if (pausedAt !== undefined) spentAfterPause += cost;
    const decision = guard.observe(t([failingNpmTest()], { cost }));
    if (decision.action === 'pause') pausedAt ??= requests;
  }
  assert.equal(pausedAt, 6, 'paused on the turn of the 6th request');
  assert.equal(requests, 6);
  assert.equal(spentAfterPause, 0);
});

test('end to end: a productive 15-turn session finishes untouched', () => {
  const guard = new LoopGuard({}, { headless: false });
  const d = observeAll(guard, productiveSession(15));
  assert.equal(d.length, 15);
  assert.ok(d.every(x => x.level === 'ok' && x.action === 'none'), JSON.stringify(d.find(x => x.level !== 'ok')));
  assert.equal(guard.state.level, 'ok');
});

test('a downgrade from priority goes to standard; at flex the downgrade is skipped and it pauses instead', () => {
  const priority = observeAll(new LoopGuard({}, { headless: false, tier: 'priority' }), loopingTurns(4));
  assert.equal(priority[3]!.downgradeTo, 'standard');
  const flex = observeAll(new LoopGuard({}, { headless: false, tier: 'flex' }), loopingTurns(4));
  assert.deepEqual(flex.map(x => x.action), ['none', 'nudge', 'none', 'pause']);
  const changed = new LoopGuard({}, { headless: false, tier: 'standard' });
  changed.tierChanged('flex');
  assert.equal(observeAll(changed, loopingTurns(4))[3]!.action, 'pause');
});

test('headless: warn, no downgrade, and stop where an interactive run would pause', () => {
  const d = observeAll(new LoopGuard({}, { headless: true, tier: 'standard' }), loopingTurns(6));
  assert.deepEqual(d.map(x => x.level), ['ok', 'warn', 'warn', 'warn', 'warn', 'stop']);
  assert.deepEqual(d.map(x => x.action), ['none', 'nudge', 'none', 'none', 'none', 'stop']);
  assert.match(d[5]!.reason!, /headless run stops rather than waits for someone; `switchyard resume` goes on with it/);
  const flex = observeAll(new LoopGuard({}, { headless: true, tier: 'flex' }), loopingTurns(4));
  assert.equal(flex[3]!.action, 'stop');
});

test('resume with a hint: detection starts afresh, and looping again stops the session, naming the hint', () => {
  const guard = new LoopGuard({}, { headless: false });
  const t = turns();
  const run = () => guard.observe(t([failingNpmTest()], { cost: 0.05 }));
  for (let i = 0; i < 6; i++) run();
  assert.equal(guard.state.level, 'pause');
  assert.equal(run().action, 'pause', 'a turn already under way changes nothing');
  guard.resume('Postgres is not running: start it with docker compose up db');
  assert.equal(guard.state.level, 'ok');
  assert.match(guard.state.reason!, /Resumed with a hint: "Postgres is not running/);
  const first = run();
  assert.equal(first.action, 'none', 'the repeats before the pause no longer count');
  const second = run();
  assert.equal(second.action, 'stop');
  assert.match(second.reason!, /still looping after it was resumed with the hint "Postgres is not running/);
  assert.equal(second.spentSinceProgressUsd.toFixed(2), '0.45', 'the money since progress stopped keeps counting');
  assert.equal(second.final, true, 'a stop after a resume ends the session');
  const underWay = run();
  assert.deepEqual([underWay.action, underWay.final], ['stop', true], 'a turn already under way is held as stopped for good, not paused');
  assert.equal(guard.state.spentSinceProgressUsd.toFixed(2), '0.50');
  // Resumed again after that stop: judged afresh, and stopped the moment it loops again, as after a pause.
  guard.resume();
  assert.equal(guard.state.level, 'ok');
  assert.deepEqual([run().action, run().action], ['none', 'stop']);
  assert.equal(guard.state.spentSinceProgressUsd.toFixed(2), '0.60', 'the money since progress goes on counting');
});

test('a headless stop resumed (a CLI run resumed): the same loop stops at once, without a second allowance', () => {
  const guard = new LoopGuard({}, { headless: true });
  const t = turns();
  const run = () => guard.observe(t([failingNpmTest()], { cost: 0.05 }));
  const first: string[] = [];
  while (guard.state.level !== 'stop') first.push(run().action);
  assert.ok(first.includes('nudge') && first.at(-1) === 'stop', first.join(','));
  guard.resume('look at the database');
  const again: string[] = [];
  while (guard.state.level !== 'stop' && again.length < 20) again.push(run().action);
  assert.deepEqual(again, ['none', 'stop'], 'no second warning, nudge or allowance');
  assert.match(guard.state.reason!, /still looping after it was resumed with the hint "look at the database"/);
});

test('resumed, then real progress: a later loop is warned again rather than stopped', () => {
  const guard = new LoopGuard({}, { headless: false });
  const t = turns();
  for (let i = 0; i < 6; i++) guard.observe(t([failingNpmTest()]));
  guard.resume();
  assert.equal(guard.observe(t([write('docker-compose.yml', 'services: {db: {image: postgres}}')])).level, 'ok');
  assert.equal(guard.observe(t([read('src/db.ts')])).level, 'ok');
  const again = [guard.observe(t([failingNpmTest()])), guard.observe(t([failingNpmTest()]))];
  assert.deepEqual(again.map(x => x.action), ['none', 'nudge']);
});

test('progress steps the escalation back down, and a new loop gets a new nudge', () => {
  const guard = new LoopGuard({}, { headless: false });
  const t = turns();
  const loop = () => guard.observe(t([failingNpmTest()]));
  loop();
  loop();
  loop();
  assert.equal(loop().level, 'downgrade');
  assert.equal(guard.observe(t([write('src/db.ts', 'retry connecting')])).level, 'warn');
  assert.equal(guard.observe(t([write('src/db.ts', 'use a pool with a timeout')])).level, 'ok');
  assert.equal(guard.state.reason, undefined);
  loop();
  const warned = loop();
  assert.equal(warned.action, 'nudge');
  assert.equal(guard.state.turnsSinceProgress, 2);
});

test('an edit made while a loop signal fires is not progress: the money keeps counting', () => {
  const guard = new LoopGuard({}, { headless: false });
  const t = turns();
  const fail = () => cmd('npx tsc --noEmit', "src/routes/invoices.ts(16,22): error TS2345: Argument of type 'string | undefined'.", 2);
  const seq = [
    t([fail()], { cost: 0.1 }),
    t([write('tsconfig.json', '{"skipLibCheck":true}')], { cost: 0.1 }),
    t([fail()], { cost: 0.1 }),
    t([write('package.json', '{}')], { cost: 0.1 }),
    t([fail()], { cost: 0.1 }),
    t([write('src/types/express.d.ts', 'declare module')], { cost: 0.1 }),
  ];
  const d = observeAll(guard, seq);
  assert.equal(d[4]!.signal?.kind, 'same-failure');
  assert.equal(d[5]!.signal?.kind, 'same-failure');
  // Turn 4's edit came before the loop was evident, so it reset the count; the edit at turn 6 did not.
  assert.equal(d[3]!.spentSinceProgressUsd, 0);
  assert.equal(d[5]!.spentSinceProgressUsd.toFixed(2), '0.20');
  assert.equal(d[5]!.level, 'warn');
});

test('a disabled guard never intervenes but still counts what was spent', () => {
  const guard = new LoopGuard({ enabled: false }, { headless: false });
  const d = observeAll(guard, loopingTurns(10, 0.1));
  assert.ok(d.every(x => x.action === 'none' && x.level === 'ok'));
  assert.equal(guard.state.spentSinceProgressUsd.toFixed(2), '1.00');
  assert.equal(guard.state.turnsSinceProgress, 10);
});

test('resume is a no-op when nothing is paused', () => {
  const guard = new LoopGuard();
  guard.resume('hint');
  assert.deepEqual(guard.state, { level: 'ok', spentSinceProgressUsd: 0, turnsSinceProgress: 0 });
});

test('settings are checked and a bad one is named', () => {
  assert.deepEqual(resolveGuardSettings({}), DEFAULT_GUARD_SETTINGS);
  assert.equal(resolveGuardSettings({ repeatedCall: 5 }).repeatedCall, 5);
  assert.throws(() => resolveGuardSettings({ repeatedCall: 1 }), (e: unknown) => e instanceof GuardSettingsError && e.setting === 'repeatedCall' && /at least 2/.test(e.message));
  assert.throws(() => resolveGuardSettings({ noProgressUsd: -1 }), /"noProgressUsd" must be a positive number/);
  assert.throws(() => resolveGuardSettings({ escalateAfter: 1.5 }), /"escalateAfter" must be a whole number/);
  assert.throws(() => resolveGuardSettings({ bogus: 1 } as never), /"bogus" is not a loop guard setting/);
  assert.throws(() => new LoopGuard({ alternation: 3 }), GuardSettingsError);
});

test('a long productive session stays quiet and the guard keeps bounded history', () => {
  const guard = new LoopGuard({}, { headless: false });
  const started = Date.now();
  const d = observeAll(guard, productiveSession(600));
  assert.ok(d.every(x => x.level === 'ok'));
  assert.ok(Date.now() - started < 5000, 'observing 600 turns is fast');
});

/** A read_file call as the built-in tool answers it: each line numbered, from `from`. */
const page = (path: string, from: number, count: number) => ({
  name: 'read_file',
  arguments: JSON.stringify({ path, start_line: from, end_line: from + count - 1 }),
  output: Array.from({ length: count }, (_, i) => `${from + i}\tline ${from + i} of the log`).join('\n'),
});

test('paging through a long file is reading on, not circling; a window moved a little, again and again, is circling', () => {
  const paging = new LoopGuard({}, { headless: true });
  const t = turns();
  const levels = Array.from({ length: 20 }, (_, i) => paging.observe(t([page('big.log', 1 + i * 1000, 1000)], { cost: 0.02 })).level);
  assert.deepEqual(new Set(levels), new Set(['ok']), levels.join(','));
  // A look back at a page already read is not new: five of them with nothing changed are a loop.
  const back = Array.from({ length: 6 }, (_, i) => paging.observe(t([page('big.log', 1 + (i % 3) * 1000, 1000)], { cost: 0.02 })));
  assert.notEqual(back.at(-1)!.level, 'ok');

  const circling = new LoopGuard({}, { headless: true });
  const c = turns();
  const shifted = Array.from({ length: 12 }, (_, i) => circling.observe(c([page('src/money.ts', 100 + i * 2, 40)])));
  assert.equal(shifted.at(-1)!.level, 'stop', shifted.map(d => d.level).join(','));
});

test('a failing command that rewrites its own report each run is a loop: the report is no progress', () => {
  const guard = new LoopGuard({}, { headless: true });
  const t = turns();
  const run = (n: number) => guard.observe(t([cmd('npm test', `Error: connect ECONNREFUSED 127.0.0.1:5432\nwrote junit.xml at 10:0${n}`, 1)], { changed: ['junit.xml'], hash: `report-${n}` }));
  const decisions = Array.from({ length: 8 }, (_, i) => run(i));
  assert.equal(decisions[0]!.action, 'none', 'the first run is no loop');
  assert.ok(decisions.slice(1, 4).some(d => d.action === 'nudge'), decisions.map(d => d.action).join(','));
  assert.equal(guard.state.level, 'stop', decisions.map(d => d.action).join(','));
  // An edit between the runs is work on it, though.
  const working = new LoopGuard({}, { headless: true });
  const w = turns();
  for (let i = 0; i < 6; i++) {
    working.observe(w([write(`src/db${i}.ts`, `export const tries = ${i};\n`)], { hash: `edit-${i}` }));
    working.observe(w([cmd('npm test', `FAIL test/db.test.ts\nError: connect ECONNREFUSED (src/db${i}.ts:3)\nwrote junit.xml`, 1)], { changed: ['junit.xml'], hash: `run-${i}` }));
  }
  assert.notEqual(working.state.level, 'stop');
});
