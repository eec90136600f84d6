import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { encodeLine, LedgerRecordError } from '../../src/host/ledger/lineCodec';
import { Ledger, LEDGER_FILE, LedgerClosedError, type LedgerOptions } from '../../src/host/ledger/ledger';
import { SNAPSHOT_NAME } from '../../src/host/ledger/snapshot';
import type { UsageRecord } from '../../src/protocol/records';
import { makeRecord, readAllRecords } from './helpers/records';

let tmp: string;
before(() => (tmp = mkdtempSync(path.join(os.tmpdir(), 'sy-ledger-'))));
after(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
const freshDir = () => path.join(tmp, `d${++n}`);

function logged(): { warnings: string[]; infos: string[]; opts: LedgerOptions } {
  const warnings: string[] = [];
  const infos: string[] = [];
  return { warnings, infos, opts: { log: (level, m) => void (level === 'warn' ? warnings : infos).push(m) } };
}

const day = (d: number, h = 12) => new Date(2026, 10, d, h, 0, 0).toISOString();

test('round trip: appended records survive a reopen, in the rollups and on disk', async () => {
  const dir = freshDir();
  const a = await Ledger.open(dir);
  await a.append(makeRecord('r1', { sessionId: 'a', costUsd: 0.5, standardCostUsd: 0.5 }));
  await Promise.all([
    a.append(makeRecord('r2', { sessionId: 'b', costUsd: 0.25, standardCostUsd: 0.25 })),
    a.append(makeRecord('r3', { sessionId: 'a', costUsd: null, standardCostUsd: null, model: 'local' })),
  ]);
  assert.equal(a.rollups.records, 3);
  await a.close();
  await assert.rejects(a.append(makeRecord('late')), LedgerClosedError);

  const b = await Ledger.open(dir);
  assert.equal(b.rollups.records, 3);
  assert.equal(b.rollups.sessionCostMicro('a'), 500_000);
  assert.equal(b.rollups.bySession.get('a')?.unpriced, 1);
  assert.deepEqual(readAllRecords(path.join(dir, LEDGER_FILE)).map(r => r.id), ['r1', 'r2', 'r3']);
  assert.deepEqual(await b.catchUp(), []);
  await b.close();
});

test('own appends are applied once, and listeners hear each record once', async () => {
  const dir = freshDir();
  const l = await Ledger.open(dir);
  const heard: string[] = [];
  l.onRecords(recs => heard.push(...recs.map(r => r.id)));
  await Promise.all(Array.from({ length: 10 }, (_, i) => l.append(makeRecord(`x${i}`))));
  assert.deepEqual(await l.catchUp(), []);
  assert.equal(l.rollups.records, 10);
  assert.deepEqual([...heard].sort(), Array.from({ length: 10 }, (_, i) => `x${i}`).sort());
  await l.close();
});

test('concurrent appends are grouped: one write and fsync per batch, not per record', async () => {
  const l = await Ledger.open(freshDir());
  let batches = 0;
  l.onRecords(() => batches++);
  await Promise.all(Array.from({ length: 2_000 }, (_, i) => l.append(makeRecord(`g${i}`))));
  assert.equal(l.rollups.records, 2_000);
  // The first record goes alone; everything queued behind its fsync goes in the next write.
  assert.ok(batches <= 3, `expected a few batches, got ${batches}`);
  await l.close();
});

test('an invalid record is refused before it reaches the file', async () => {
  const l = await Ledger.open(freshDir());
  await assert.rejects(l.append(makeRecord('bad', { input: -1 })), LedgerRecordError);
  await assert.rejects(l.append(makeRecord('bad', { ts: 'yesterday' })), /ts is not an ISO time/);
  await assert.rejects(l.append(makeRecord('', {})), /no id/);
  await assert.rejects(l.append(makeRecord('bad', { servedTier: 'turbo' as never })), /servedTier/);
  assert.equal(statSync(l.file).size, 0);
  await l.close();
});

test('a torn tail (a writer died mid-line) is skipped with a warning; new appends start on a fresh line', async () => {
  const dir = freshDir();
  const a = await Ledger.open(dir);
  for (let i = 0; i < 5; i++) await a.append(makeRecord(`t${i}`, { costUsd: 1, standardCostUsd: 1 }));
  await a.close();
  const file = path.join(dir, LEDGER_FILE);
  truncateSync(file, statSync(file).size - 25);

  const { warnings, opts } = logged();
  const b = await Ledger.open(dir, opts);
  assert.equal(b.rollups.records, 4);
  assert.equal(b.rollups.total.costMicro, 4_000_000);
  assert.ok(warnings.some(w => /unfinished line/.test(w)), warnings.join('\n'));
  await b.append(makeRecord('t5'));
  await b.append(makeRecord('t6'));
  assert.equal(b.rollups.records, 6);
  assert.ok(warnings.some(w => /damaged line/.test(w)), 'the torn record is reported when its line is closed');
  await b.close();

  const c = await Ledger.open(dir, logged().opts);
  assert.equal(c.rollups.records, 6);
  assert.deepEqual(readAllRecords(file).map(r => r.id), ['t0', 't1', 't2', 't3', 't5', 't6']);
  await c.close();
});

test('a damaged line in the middle is skipped; the lines around it are intact', async () => {
  const dir = freshDir();
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LEDGER_FILE);
  const lines = [1, 2, 3, 4, 5].map(i => encodeLine(makeRecord(`m${i}`, { input: 1_000 + i })).toString());
  lines[2] = lines[2]!.replace('"input":1003', '"input":9003'); // a flipped digit: the checksum no longer matches
  writeFileSync(file, lines.join(''));
  const { warnings, opts } = logged();
  const l = await Ledger.open(dir, opts);
  assert.equal(l.rollups.records, 4);
  assert.equal(l.rollups.total.input, 1001 + 1002 + 1004 + 1005);
  assert.equal(warnings.filter(w => /checksum mismatch/.test(w)).length, 1);
  await l.close();
});

