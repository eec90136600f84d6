// The run queue: at most N running, the rest start in order as slots free, and every change of the
// running count is reported (the launcher process follows it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Scheduler } from '../../src/host/sessions/scheduler';

test('sessions beyond the limit wait in order and start as slots free; the running count is reported', () => {
  const started: string[] = [];
  const counts: number[] = [];
  const s = new Scheduler(2, id => started.push(id), { onRunningCount: n => counts.push(n) });
  for (const id of ['a', 'b', 'c', 'd']) s.enqueue(id);
  assert.deepEqual(started, ['a', 'b']);
  assert.equal(s.position('c'), 1);
  assert.equal(s.position('d'), 2);
  s.release('d');
  assert.equal(s.position('d'), undefined, 'a queued session can leave the queue');
  s.release('a');
  assert.deepEqual(started, ['a', 'b', 'c']);
  s.release('b');
  s.release('c');
  assert.equal(s.runningCount, 0);
  assert.deepEqual(counts, [1, 2, 1, 0], 'each change once: a freed slot refilled at once is no change');
});

test('a limit below one, or not a number, still runs one session at a time', () => {
  for (const limit of [0, -1, Number.NaN]) {
    const started: string[] = [];
    const s = new Scheduler(limit, id => started.push(id));
    s.enqueue('a');
    s.enqueue('b');
    assert.deepEqual(started, ['a'], `limit ${limit}`);
    s.setLimit(limit);
    s.release('a');
    assert.deepEqual(started, ['a', 'b'], `limit ${limit}, set again`);
  }
});

test('closed, it starts nothing more as slots free, however many are queued', () => {
  const started: string[] = [];
  let closing = false;
  // As the session manager's start does while its host closes: a session it may not start leaves its slot at once.
  const s: Scheduler = new Scheduler(1, id => {
    started.push(id);
    if (closing) s.release(id);
  });
  for (let i = 0; i < 5_000; i++) s.enqueue(`s${i}`);
  closing = true;
  s.close();
  s.release('s0');
  s.enqueue('late');
  assert.deepEqual(started, ['s0']);
  assert.equal(s.position('s1'), undefined, 'the queue is empty');
});
