import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { Ledger } from '../../src/host/ledger/ledger';
import { expectSuccess, helperForTests, runHelper } from './helpers/childProcess';
import { makeRecord, readAllRecords } from './helpers/records';

const ledgerChild = helperForTests('ledgerChild');

function countIds(ids: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1);
  return m;
}

test('three processes appending at once: every record exactly once, seen live by a fourth', { timeout: 30_000 }, async () => {
  const dir = path.join(ledgerChild.dir(), 'three');
  const watcher = await Ledger.open(dir, { pollMs: 50 });
  const heard: string[] = [];
  let resolveAll!: () => void;
  const allHeard = new Promise<void>(r => (resolveAll = r));
  watcher.onRecords(recs => {
    heard.push(...recs.map(r => r.id));
    if (heard.length >= 6_000) resolveAll();
  });
  const stopWatching = watcher.watch();

  const children = ['p0', 'p1', 'p2'].map(prefix => runHelper(ledgerChild.script(), { dir, prefix, count: 2_000, concurrency: 64 }));
  await Promise.all(children.map(expectSuccess));
  // This process appends too while the others run... and after they are done.
  await watcher.append(makeRecord('parent-0'));
  await allHeard;

  const expected = ['p0', 'p1', 'p2'].flatMap(p => Array.from({ length: 2_000 }, (_, i) => `${p}-${i}`)).concat('parent-0');
  const onDisk = countIds(readAllRecords(watcher.file).map(r => r.id));
  assert.equal(onDisk.size, expected.length);
  for (const id of expected) assert.equal(onDisk.get(id), 1, `${id} on disk`);
  const live = countIds(heard);
  assert.equal(live.size, expected.length);
  assert.ok([...live.values()].every(n => n === 1), 'each record delivered once');
  assert.equal(watcher.rollups.records, expected.length);
  for (const p of ['p0', 'p1', 'p2']) assert.equal(watcher.rollups.bySession.get(p)?.requests, 2_000);
  stopWatching.dispose();
  await watcher.close();

  const reopened = await Ledger.open(dir);
  assert.deepEqual(reopened.rollups.toJSON(), watcher.rollups.toJSON());
  await reopened.close();
});

test('kill -9 mid-append: every acknowledged record is there, none twice, and the ledger opens', { timeout: 30_000 }, async () => {
  const dir = path.join(ledgerChild.dir(), 'killed');
  for (let round = 0; round < 2; round++) {
    const prefix = `k${round}`;
    const victim = runHelper(ledgerChild.script(), { dir, prefix, count: 1_000_000, concurrency: 32, acks: true });
    let acked = 0;
    await victim.waitForLine(line => line.startsWith('ack ') && ++acked >= 400);
    victim.proc.kill('SIGKILL');
    assert.equal(await victim.exited, 'SIGKILL');
    const acks = victim.lines.filter(l => l.startsWith('ack ')).map(l => l.slice(4));

    const warnings: string[] = [];
    const l = await Ledger.open(dir, { log: (level, m) => void (level === 'warn' && warnings.push(m)) });
    const onDisk = countIds(readAllRecords(l.file).map(r => r.id));
    for (const id of acks) assert.equal(onDisk.get(id), 1, `acknowledged ${id} must be on disk once`);
    assert.ok([...onDisk.values()].every(n => n === 1), 'nothing doubled');
    assert.equal(l.rollups.records, onDisk.size);
    // A new writer carries on after whatever the dead one left.
    await l.append(makeRecord(`after-${round}`));
    assert.equal(countIds(readAllRecords(l.file).map(r => r.id)).get(`after-${round}`), 1);
    assert.equal(l.rollups.records, onDisk.size + 1);
    await l.close();
  }
});
