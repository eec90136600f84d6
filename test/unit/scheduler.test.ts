// The run queue: at most N running, the rest start in order as slots free, and every change of the
// running count is reported (the launcher process follows it). Each start asks the machine's slots
// (machineSlots.ts), here on a home of the test's own, which no other process shares.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { MachineSlots } from '../../src/host/sessions/machineSlots';
import { Scheduler } from '../../src/host/sessions/scheduler';
import { tempDir } from './helpers/engineKit';

function slots(t: TestContext): MachineSlots {
  const root = tempDir(t);
  return new MachineSlots(path.join(root, 'slots'), path.join(root, 'locks'), 'host', { state: () => 'beating' }, () => {});
}

/** Until `started` holds `n` sessions: a start waits for the machine's answer. */
async function startedCount(started: readonly string[], n: number): Promise<void> {
  for (const end = Date.now() + 10_000; started.length < n && Date.now() < end;) await new Promise(r => setTimeout(r, 5));
}

/** Long enough for an answer the machine might still give (a lock, a listing, a write) to have come in. */
const settle = () => new Promise(r => setTimeout(r, 200));

test('sessions beyond the limit wait in order and start as slots free; the running count is reported', async t => {
  const started: string[] = [];
  const counts: number[] = [];
  const s = new Scheduler(2, id => started.push(id), slots(t), { onRunningCount: n => counts.push(n) });
  t.after(() => s.close());
  for (const id of ['a', 'b', 'c', 'd']) s.enqueue(id);
  await startedCount(started, 2);
  await settle();
  assert.deepEqual(started, ['a', 'b']);
  assert.equal(s.position('c'), 1);
  assert.equal(s.position('d'), 2);
  s.release('d');
  assert.equal(s.position('d'), undefined, 'a queued session can leave the queue');
  s.release('a');
  await startedCount(started, 3);
  assert.deepEqual(started, ['a', 'b', 'c']);
  s.release('b');
  s.release('c');
  assert.equal(s.runningCount, 0);
  assert.deepEqual(counts, [1, 2, 1, 2, 1, 0], 'each change once: a freed slot is refilled once the machine has answered');
});

test('a limit below one, or not a number, still runs one session at a time', async t => {
  for (const limit of [0, -1, Number.NaN]) {
    const started: string[] = [];
    const s = new Scheduler(limit, id => started.push(id), slots(t));
    t.after(() => s.close());
    s.enqueue('a');
    s.enqueue('b');
    await startedCount(started, 1);
    await settle();
    assert.deepEqual(started, ['a'], `limit ${limit}`);
    s.setLimit(limit);
    s.release('a');
    await startedCount(started, 2);
    assert.deepEqual(started, ['a', 'b'], `limit ${limit}, set again`);
  }
});

test('closed, it starts nothing more as slots free, however many are queued', async t => {
  const started: string[] = [];
  let closing = false;
  // As the session manager's start does while its host closes: a session it may not start leaves its slot at once.
  const s: Scheduler = new Scheduler(1, id => {
    started.push(id);
    if (closing) s.release(id);
  }, slots(t));
  for (let i = 0; i < 5_000; i++) s.enqueue(`s${i}`);
  await startedCount(started, 1);
  closing = true;
  s.close();
  s.release('s0');
  s.enqueue('late');
  await settle();
  assert.deepEqual(started, ['s0']);
  assert.equal(s.position('s1'), undefined, 'the queue is empty');
});