test('a record appended right after another writer\'s torn fragment is recovered', async () => {
  // What a concurrent appender leaves when another process dies mid-write: fragment + next record, one line.
  const dir = freshDir();
  mkdirSync(dir, { recursive: true });
  const whole = encodeLine(makeRecord('w1'));
  const torn = encodeLine(makeRecord('w2')).subarray(0, 40);
  writeFileSync(path.join(dir, LEDGER_FILE), Buffer.concat([whole, torn, encodeLine(makeRecord('w3'))]));
  const { warnings, opts } = logged();
  const l = await Ledger.open(dir, opts);
  assert.deepEqual([...l.rollups.bySession.keys()], ['s1']);
  assert.equal(l.rollups.records, 2);
  assert.ok(warnings.some(w => /skipped 40 bytes of a torn record/.test(w)), warnings.join('\n'));
  await l.close();
});

test('a repeated record id (a retried append) is counted once', async () => {
  const dir = freshDir();
  mkdirSync(dir, { recursive: true });
  const line = encodeLine(makeRecord('dup'));
  writeFileSync(path.join(dir, LEDGER_FILE), Buffer.concat([line, encodeLine(makeRecord('other')), line]));
  const { warnings, opts } = logged();
  const l = await Ledger.open(dir, opts);
  assert.equal(l.rollups.records, 2);
  assert.ok(warnings.some(w => /second copy of record dup/.test(w)));
  await l.close();
});

function varied(i: number): UsageRecord {
  const tiers = ['priority', 'standard', 'flex', 'unknown'] as const;
  const priced = i % 9 !== 0;
  return makeRecord(`v${i}`, {
    ts: new Date(2026, 9 + (i % 2), 1 + (i % 28), i % 24, i % 60).toISOString(),
    sessionId: `s${i % 13}`,
    model: ['gpt-5.4', 'gpt-5.5', 'local'][i % 3]!,
    servedTier: tiers[i % 4]!,
    input: 1_000 + i,
    cached: i % 500,
    cacheWrite: i % 7,
    output: 10 + (i % 300),
    reasoning: i % 10,
    costUsd: priced ? (1 + (i % 1000)) / 1e6 * 37 : null,
    standardCostUsd: priced ? (1 + (i % 1000)) / 1e6 * 20 : null,
    estimated: i % 17 === 0 ? true : undefined,
  });
}

test('snapshot + tail gives exactly the rollups of a full rebuild, and a start reads only the tail', async () => {
  const dir = freshDir();
  const a = await Ledger.open(dir, { snapshotEvery: 0 });
  for (let i = 0; i < 300; i++) await Promise.all([a.append(varied(2 * i)), a.append(varied(2 * i + 1))]);
  await a.snapshot();
  const covered = a.offset;
  for (let i = 600; i < 900; i++) await a.append(varied(i));
  // `a` is not closed: as after a crash, the snapshot covers only part of the ledger.

  const { warnings, infos, opts } = logged();
  const b = await Ledger.open(dir, opts);
  assert.deepEqual(warnings, []);
  assert.deepEqual(infos, [], 'started from the snapshot, not a rebuild');
  assert.ok(covered > 0 && covered < b.offset);
  const rebuiltDir = freshDir();
  mkdirSync(rebuiltDir);
  copyFileSync(path.join(dir, LEDGER_FILE), path.join(rebuiltDir, LEDGER_FILE));
  const c = await Ledger.open(rebuiltDir);
  assert.deepEqual(b.rollups.toJSON(), c.rollups.toJSON());
  assert.deepEqual(b.rollups.toJSON(), a.rollups.toJSON());
  assert.equal(c.rollups.records, 900);
  assert.deepEqual(b.monthView('2026-11'), c.monthView('2026-11'));
  await Promise.all([a.close(), b.close(), c.close()]);
});

