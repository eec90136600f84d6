// The agent host's CPU priority: `background` lowers it (never raises it), and everything the host starts
// inherits it, whether it starts processes in place or from the launcher process.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { test } from 'node:test';
import { hostPriorityArgs, hostPriorityOf } from '../../src/protocol/host';
import { applyHostPriority, BACKGROUND_NICE, lowerEveryThread, type PriorityControl } from '../../src/host/util/priority';
import { expectSuccess, helperForTests, runHelper } from './helpers/childProcess';

const priorityChild = helperForTests('priorityChild');

test('the start argument carries the priority; without one the host keeps its priority (CLI, tests)', () => {
  assert.equal(hostPriorityOf(['node', 'host.js', ...hostPriorityArgs('background'), '--node-ipc']), 'background');
  assert.equal(hostPriorityOf(['node', 'host.js', ...hostPriorityArgs('normal')]), 'normal');
  assert.equal(hostPriorityOf(['node', 'host.js', '--node-ipc']), 'normal');
  assert.equal(hostPriorityOf(['node', 'host.js', '--priority=urgent']), 'normal');
});

function control(nice: number, fail?: Error): PriorityControl & { sets: number[] } {
  const sets: number[] = [];
  return {
    sets,
    get: () => nice,
    set: n => {
      if (fail) throw fail;
      sets.push(n);
      nice = n;
    },
  };
}

test('background lowers the priority once, never raises it, and says why when it cannot', () => {
  const c = control(0);
  assert.equal(applyHostPriority('background', c), undefined);
  assert.deepEqual(c.sets, [BACKGROUND_NICE]);
  const already = control(15);
  assert.equal(applyHostPriority('background', already), undefined);
  assert.deepEqual(already.sets, [], 'a user who runs the editor lower keeps that');
  const normal = control(0);
  assert.equal(applyHostPriority('normal', normal), undefined);
  assert.deepEqual(normal.sets, []);
  const refused = control(0, Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }));
  assert.match(applyHostPriority('background', refused) ?? '', /keeps its normal priority: EACCES/);
});

test('every thread is lowered, none is raised, and a thread that ended meanwhile is skipped', () => {
  const nice = new Map([[1, 0], [2, 0], [3, 15], [4, 0], [5, 0]]);
  const gone = Object.assign(new Error('A system error occurred: uv_os_setpriority returned ESRCH'), { code: 'ERR_SYSTEM_ERROR', info: { code: 'ESRCH' } });
  lowerEveryThread(BACKGROUND_NICE, [1, 2, 3, 4, 5], {
    get: tid => nice.get(tid)!,
    set: (tid, n) => {
      if (tid === 2) throw gone;
      nice.set(tid, n);
    },
  });
  assert.deepEqual([...nice.values()], [BACKGROUND_NICE, 0, 15, BACKGROUND_NICE, BACKGROUND_NICE]);
  const refused = Object.assign(new Error('EACCES'), { code: 'ERR_SYSTEM_ERROR', info: { code: 'EACCES' } });
  assert.throws(() => lowerEveryThread(BACKGROUND_NICE, [1], { get: () => 0, set: () => { throw refused; } }), /EACCES/);
});

async function runChild(args: string[]): Promise<{ problem: string | null; self: number; threads: number[]; inPlace: number; fromLauncher: number; groups: (number | null)[] }> {
  const child = runHelper(priorityChild.script(), args);
  await expectSuccess(child);
  return JSON.parse(child.lines.join('\n'));
}

test('a background host, every one of its threads, and every process it starts in place or from the launcher, runs at the lower priority', async () => {
  const ours = os.getPriority(0);
  const expected = Math.max(ours, BACKGROUND_NICE);
  // A command in a process group of its own is in a session, so an autogroup, of its own: that autogroup is
  // lowered too, or the command would be scheduled beside the editor whatever its nice value.
  const groups = (nice: number) => (existsSync('/proc/self/autogroup') ? [nice, nice] : [null, null]);
  assert.deepEqual(await runChild(hostPriorityArgs('background')), { problem: null, self: expected, threads: [expected], inPlace: expected, fromLauncher: expected, groups: groups(expected) });
  assert.deepEqual(await runChild(hostPriorityArgs('normal')), { problem: null, self: ours, threads: [ours], inPlace: ours, fromLauncher: ours, groups: groups(ours) });
});
