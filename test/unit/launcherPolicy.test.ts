// When a fleet's processes start from the launcher process: sessions being created count as well as running
// ones, and the launcher outlives the count by a while (a fleet's last sessions commit after it has dropped).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LauncherPolicy } from '../../src/host/sessions/launcherPolicy';

function policy(lingerMs = 1_000) {
  const calls: boolean[] = [];
  const p = new LauncherPolicy(on => calls.push(on), n => n > 2, lingerMs);
  return { p, calls, last: () => calls.at(-1) };
}

test('sessions being created count toward the threshold, with the running ones', async t => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { p, last } = policy();
  const gates: (() => void)[] = [];
  const creating = [1, 2, 3].map(() => p.creatingWhile(() => new Promise<void>(resolve => gates.push(resolve))));
  assert.equal(last(), true, 'three sessions being created are over the threshold before any runs');
  p.runningCount(3);
  for (const open of gates) open();
  await Promise.all(creating);
  assert.equal(last(), true, 'still on: three are running');
  p.dispose();
});

test('the launcher stays on for the linger time after the count drops, and is turned off after it', t => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { p, calls, last } = policy(1_000);
  p.runningCount(5);
  assert.equal(last(), true);
  p.runningCount(1);
  t.mock.timers.tick(999);
  assert.equal(last(), true, 'not yet off');
  t.mock.timers.tick(1);
  assert.equal(last(), false);
  assert.deepEqual(calls, [true, false]);
  p.dispose();
});

test('a fleet that grows again within the linger time keeps the same launcher', t => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { p, calls } = policy(1_000);
  p.runningCount(5);
  p.runningCount(0);
  t.mock.timers.tick(500);
  p.runningCount(4);
  t.mock.timers.tick(5_000);
  assert.deepEqual(calls, [true, true], 'never turned off');
  p.runningCount(0);
  t.mock.timers.tick(1_000);
  assert.deepEqual(calls, [true, true, false]);
  p.dispose();
});

test('a failed creation stops counting too', async t => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { p, last } = policy(1_000);
  p.runningCount(2);
  await assert.rejects(p.creatingWhile(async () => {
    assert.equal(last(), true, 'two running and one being created');
    throw new Error('no worktree');
  }), /no worktree/);
  t.mock.timers.tick(1_000);
  assert.equal(last(), false);
  p.dispose();
});
