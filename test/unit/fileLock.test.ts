import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { currentProcess, isProcessAlive, LockReentryError, LockTimeoutError, pidTakenSince, processOf, withFileLock } from '../../src/host/util/fileLock';
import { expectSuccess, helperForTests, runHelper } from './helpers/childProcess';

const lockChild = helperForTests('lockChild');

let n = 0;
const freshLock = () => path.join(lockChild.dir(), `l${++n}`, 'x.lock');

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const p = spawn(process.execPath, ['-e', '0']);
  await new Promise(resolve => p.on('exit', resolve));
  return p.pid!;
}

test('callers in one process take turns, and none spins while it waits', async () => {
  const lock = freshLock();
  let inside = 0;
  let maxInside = 0;
  let counter = 0;
  await Promise.all(
    Array.from({ length: 50 }, () =>
      withFileLock(lock, async () => {
        maxInside = Math.max(maxInside, ++inside);
        const v = counter;
        await yieldToLoop();
        counter = v + 1;
        inside--;
      }),
    ),
  );
  assert.equal(counter, 50);
  assert.equal(maxInside, 1);
  assert.equal(existsSync(lock), false, 'the lock file is removed on release');
});

test('processes exclude each other: no lost update, no overlapping critical sections', { timeout: 30_000 }, async () => {
  const lock = freshLock();
  const dir = path.dirname(lock);
  const counter = path.join(lockChild.dir(), `counter-${n}`);
  const trace = path.join(lockChild.dir(), `trace-${n}`);
  writeFileSync(counter, '0');
  writeFileSync(trace, '');
  const children = Array.from({ length: 4 }, () => runHelper(lockChild.script(), { mode: 'count', lockPath: lock, counter, trace, iterations: 40 }));
  // This process competes too.
  for (let i = 0; i < 40; i++) {
    await withFileLock(lock, async () => {
      writeFileSync(trace, `B ${process.pid}\n`, { flag: 'a' });
      const v = Number(readFileSync(counter, 'utf8'));
      await yieldToLoop();
      writeFileSync(counter, String(v + 1));
      writeFileSync(trace, `E ${process.pid}\n`, { flag: 'a' });
    }, { timeoutMs: 30_000 });
  }
  await Promise.all(children.map(expectSuccess));
  assert.equal(Number(readFileSync(counter, 'utf8')), 200);
  const lines = readFileSync(trace, 'utf8').trim().split('\n');
  assert.equal(lines.length, 400);
  for (let i = 0; i < lines.length; i += 2) {
    const [b, e] = [lines[i]!.split(' '), lines[i + 1]!.split(' ')];
    assert.equal(b[0], 'B', `line ${i}: a section began while another was open`);
    assert.deepEqual(e, ['E', b[1]], `line ${i + 1}: sections interleaved`);
  }
  assert.equal(existsSync(dir) && existsSync(lock), false);
});

test('a lock held by a process killed with SIGKILL is taken over', { timeout: 15_000 }, async () => {
  const lock = freshLock();
  const holder = runHelper(lockChild.script(), { mode: 'hold', lockPath: lock });
  await holder.waitForLine(l => l === 'locked');
  await assert.rejects(withFileLock(lock, async () => 'no', { timeoutMs: 100 }), LockTimeoutError);
  holder.proc.kill('SIGKILL');
  await holder.exited;
  const t0 = Date.now();
  const got = await withFileLock(lock, async () => JSON.parse(readFileSync(lock, 'utf8')).pid as number, { timeoutMs: 5_000 });
  assert.equal(got, process.pid);
  assert.ok(Date.now() - t0 < 1_000, 'a dead owner is noticed at once, not after the stale age');
});

test('a lock file left by a dead pid, or by a reused pid, is broken', async () => {
  const lock = freshLock();
  await withFileLock(lock, async () => undefined); // creates the folder
  writeFileSync(lock, JSON.stringify({ pid: await deadPid(), host: os.hostname(), start: null, token: 'old', acquiredAt: '' }));
  assert.equal(await withFileLock(lock, async () => 'taken', { timeoutMs: 2_000 }), 'taken');

  if (currentProcess().start !== null) {
    // Same pid as a live process, but another start time: the pid was reused after the owner died.
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: os.hostname(), start: '1', token: 'old', acquiredAt: '' }));
    assert.equal(await withFileLock(lock, async () => 'taken', { timeoutMs: 2_000 }), 'taken');
  }
});

test('a lock of a process in another PID namespace (a sandboxed editor) is not broken by its pid, only once it goes stale', async t => {
  if (currentProcess().pidNs === undefined) return t.skip('no PID namespaces here');
  const lock = freshLock();
  await withFileLock(lock, async () => undefined);
  // Its pid is free here, which says nothing about a process in pid:[1].
  writeFileSync(lock, JSON.stringify({ pid: await deadPid(), host: os.hostname(), start: null, pidNs: 'pid:[1]', token: 'theirs', acquiredAt: '' }));
  await assert.rejects(withFileLock(lock, async () => undefined, { timeoutMs: 150 }), LockTimeoutError);
  assert.equal(JSON.parse(readFileSync(lock, 'utf8')).token, 'theirs');
  const old = new Date(Date.now() - 60_000);
  utimesSync(lock, old, old);
  assert.equal(await withFileLock(lock, async () => 'taken', { timeoutMs: 2_000, staleMs: 30_000 }), 'taken');
});

