// The machine's slots: several processes' schedulers (here, several gates with their own host ids on one
// home) keep to one limit together, give a freed slot to the session that has waited longest whichever
// process holds it, and count nothing for a process that is gone.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, promises, readdirSync, unlinkSync, utimesSync, writeFileSync, type RmOptions } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { MachineSlots, type SlotGate } from '../../src/host/sessions/machineSlots';
import { Scheduler } from '../../src/host/sessions/scheduler';
import { currentProcess, processOf } from '../../src/host/util/fileLock';
import type { LastBeats } from '../../src/host/util/heartbeats';
import { tempDir } from './helpers/engineKit';

const beating: LastBeats = { state: () => 'beating' };
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

function home(t: TestContext) {
  const root = tempDir(t);
  const slotsDir = path.join(root, 'slots');
  const locksDir = path.join(root, 'locks');
  const logs: string[] = [];
  const gate = (hostId: string) => new MachineSlots(slotsDir, locksDir, hostId, beating, m => logs.push(m));
  return { root, slotsDir, gate, logs };
}

const files = (dir: string) => {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
};

test('two processes keep to one limit: the second waits until the first lets a slot go', async t => {
  const { slotsDir, gate } = home(t);
  const a = gate('hostA');
  const b = gate('hostB');
  assert.deepEqual(await a.admit(['a1', 'a2'], 2), ['a1', 'a2']);
  assert.deepEqual(await b.admit(['b1'], 2), [], 'the machine is full');
  assert.deepEqual(b.busy, { running: 2, elsewhere: 2, ahead: 0 });
  assert.deepEqual(files(path.join(slotsDir, 'waiting')), ['b1~hostB.json'], 'b1 waits in line where every process sees it');
  a.left('a1');
  await a.flushed();
  assert.deepEqual(await b.admit(['b1'], 2), ['b1']);
  assert.equal(b.busy, undefined);
  assert.deepEqual(files(path.join(slotsDir, 'waiting')), [], 'out of line once it runs');
  assert.deepEqual(files(path.join(slotsDir, 'running')), ['a2~hostA.json', 'b1~hostB.json']);
  await Promise.all([a.close(), b.close()]);
  assert.deepEqual(files(path.join(slotsDir, 'running')), [], 'a clean exit leaves no file');
});

test('a freed slot goes to the session that waited longest, not to the process that freed it', async t => {
  const { gate } = home(t);
  const a = gate('hostA');
  const b = gate('hostB');
  assert.deepEqual(await a.admit(['a1', 'a2'], 2), ['a1', 'a2']);
  assert.deepEqual(await b.admit(['b1'], 2), []);
  a.left('a1');
  await a.flushed();
  // a's own next session came later than b1: it waits behind it.
  assert.deepEqual(await a.admit(['a3'], 2), []);
  assert.deepEqual(a.busy, { running: 1, elsewhere: 0, ahead: 1 });
  assert.deepEqual(await b.admit(['b1'], 2), ['b1']);
  a.left('a2');
  await a.flushed();
  assert.deepEqual(await a.admit(['a3'], 2), ['a3']);
});

test('a waiting session that its own process could not start (its own limit is lower) holds nobody back', async t => {
  const { gate } = home(t);
  const a = gate('hostA');
  const b = gate('hostB');
  assert.deepEqual(await b.admit(['b1', 'b2', 'b3'], 8), ['b1', 'b2', 'b3']);
  // a keeps to 2 on the machine: with 3 running it waits, but for b, with a limit of 8, it is no one ahead.
  assert.deepEqual(await a.admit(['a1'], 2), []);
  assert.deepEqual(await b.admit(['b4'], 8), ['b4']);
});

test('the files of a process that is gone count for nothing, and are removed', async t => {
  const { slotsDir, gate } = home(t);
  const dead = { pid: 2 ** 22 + 17, host: (await import('node:os')).hostname(), start: '1', hostId: 'gone', beats: true };
  for (const dir of ['running', 'waiting']) {
    mkdirSync(path.join(slotsDir, dir), { recursive: true });
    for (let i = 0; i < 3; i++) writeFileSync(path.join(slotsDir, dir, `s${i}~gone.json`), JSON.stringify({ owner: dead, since: 1, limit: 8 }));
  }
  // A place in line not renewed for a while (its process killed long ago) goes too.
  const longAgo = new Date(Date.now() - 10 * 60_000);
  utimesSync(path.join(slotsDir, 'waiting', 's0~gone.json'), longAgo, longAgo);
  // Unreadable, or named as no slot file is: counted for nothing.
  writeFileSync(path.join(slotsDir, 'running', 'x~torn.json'), '{"owner":');
  writeFileSync(path.join(slotsDir, 'running', 'notes.txt'), 'hello');
  const a = gate('hostA');
  assert.deepEqual(await a.admit(['a1', 'a2'], 2), ['a1', 'a2']);
  assert.deepEqual(files(path.join(slotsDir, 'running')), ['a1~hostA.json', 'a2~hostA.json', 'notes.txt', 'x~torn.json']);
  assert.deepEqual(files(path.join(slotsDir, 'waiting')), []);
});

