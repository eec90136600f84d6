// A host's heartbeat: written before it takes any session, touched while it runs, removed at a clean exit;
// files of hosts gone for a day are cleaned up by the next host that starts.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { HostHeartbeats } from '../../src/host/util/heartbeats';

test('a heartbeat is there from the start, read by others, gone after a clean exit; a day-old one is cleaned up', async t => {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'sy-beats-')), 'hosts');
  t.after(() => rmSync(path.dirname(dir), { recursive: true, force: true }));
  mkdirSync(dir, { recursive: true });
  const old = path.join(dir, '1-deadbeef');
  writeFileSync(old, '1');
  const dayAgo = new Date(Date.now() - 25 * 3_600_000);
  utimesSync(old, dayAgo, dayAgo);
  const recent = path.join(dir, '2-cafebabe');
  writeFileSync(recent, '2');

  const logs: string[] = [];
  const me = new HostHeartbeats(dir, '3-0123abcd');
  me.start(m => logs.push(m));
  const other = new HostHeartbeats(dir, '4-4567ef01');
  const seen = other.lastBeat('3-0123abcd');
  assert.ok(seen !== undefined && Date.now() - seen < 5_000, 'beating before it takes anything');
  assert.equal(other.lastBeat('9-none'), undefined, 'a host without a file');
  assert.equal(other.lastBeat('../escape'), undefined, 'a host id is never a path');
  for (let i = 0; i < 50 && existsSync(old); i++) await new Promise(r => setTimeout(r, 10));
  assert.equal(existsSync(old), false, 'a day-old heartbeat is removed');
  assert.equal(existsSync(recent), true, "a recent one is another host's, kept");
  await me.stop();
  assert.equal(other.lastBeat('3-0123abcd'), undefined, 'gone after a clean exit');
  assert.deepEqual(logs, []);
});
