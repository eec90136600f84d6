import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GuardSettingsError, GuardStateError } from '../../src/host/guard/errors';
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
  assert.throws(() => guard.resume(), GuardStateError);
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