test('a home where the slots cannot be kept: its own limit still holds, and it says why once', async t => {
  const { slotsDir, gate, logs } = home(t);
  // A file where the folder should be (a home edited by hand): no process can keep its slots there.
  writeFileSync(slotsDir, 'not a folder');
  const a = gate('hostA');
  assert.deepEqual(await a.admit(['a1'], 1), ['a1']);
  assert.deepEqual(await a.admit(['a2'], 1), ['a2']);
  assert.equal(logs.length, 1, logs.join('\n'));
  assert.match(logs[0]!, /this process now keeps only to its own limit of 1, not counting other windows and runs\. Make .*slots a folder this user can write to/);
});

test('schedulers of two processes on one machine: never more than the limit running, and all start in turn', async t => {
  const { gate } = home(t);
  const running = new Set<string>();
  let most = 0;
  const started: string[] = [];
  const schedulers: Scheduler[] = [];
  const make = (hostId: string) => {
    const s: Scheduler = new Scheduler(3, id => {
      running.add(id);
      started.push(id);
      most = Math.max(most, running.size);
      // Each agent runs a little while, then frees its slot.
      setTimeout(() => {
        running.delete(id);
        s.release(id);
      }, 20 + Math.random() * 30);
    }, gate(hostId));
    schedulers.push(s);
    return s;
  };
  const a = make('hostA');
  const b = make('hostB');
  for (let i = 0; i < 10; i++) {
    a.enqueue(`a${i}`);
    b.enqueue(`b${i}`);
  }
  const deadline = Date.now() + 20_000;
  while (started.length < 20 && Date.now() < deadline) await new Promise(r => setTimeout(r, 20));
  assert.equal(started.length, 20, `started ${started.join(' ')}`);
  assert.ok(most <= 3, `${most} ran at once`);
  assert.ok(most >= 2, 'the slots are used');
  assert.deepEqual(started.filter(id => id.startsWith('a')), Array.from({ length: 10 }, (_, i) => `a${i}`), 'each process keeps its order');
  for (const s of schedulers) s.close();
});

test('a session that waits again is judged by its new place in line, in every process', async t => {
  const { gate } = home(t);
  const z = gate('hostZ');
  const x = gate('hostX');
  const y = gate('hostY');
  assert.deepEqual(await z.admit(['z1'], 1), ['z1']);
  assert.deepEqual(await x.admit(['x1'], 1), []);
  await sleep(5);
  assert.deepEqual(await y.admit(['y1'], 1), [], 'y1 waits (behind x1), and has read its place');
  // x1 paused, then resumed: it waits again, now behind y1.
  x.left('x1');
  await x.flushed();
  await sleep(5);
  assert.deepEqual(await x.admit(['x1'], 1), []);
  z.left('z1');
  await z.flushed();
  assert.deepEqual(await x.admit(['x1'], 1), [], 'y1 waited longer');
  assert.deepEqual(await y.admit(['y1'], 1), ['y1'], 'and every process agrees');
});

test('a lock held too long keeps the sessions here in line (the limit holds), and leaves no place behind', async t => {
  const { root, slotsDir, gate, logs } = home(t);
  const a = gate('hostA');
  const b = gate('hostB');
  assert.deepEqual(await a.admit(['a1'], 1), ['a1']);
  assert.deepEqual(await b.admit(['b1'], 1), []);
  // A live process (this one, by its identity) holds the lock, refreshing it as a holder does, and does not let go.
  const lock = path.join(root, 'locks', 'slots.lock');
  writeFileSync(lock, JSON.stringify({ ...currentProcess(), token: 'busy', acquiredAt: new Date().toISOString() }));
  const refresh = setInterval(() => utimesSync(lock, new Date(), new Date()), 200);
  t.after(() => clearInterval(refresh));
  a.left('a1');
  await a.flushed();
  assert.deepEqual(await b.admit(['b1'], 1), [], 'nothing starts uncounted');
  clearInterval(refresh);
  assert.match(logs.join('\n'), /could not take the lock .*slots\.lock.*The sessions here keep their place and ask again/);
  unlinkSync(path.join(root, 'locks', 'slots.lock'));
  assert.deepEqual(await b.admit(['b1'], 1), ['b1'], 'its place kept');
  b.left('b1');
  await b.flushed();
  assert.deepEqual(files(path.join(slotsDir, 'waiting')), []);
  assert.deepEqual(files(path.join(slotsDir, 'running')), []);
});

test('a lock whose holder stalled (suspended: it no longer refreshes it) is broken within seconds, not waited for', async t => {
  const { root, gate } = home(t);
  const b = gate('hostB');
  mkdirSync(path.join(root, 'locks'), { recursive: true });
  writeFileSync(path.join(root, 'locks', 'slots.lock'), JSON.stringify({ ...currentProcess(), token: 'stalled', acquiredAt: new Date().toISOString() }));
  const t0 = Date.now();
  assert.deepEqual(await b.admit(['b1'], 1), ['b1']);
  const waited = Date.now() - t0;
  assert.ok(waited >= 1_500 && waited < 4_500, `waited ${waited} ms`);
});

