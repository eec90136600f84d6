// Turns that are paid for but add nothing to the conversation (an answer cut off at the output limit
// while the model reasoned), and turn counts across runs: the loop guard, the turn limit and the trace
// count every response, in whichever process the session runs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { SessionStore } from '../../src/host/sessions/sessionStore';
import { homeLayout } from '../../src/host/home';
import { engineFor, noProgress, settle, upstream } from './helpers/engineKit';
import { writesThenFinishes } from './helpers/scripts';

/** Every answer runs out of output tokens while still reasoning: no text, no call, and paid for. */
const cutOff = { steps: [{ text: 'thinking', reasoningTokens: 20000 }], repeatLast: true };
/** A new file every turn, forever: progress each turn, never finished. */
const writes = { steps: [{ calls: [{ name: 'write_file', arguments: { path: 'f{{turn}}.txt', content: 'x\n' } }] }], repeatLast: true };
/** One answer cut off, then writes: the conversation holds one model turn fewer than were paid for. */
const cutThenWrites = { steps: [cutOff.steps[0]!, writes.steps[0]!], repeatLast: true };

const traceTurns = (home: string, repo: string, id: string) =>
  readFileSync(new SessionStore(homeLayout(home)).paths(repo, id).trace, 'utf8').trim().split('\n').map(l => (JSON.parse(l) as { turn: number }).turn);

test('answers cut off while reasoning are turns to the loop guard: the session is paused as stuck long before its turn limit', async t => {
  const up = await upstream(t, { scripts: { cut: cutOff } });
  const { engine, repo } = await engineFor(t, { up, settings: { maxTurns: 60 } });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:cut] think forever', title: 'Cut off' }, noProgress));
  assert.equal(s.status, 'stuck', s.statusReason);
  assert.ok(s.usage.requests < 15, `paused after ${s.usage.requests} requests`);
  assert.ok(s.guard.turnsSinceProgress >= 5, `${s.guard.turnsSinceProgress} turns without progress counted`);
  assert.ok(s.guard.spentSinceProgressUsd > 0, 'their spend is counted');
});

test('a resumed session counts on from its turns, and its trace numbers on from its last turn, in a new process', async t => {
  const up = await upstream(t, { scripts: { cutThenWrites } });
  const first = await engineFor(t, { up, settings: { maxTurns: 3 } });
  const s = await settle(first.engine, await first.engine.sessions.create({ repo: first.repo, task: '[script:cutThenWrites] write on', title: 'Writes' }, noProgress));
  assert.equal(s.status, 'failed');
  assert.equal(s.statusCause, 'turn-limit');
  assert.equal(s.turns, 3);
  await first.engine.shutdown();
  const next = await engineFor(t, { up, home: first.home, repo: first.repo, settings: { maxTurns: 3 } });
  await next.engine.sessions.list(first.repo);
  await next.engine.sessions.resume(s.id, undefined, { moreTurns: 2 });
  const resumed = await settle(next.engine, next.engine.sessions.info(next.engine.sessions.get(s.id)));
  assert.equal(resumed.status, 'failed');
  assert.equal(resumed.turns, 5, 'two more turns, not the conversation\'s count plus two');
  assert.equal(resumed.usage.requests, 5);
  await next.engine.shutdown();
  const turns = traceTurns(first.home, first.repo, s.id);
  assert.deepEqual(turns, [...turns].sort((a, b) => a - b), `trace turns in order: ${turns.join(', ')}`);
  assert.equal(new Set(turns).size, turns.length, `no turn number twice: ${turns.join(', ')}`);
});

test('resume with a number of turns allows that many from here, whatever stopped the session', async t => {
  const up = await upstream(t, { scripts: { writes } });
  const { engine, repo } = await engineFor(t, { up, settings: { maxTurns: 60 } });
  const s = await engine.sessions.create({ repo, task: '[script:writes] write on', title: 'Paused' }, noProgress);
  for (const deadline = Date.now() + 15_000; engine.sessions.get(s.id).record.turns < 2; await new Promise(r => setTimeout(r, 10))) {
    assert.ok(Date.now() < deadline, 'two turns');
  }
  const paused = await engine.sessions.pause(s.id);
  const at = (await settle(engine, paused)).turns;
  await engine.sessions.resume(s.id, undefined, { moreTurns: 2 });
  const done = await settle(engine, engine.sessions.info(engine.sessions.get(s.id)));
  assert.equal(done.statusCause, 'turn-limit');
  assert.equal(done.turns, at + 2);
  assert.match((await engine.sessions.transcript(s.id, 0)).events.flatMap(e => (e.kind === 'notice' ? [e.text] : [])).join('\n'), /^2 more turns are allowed \(up to \d+\)\.$/m);
});

test('a resumed session that finishes with its work committed by an earlier run says so, not "without changing files"', async t => {
  const up = await upstream(t, { scripts: { finishing: writesThenFinishes } });
  const { engine, repo } = await engineFor(t, { up, settings: { maxTurns: 1 } });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:finishing] write it', title: 'Committed early' }, noProgress));
  assert.equal(s.statusCause, 'turn-limit');
  await engine.sessions.resume(s.id);
  const done = await settle(engine, engine.sessions.info(engine.sessions.get(s.id)));
  assert.equal(done.status, 'done');
  assert.equal(done.statusReason, 'Finished; nothing left to commit, and its branch holds a commit to merge.');
});