test('a process that has exited but was not reaped yet (its parent has not waited for it) is gone', async t => {
  if (currentProcess().start === null) return t.skip('no /proc here');
  // The shell becomes `sleep 5`, which never waits for the short sleep it started.
  const parent = spawn('/bin/sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => parent.kill('SIGKILL'));
  const pid = Number(await new Promise<string>(resolve => parent.stdout.once('data', d => resolve(String(d)))));
  // Until it has exited: a zombie ('Z' in its stat line), whose parent never reaps it.
  const zombie = () => / Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^\d+ \(.*\)/s, ''));
  for (const until = Date.now() + 10_000; !zombie() && Date.now() < until;) await new Promise(r => setTimeout(r, 50));
  assert.ok(zombie(), 'the short sleep has exited');
  assert.doesNotThrow(() => process.kill(pid, 0), 'still in the process table');
  assert.equal(isProcessAlive({ pid, host: os.hostname(), start: null }), false);
});

test('a pid is known to be taken by another process since only when its start time says so', t => {
  const me = processOf(process.pid);
  if (me.start === null) return t.skip('no /proc here');
  assert.equal(pidTakenSince(me), false, 'the same process');
  assert.equal(pidTakenSince({ ...me, start: String(Number(me.start) - 1) }), true, 'another start time: another process');
  assert.equal(pidTakenSince({ ...me, start: null }), false, 'no start time: nothing is known');
  assert.equal(pidTakenSince({ ...me, pid: 2 ** 22 + 7 }), false, 'no such process: nothing took it');
});

test('a live owner is waited for; a timeout names it', async () => {
  const lock = freshLock();
  await withFileLock(lock, async () => undefined);
  writeFileSync(lock, JSON.stringify({ pid: process.ppid, host: os.hostname(), start: null, token: 'theirs', acquiredAt: '' }));
  await assert.rejects(withFileLock(lock, async () => undefined, { timeoutMs: 150 }), (e: unknown) => {
    assert.ok(e instanceof LockTimeoutError);
    assert.equal(e.holder?.pid, process.ppid);
    assert.match(e.message, new RegExp(`held by pid ${process.ppid}`));
    return true;
  });
  assert.equal(JSON.parse(readFileSync(lock, 'utf8')).token, 'theirs', 'a live lock is left alone');
  // ...until it has not been refreshed for staleMs (a hung owner, or one on another host).
  const old = new Date(Date.now() - 60_000);
  utimesSync(lock, old, old);
  assert.equal(await withFileLock(lock, async () => 'taken', { timeoutMs: 2_000, staleMs: 30_000 }), 'taken');
});

test('a holder keeps its lock fresh while it works, so a long section is not taken as stale', { timeout: 30_000 }, async () => {
  const lock = freshLock();
  // Stale after 3 s, refreshed every second: a loaded machine may delay a refresh, not three.
  const holder = runHelper(lockChild.script(), { mode: 'hold', lockPath: lock, staleMs: 3_000 });
  try {
    await holder.waitForLine(l => l === 'locked');
    // Wait several times staleMs: the holder's heartbeat (every staleMs/3) keeps the file fresh.
    await assert.rejects(withFileLock(lock, async () => 'stolen', { timeoutMs: 8_000, staleMs: 3_000 }), LockTimeoutError);
  } finally {
    holder.proc.kill('SIGKILL');
    await holder.exited;
  }
});

test('a half-made lock file (no content) is respected briefly, then broken', async () => {
  const lock = freshLock();
  await withFileLock(lock, async () => undefined);
  writeFileSync(lock, '');
  await assert.rejects(withFileLock(lock, async () => undefined, { timeoutMs: 100 }), LockTimeoutError);
  const old = new Date(Date.now() - 10_000);
  utimesSync(lock, old, old);
  assert.equal(await withFileLock(lock, async () => 'taken', { timeoutMs: 2_000 }), 'taken');
});

test('the lock is released when the work throws', async () => {
  const lock = freshLock();
  await assert.rejects(withFileLock(lock, async () => { throw new Error('boom'); }), /boom/);
  assert.equal(existsSync(lock), false);
  assert.equal(await withFileLock(lock, async () => 2, { timeoutMs: 100 }), 2);
});

test('taking the same lock again inside itself fails fast instead of deadlocking', async () => {
  const lock = freshLock();
  await assert.rejects(withFileLock(lock, () => withFileLock(lock, async () => 1)), LockReentryError);
  // A different lock may be nested.
  assert.equal(await withFileLock(lock, () => withFileLock(freshLock(), async () => 3)), 3);
});

test('an in-process waiter times out without disturbing the holder', async () => {
  const lock = freshLock();
  let release!: () => void;
  const held = withFileLock(lock, () => new Promise<string>(r => (release = () => r('done'))));
  await assert.rejects(withFileLock(lock, async () => 'late', { timeoutMs: 50 }), LockTimeoutError);
  release();
  assert.equal(await held, 'done');
  assert.equal(await withFileLock(lock, async () => 'next', { timeoutMs: 100 }), 'next');
});