test('a session paused and resumed while the machine answers is not started on that answer: it asks again', async t => {
  const { slotsDir, gate } = home(t);
  const real = gate('hostA');
  let sched!: Scheduler;
  let once = true;
  const racing: SlotGate = {
    get busy() {
      return real.busy;
    },
    left: id => real.left(id),
    waitsForMachine: id => real.waitsForMachine(id),
    admit: async (c, l) => {
      const r = await real.admit(c, l);
      if (once) {
        once = false;
        sched.release('s1');
        sched.enqueue('s1');
      }
      return r;
    },
  };
  const started: string[] = [];
  sched = new Scheduler(1, id => started.push(id), racing);
  t.after(() => sched.close());
  sched.enqueue('s1');
  const deadline = Date.now() + 5_000;
  while (!started.length && Date.now() < deadline) await sleep(10);
  await real.flushed();
  assert.deepEqual(started, ['s1']);
  assert.deepEqual(files(path.join(slotsDir, 'running')), ['s1~hostA.json'], 'it runs holding its slot');
  assert.deepEqual(await gate('hostB').admit(['b1'], 1), [], 'and another process counts it');
});

test("a place in line its process stopped renewing (a run suspended with Ctrl-Z) holds nobody back", async t => {
  const { slotsDir, gate } = home(t);
  const child = spawn('sleep', ['30']);
  t.after(() => child.kill('SIGKILL'));
  await new Promise(r => child.once('spawn', r));
  process.kill(child.pid!, 'SIGSTOP');
  mkdirSync(path.join(slotsDir, 'waiting'), { recursive: true });
  const place = path.join(slotsDir, 'waiting', 'w1~stopped.json');
  writeFileSync(place, JSON.stringify({ owner: { ...processOf(child.pid!), hostId: 'stopped', beats: true }, since: Date.now() - 60_000, limit: 1 }));
  const a = gate('hostA');
  assert.deepEqual(await a.admit(['a1'], 1), [], 'renewed a moment ago, it is first in line');
  const old = new Date(Date.now() - 10_000);
  utimesSync(place, old, old);
  assert.deepEqual(await a.admit(['a1'], 1), ['a1'], 'not renewed for 10 s, it is away');
});

test('a slot file that could not be removed is tried again until it goes: others count it only meanwhile', async t => {
  const { slotsDir, gate, logs } = home(t);
  const a = gate('hostA');
  const b = gate('hostB');
  assert.deepEqual(await a.admit(['a1'], 1), ['a1']);
  // The first removal fails, as a file held open on Windows or a passing I/O error makes it.
  const rm = promises.rm.bind(promises);
  let refused = 0;
  t.mock.method(promises, 'rm', async (file: string, opts: RmOptions) => {
    if (String(file).includes('a1~hostA') && refused++ === 0) throw Object.assign(new Error('EBUSY: resource busy or locked'), { code: 'EBUSY' });
    return rm(file, opts);
  });
  a.left('a1');
  await a.flushed();
  assert.deepEqual(files(path.join(slotsDir, 'running')), ['a1~hostA.json']);
  assert.deepEqual(await b.admit(['b1'], 1), [], 'counted while it is there');
  assert.equal(logs.length, 1);
  assert.match(logs[0]!, /^Could not remove .*a1~hostA\.json \(EBUSY: resource busy or locked\): other windows and CLI runs count it until it goes\. Trying again every second\.$/);
  await sleep(1_300);
  await a.flushed();
  assert.deepEqual(files(path.join(slotsDir, 'running')), [], 'removed on the second try');
  assert.deepEqual(await b.admit(['b1'], 1), ['b1']);
  await Promise.all([a.close(), b.close()]);
});

test('a running file left behind goes on being removed while its session waits in line again', async t => {
  const { slotsDir, gate } = home(t);
  const a = gate('hostA');
  const b = gate('hostB');
  assert.deepEqual(await b.admit(['b1'], 2), ['b1']);
  assert.deepEqual(await a.admit(['a1'], 2), ['a1']);
  const rm = promises.rm.bind(promises);
  let refused = 0;
  t.mock.method(promises, 'rm', async (file: string, opts: RmOptions) => {
    if (String(file).includes(path.join('running', 'a1~hostA')) && refused++ === 0) throw Object.assign(new Error('EBUSY: resource busy or locked'), { code: 'EBUSY' });
    return rm(file, opts);
  });
  a.left('a1');
  await a.flushed();
  // Back in line (resumed), behind b1 under a limit of one.
  assert.deepEqual(await a.admit(['a1'], 1), []);
  for (const end = Date.now() + 10_000; files(path.join(slotsDir, 'running')).length > 1 && Date.now() < end;) await sleep(50);
  assert.deepEqual(files(path.join(slotsDir, 'running')), ['b1~hostB.json'], 'its old running file is gone: nobody counts a1 as running');
  b.left('b1');
  await b.flushed();
  assert.deepEqual(await a.admit(['a1'], 1), ['a1']);
  assert.deepEqual(files(path.join(slotsDir, 'running')), ['a1~hostA.json']);
  await Promise.all([a.close(), b.close()]);
});
