// A host's heartbeat: written before it takes any session, touched while it runs, removed at a clean exit.
// Another process calls it gone only after seeing its file unchanged for a while by its own steady clock,
// and never right after a gap of its own (a machine that slept); day-old files are cleaned up.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { currentProcess, isProcessAlive } from '../../src/host/util/fileLock';
import { HostHeartbeats, stillThere } from '../../src/host/util/heartbeats';

function hostsDir(t: { after(fn: () => void): void }): string {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'sy-beats-')), 'hosts');
  t.after(() => rmSync(path.dirname(dir), { recursive: true, force: true }));
  mkdirSync(dir, { recursive: true });
  return dir;
}

test('a host is gone once another has seen its file unchanged for the stale time, looking all along; a touch, or a gap in the looking, starts the count again', t => {
  const dir = hostsDir(t);
  const file = path.join(dir, '1-0123abcd');
  writeFileSync(file, '1');
  let now = 0;
  const other = new HostHeartbeats(dir, '2-4567ef01', 30_000, () => now);
  assert.equal(other.state('1-0123abcd'), 'beating', 'first seen: watched from now on');
  for (now = 10_000; now <= 20_000; now += 10_000) assert.equal(other.state('1-0123abcd'), 'beating');
  now = 31_000;
  assert.equal(other.state('1-0123abcd'), 'gone', 'unchanged for 31 s');
  // Touched (its clock may be anything: only a change counts).
  utimesSync(file, new Date(2000, 0, 1), new Date(2000, 0, 1));
  now = 41_000;
  assert.equal(other.state('1-0123abcd'), 'beating');
  now = 51_000;
  assert.equal(other.state('1-0123abcd'), 'beating');
  now = 61_000;
  assert.equal(other.state('1-0123abcd'), 'beating');
  now = 72_000;
  assert.equal(other.state('1-0123abcd'), 'gone');
  // This process did not look for a minute (suspended, or stalled): it judges nobody on what it missed.
  now = 140_000;
  assert.equal(other.state('1-0123abcd'), 'beating', 'after a gap, watched afresh');
  rmSync(file);
  assert.equal(other.state('1-0123abcd'), 'gone', 'a host that beats and has no file ended');
  assert.equal(other.state('../escape'), 'beating', 'a host id is never a path: not judged');
});

test('a heartbeat is there from the start and gone after a clean exit; a day-old one is cleaned up, a recent one kept', async t => {
  const dir = hostsDir(t);
  const old = path.join(dir, '1-deadbeef');
  writeFileSync(old, '1');
  const dayAgo = new Date(Date.now() - 25 * 3_600_000);
  utimesSync(old, dayAgo, dayAgo);
  const recent = path.join(dir, '2-cafebabe');
  writeFileSync(recent, '2');
  const logs: string[] = [];
  const me = new HostHeartbeats(dir, '3-0123abcd');
  me.start(m => logs.push(m));
  assert.ok(existsSync(path.join(dir, '3-0123abcd')), 'beating before it takes anything');
  for (let i = 0; i < 50 && existsSync(old); i++) await new Promise(r => setTimeout(r, 10));
  assert.equal(existsSync(old), false, 'a day-old heartbeat is removed');
  assert.equal(existsSync(recent), true, "a recent one is another host's, kept");
  await me.stop();
  assert.equal(existsSync(path.join(dir, '3-0123abcd')), false, 'gone after a clean exit');
  assert.deepEqual(logs, []);
});

test('a heartbeat whose folder was removed (a cleaned home) is made again at the next beat', async t => {
  const dir = hostsDir(t);
  const me = new HostHeartbeats(dir, '5-89abcdef', undefined, undefined, 20);
  me.start(() => undefined);
  t.after(() => me.stop());
  rmSync(dir, { recursive: true, force: true });
  for (let i = 0; i < 100 && !existsSync(path.join(dir, '5-89abcdef')); i++) await new Promise(r => setTimeout(r, 10));
  assert.ok(existsSync(path.join(dir, '5-89abcdef')));
});

test('the heartbeat is asked only where the pid cannot tell: no start time, or another machine; and only of a host that beats', () => {
  const gone = { state: () => 'gone' as const };
  const me = { pid: process.pid, host: os.hostname(), hostId: 'h' };
  assert.equal(stillThere({ ...me, start: null, beats: true }, gone), false, 'a reused pid whose host is gone');
  assert.equal(stillThere({ ...me, start: null }, gone), true, 'an older version keeps no heartbeat: its pid decides');
  assert.equal(stillThere({ pid: process.pid, host: `not-${os.hostname()}`, start: '1', hostId: 'h', beats: true }, gone), false, 'another machine, gone');
  assert.equal(stillThere({ pid: process.pid, host: `not-${os.hostname()}`, start: '1', hostId: 'h', beats: true }, { state: () => 'beating' }), true);
  assert.equal(stillThere({ ...me, start: currentProcess().start, beats: true }, gone), true, 'a matching start time decides: a stalled host is not gone');
});

test('lapsed, for tidying up: judged at once from file times alone, against this host\'s own heartbeat', t => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-beats-lapsed-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const beats = new HostHeartbeats(dir, 'me');
  beats.start(() => undefined);
  t.after(() => beats.stop());
  writeFileSync(path.join(dir, 'fresh'), '1');
  writeFileSync(path.join(dir, 'old'), '1');
  const then = new Date(Date.now() - 120_000);
  utimesSync(path.join(dir, 'old'), then, then);
  assert.equal(beats.lapsed('fresh'), false);
  assert.equal(beats.lapsed('old'), true, 'untouched for two minutes before this host\'s last beat');
  assert.equal(beats.lapsed('missing'), true);
  assert.equal(beats.lapsed('me'), false);
});

test('a process in another PID namespace on this machine (a sandboxed editor) is judged by its heartbeat, not by a pid that means nothing here', t => {
  if (currentProcess().pidNs === undefined) return t.skip('no PID namespaces here');
  const beating = { state: () => 'beating' as const };
  const gone = { state: () => 'gone' as const };
  // pid:[1] is no namespace's inode. Its pid is free here, or names another process here: both say nothing.
  const sandboxed = { host: os.hostname(), start: '1', hostId: 'h', pidNs: 'pid:[1]', beats: true };
  for (const pid of [2 ** 22 + 7, process.pid]) {
    assert.equal(stillThere({ ...sandboxed, pid }, beating), true, `pid ${pid}, beating`);
    assert.equal(stillThere({ ...sandboxed, pid }, gone), false, `pid ${pid}, gone`);
  }
  assert.equal(stillThere({ ...sandboxed, pid: 2 ** 22 + 7, pidNs: currentProcess().pidNs }, beating), false, 'in this namespace a free pid is a process gone, heartbeat or not');
  assert.equal(isProcessAlive({ pid: 2 ** 22 + 7, host: os.hostname(), start: null, pidNs: 'pid:[1]' }), true, 'a lock or reservation of another namespace is not judged by its pid');
});
