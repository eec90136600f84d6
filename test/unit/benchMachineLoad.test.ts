// The editor benchmark's table of who used the CPUs: per name, between two snapshots of /proc.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadBetween, snapshot, type Snapshot } from '../benchSuite/machineLoad';

const snap = (entries: [number, number, number, string][]): Snapshot => new Map(entries.map(([pid, own, reaped, cmdline]) => [pid, { own, reaped, cmdline }]));
const name = (pid: number, cmdline: string) => (cmdline.startsWith('host') ? 'agent host' : pid === 7 ? 'editor' : undefined);

test('CPU between two snapshots, per name, busiest first; a named process also reports what its children used', () => {
  const before = snap([[1, 100, 10, 'host --x'], [7, 50, 0, 'code'], [9, 5, 0, 'bash']]);
  const after = snap([[1, 400, 60, 'host --x'], [7, 80, 0, 'code'], [9, 25, 0, 'bash'], [12, 40, 0, 'git status']]);
  assert.deepEqual(loadBetween(before, after, name), [
    { name: 'agent host', cpuSeconds: 3 },
    { name: 'other', cpuSeconds: 0.6 },
    { name: 'agent host: its child processes', cpuSeconds: 0.5 },
    { name: 'editor', cpuSeconds: 0.3 },
  ]);
});

test('a pid reused by another program counts as a new process, from zero', () => {
  const before = snap([[5, 900, 0, 'old program']]);
  const after = snap([[5, 30, 0, 'host --y']]);
  assert.deepEqual(loadBetween(before, after, name), [{ name: 'agent host', cpuSeconds: 0.3 }]);
});

test('this process appears in a real snapshot with its command line', { skip: process.platform !== 'linux' }, () => {
  const me = snapshot().get(process.pid);
  assert.ok(me, 'this process is listed');
  assert.match(me.cmdline, /node/);
  assert.ok(me.own >= 0 && me.reaped >= 0);
});