test('a damaged or foreign snapshot is ignored and the rollups rebuilt', async () => {
  const dir = freshDir();
  const a = await Ledger.open(dir);
  for (let i = 0; i < 50; i++) await a.append(varied(i));
  const want = a.rollups.toJSON();
  await a.close();
  const snap = path.join(dir, SNAPSHOT_NAME);

  writeFileSync(snap, readFileSync(snap, 'utf8').slice(0, 100));
  let log = logged();
  let b = await Ledger.open(dir, log.opts);
  assert.deepEqual(b.rollups.toJSON(), want);
  assert.ok(log.warnings.some(w => /snapshot not usable/.test(w)));
  await b.close();

  // A snapshot of another ledger (the file was replaced by a backup of the same size).
  const other = JSON.parse(readFileSync(snap, 'utf8')) as { anchor: string };
  other.anchor = '4096:deadbeef';
  writeFileSync(snap, JSON.stringify(other));
  log = logged();
  b = await Ledger.open(dir, log.opts);
  assert.deepEqual(b.rollups.toJSON(), want);
  assert.ok(log.warnings.some(w => /bytes it covers have changed/.test(w)));
  await b.close();

  unlinkSync(snap);
  b = await Ledger.open(dir);
  assert.deepEqual(b.rollups.toJSON(), want);
  await b.close();
});

test('snapshots are saved periodically as records arrive', async () => {
  const dir = freshDir();
  const l = await Ledger.open(dir, { snapshotEvery: 100 });
  await Promise.all(Array.from({ length: 150 }, (_, i) => l.append(varied(i))));
  // Reads are serialised behind a save in progress, so this returns once the periodic save is done.
  await l.catchUp();
  const snap = JSON.parse(readFileSync(path.join(dir, SNAPSHOT_NAME), 'utf8')) as { offset: number };
  assert.equal(snap.offset, statSync(l.file).size);
  const { infos, opts } = logged();
  const again = await Ledger.open(dir, opts);
  assert.equal(again.rollups.records, 150);
  assert.deepEqual(infos, []);
  await Promise.all([l.close(), again.close()]);
});

test('a ledger truncated while open is rebuilt from what remains', async () => {
  const dir = freshDir();
  const { warnings, opts } = logged();
  const l = await Ledger.open(dir, opts);
  await l.append(makeRecord('k1'));
  const keep = statSync(l.file).size;
  await l.append(makeRecord('k2'));
  truncateSync(l.file, keep);
  await l.catchUp();
  assert.equal(l.rollups.records, 1);
  assert.ok(warnings.some(w => /truncated/.test(w)));
  await l.append(makeRecord('k3'));
  assert.equal(l.rollups.records, 2);
  await l.close();
});

test('a ledger deleted while open is recreated and later appends land in the new file', async () => {
  const dir = freshDir();
  const { warnings, opts } = logged();
  const l = await Ledger.open(dir, opts);
  await l.append(makeRecord('d1'));
  unlinkSync(l.file);
  appendFileSync(l.file, encodeLine(makeRecord('d2')));
  await l.catchUp();
  assert.ok(warnings.some(w => /replaced or deleted/.test(w)));
  await l.append(makeRecord('d3'));
  assert.deepEqual(readAllRecords(l.file).map(r => r.id), ['d2', 'd3']);
  assert.equal(l.rollups.records, 2);
  await l.close();
});

test('days are local dates; months group their days', async () => {
  const l = await Ledger.open(freshDir());
  await l.append(makeRecord('a', { ts: day(30, 23), costUsd: 1, standardCostUsd: 1 }));
  await l.append(makeRecord('b', { ts: new Date(2026, 11, 1, 0, 30).toISOString(), costUsd: 2, standardCostUsd: 2 }));
  assert.equal(l.rollups.dayCostMicro('2026-11-30'), 1_000_000);
  assert.equal(l.rollups.dayCostMicro('2026-12-01'), 2_000_000);
  assert.equal(l.rollups.monthCostMicro('2026-11'), 1_000_000);
  assert.equal(l.rollups.monthCostMicro('2026-12'), 2_000_000);
  await l.close();
});
