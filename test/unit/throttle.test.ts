// The notification throttle behind the sidebar and the meter: the first change at once, then at most one
// call per interval, never a fraction early, and nothing lost at the end of a burst.
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { Throttle } from '../../src/host/util/throttle';

function setup() {
  mock.timers.enable({ apis: ['setTimeout'] });
  let clock = 1_000;
  const fired: number[] = [];
  const throttle = new Throttle(100, () => fired.push(clock), () => clock);
  /** Moves the throttle's clock and the timers together (timers may run ahead by `timerLead` ms). */
  const advance = (ms: number, timerLead = 0) => {
    clock += ms;
    mock.timers.tick(ms + timerLead);
  };
  return { throttle, fired, advance, at: () => clock };
}

test('the first change goes out at once; a burst after it goes out once, an interval later', t => {
  t.after(() => mock.timers.reset());
  const { throttle, fired, advance } = setup();
  throttle.trigger();
  assert.deepEqual(fired, [1_000]);
  advance(10);
  throttle.trigger();
  advance(30);
  throttle.trigger();
  assert.deepEqual(fired, [1_000], 'nothing more before the interval ends');
  advance(60);
  assert.deepEqual(fired, [1_000, 1_100], 'the burst, once, when the interval ends');
  advance(500);
  throttle.trigger();
  assert.deepEqual(fired, [1_000, 1_100, 1_600], 'a change after a quiet spell goes out at once');
});

test('a timer that wakes a fraction early waits for the rest: never two calls less than the interval apart', t => {
  t.after(() => mock.timers.reset());
  const { throttle, fired, advance } = setup();
  throttle.trigger();
  throttle.trigger();
  // The timer is due at +100 ms, but the monotonic clock reads only 99.5 ms later when it runs.
  advance(99.5, 0.5);
  assert.deepEqual(fired, [1_000]);
  advance(0.5, 0.5);
  assert.deepEqual(fired, [1_000, 1_100]);
});

test('triggered without pause for two seconds, no whole second holds more than ten calls', t => {
  t.after(() => mock.timers.reset());
  const { throttle, fired, advance } = setup();
  for (let i = 0; i < 2_000 / 0.7; i++) {
    throttle.trigger();
    advance(0.7);
  }
  const perSecond = new Map<number, number>();
  for (const at of fired) perSecond.set(Math.floor(at / 1_000), (perSecond.get(Math.floor(at / 1_000)) ?? 0) + 1);
  assert.ok(Math.max(...perSecond.values()) <= 10, JSON.stringify([...perSecond]));
  for (let i = 1; i < fired.length; i++) assert.ok(fired[i]! - fired[i - 1]! >= 100 - 1e-9, `calls ${i - 1} and ${i} are ${fired[i]! - fired[i - 1]!} ms apart`);
});

test('flush sends what waits; dispose drops it', t => {
  t.after(() => mock.timers.reset());
  const { throttle, fired, advance } = setup();
  throttle.trigger();
  throttle.trigger();
  throttle.flush();
  assert.equal(fired.length, 2);
  advance(200);
  throttle.trigger();
  throttle.trigger();
  throttle.dispose();
  advance(200);
  assert.equal(fired.length, 3);
});
