// A CLI process follows config.json while it runs: a changed file becomes its settings once; one that is
// not valid, or is removed or emptied, is said once and leaves the settings in force as they were.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { MachineConfigFollower, type MachineConfig } from '../../src/host/machineConfig';
import { tempDir } from './helpers/engineKit';

test('each change of config.json is applied once; a broken file is said once and changes nothing', async t => {
  const home = tempDir(t);
  const file = path.join(home, 'config.json');
  const applied: Partial<MachineConfig>[] = [];
  const logs: string[] = [];
  const f = new MachineConfigFollower(home, m => applied.push(m), m => logs.push(m));
  t.after(() => f.stop());
  await f.look();
  assert.deepEqual(applied, [{}], 'no file: the defaults');
  writeFileSync(file, JSON.stringify({ maxConcurrentSessions: 4, budgets: { dayUsd: 5 } }));
  await f.look();
  await f.look();
  assert.deepEqual(applied.slice(1), [{ maxConcurrentSessions: 4, budgets: { dayUsd: 5 } }], 'applied once');
  writeFileSync(file, '{"maxConcurrentSessions": 0}');
  await f.look();
  await f.look();
  assert.equal(applied.length, 2, 'nothing applied from a file that is not valid');
  assert.equal(logs.length, 1);
  assert.match(logs[0]!, /maxConcurrentSessions should be a whole number, 1 or more, not 0.* The settings in force stay as they were\.$/);
  writeFileSync(file, JSON.stringify({ maxConcurrentSessions: 2 }));
  await f.look();
  assert.deepEqual(applied.at(-1), { maxConcurrentSessions: 2 });
  // Removed or emptied mid-run (a `>` redirect half-way, a sync tool): the caps in force hold, said once each.
  const count = applied.length;
  rmSync(file);
  await f.look();
  await f.look();
  writeFileSync(file, '');
  await f.look();
  writeFileSync(file, ' \n');
  await f.look();
  assert.equal(applied.length, count, 'nothing applied: the defaults would lift every cap');
  assert.equal(logs.length, 3, 'removed, then emptied to blanks: one line each (an empty file reads as the removed one)');
  assert.match(logs[1]!, /config\.json was removed or emptied\. The settings in force stay as they were until this process ends\.$/);
  writeFileSync(file, JSON.stringify({ budgets: { dayUsd: 1 } }));
  await f.look();
  assert.deepEqual(applied.at(-1), { budgets: { dayUsd: 1 } }, 'written again, it applies');
});
