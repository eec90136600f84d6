import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Ledger } from '../../src/host/ledger/ledger';
import { buildHelper, expectSuccess, runHelper } from './helpers/childProcess';
import { readAllRecords } from './helpers/records';

let tmp: string;
let child: string;
before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sy-budget-mp-'));
  child = await buildHelper('budgetChild', tmp);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('processes racing for the last dollars of one day cap never overshoot it', { timeout: 60_000 }, async () => {
  const dir = path.join(tmp, 'race');
  const now = new Date(2026, 10, 15, 12, 0).toISOString();
  const dayUsd = 4;
  const go = path.join(tmp, 'race-go');
  const children = ['a', 'b', 'c', 'd'].map(prefix => runHelper(child, { dir, prefix, dayUsd, now, model: 'gpt-5.4', go }));
  // All set up before any starts: a process that starts first could otherwise spend the whole cap alone.
  await Promise.all(children.map(c => c.waitForLine(l => l === 'ready')));
  writeFileSync(go, '');
  await Promise.all(children.map(expectSuccess));

  const records = readAllRecords(path.join(dir, 'usage.jsonl'));
  const spentMicro = records.reduce((sum, r) => sum + Math.round(r.costUsd! * 1e6), 0);
  assert.ok(spentMicro <= dayUsd * 1e6, `spent ${spentMicro / 1e6} of a ${dayUsd} cap`);
  // Every request spent its whole reservation (input 3,000 x $5/M + 1,000 x $30/M at most = $0.045), and
  // each process stopped only when not even the smallest request fit: the cap was used up, not dodged.
  assert.ok(spentMicro > dayUsd * 1e6 - 45_000, `only ${spentMicro / 1e6} spent`);
  const perProcess = children.map(c => Number(c.lines.find(l => l.startsWith('done '))!.slice(5)));
  assert.equal(perProcess.reduce((a, b) => a + b, 0), records.length);
  assert.ok(perProcess.filter(n => n > 0).length >= 2, `the processes took turns: ${perProcess.join(', ')}`);

  const ledger = await Ledger.open(dir);
  assert.equal(ledger.rollups.dayCostMicro('2026-11-15'), spentMicro);
  await ledger.close();
});
