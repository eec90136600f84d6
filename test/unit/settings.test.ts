// Settings read from VS Code: a quoted dollar amount is the number meant, and a cap that cannot be read is
// never replaced by a value higher than the one in force, with the notification naming what now holds.
import { setSettings } from './helpers/fakeVscode';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, test } from 'node:test';
import { problemsNotice, readSettings } from '../../src/extension/settings';

beforeEach(() => {
  // A machine with no config.json, unless a test writes one.
  process.env.SWITCHYARD_HOME = mkdtempSync(path.join(os.tmpdir(), 'switchyard-settings-'));
});

const problemOf = (problems: { key: string; message: string }[], key: string) => problems.find(p => p.key === `switchyard.${key}`)?.message;

test('a quoted plain number is the cap meant, and said to be a string', () => {
  setSettings({
    'budget.monthUsd': { globalValue: '100' },
    'budget.dayUsd': { globalValue: ' 25 ' },
    'budget.sessionUsd': { globalValue: '0.5' },
    'loopGuard.noProgressUsd': { globalValue: '.5' },
  });
  const { settings, problems } = readSettings();
  assert.deepEqual(settings.budgets, { sessionUsd: 0.5, dayUsd: 25, monthUsd: 100 }, 'not the defaults of $5, $50 and $500');
  assert.equal(settings.guard.noProgressUsd, 0.5);
  assert.equal(problemOf(problems, 'budget.monthUsd'), 'should be a number, not the string "100"; read as 100');
  assert.equal(problemOf(problems, 'budget.dayUsd'), 'should be a number, not the string " 25 "; read as 25');
  assert.equal(problems.length, 4, 'each is reported, to be fixed');
});

test("a quoted number is held to the setting's own rules", () => {
  setSettings({ 'budget.sessionUsd': { globalValue: '0' }, 'loopGuard.noProgressUsd': { globalValue: '0' } });
  const { settings, problems } = readSettings();
  assert.equal(settings.budgets.sessionUsd, 0.000001, 'a $0 session budget is the least counted, never the $5 default');
  assert.match(problemOf(problems, 'budget.sessionUsd') ?? '', /^is \$0, below the least budget counted/);
  assert.equal(settings.guard.noProgressUsd, 2, 'above 0, as a number must be');
});

test('a string that is not a plain number keeps the fallback it had', () => {
  for (const value of ['abc', '100$', '1e9', '-5', '1,000', '']) {
    setSettings({ 'budget.monthUsd': { globalValue: value } });
    const { settings, problems } = readSettings();
    assert.equal(settings.budgets.monthUsd, 500, JSON.stringify(value));
    assert.equal(problemOf(problems, 'budget.monthUsd'), 'should be a number of dollars, 0 or more, or null; using 500, the default');
  }
});

test('a cap that cannot be read keeps the lower cap in force, and null stays no cap', () => {
  writeFileSync(path.join(process.env.SWITCHYARD_HOME!, 'config.json'), JSON.stringify({ budgets: { dayUsd: 5 } }));
  setSettings({ 'budget.dayUsd': { globalValue: 'ten' }, 'budget.monthUsd': { globalValue: null } });
  const { settings, problems } = readSettings();
  assert.equal(settings.budgets.dayUsd, 5);
  assert.equal(settings.budgets.monthUsd, null);
  assert.deepEqual(problems, [{ key: 'switchyard.budget.dayUsd', message: 'should be a number of dollars, 0 or more, or null; using 5, the cap in force until now', inForce: '$5.00 (the cap in force until now)' }]);
});

test("a workspace's typo over the user's quoted budget takes the user's number", () => {
  setSettings({ 'budget.sessionUsd': { globalValue: '1', workspaceValue: 'one' } });
  const { settings, problems } = readSettings();
  assert.equal(settings.budgets.sessionUsd, 1);
  assert.equal(problemOf(problems, 'budget.sessionUsd'), "should be a number of dollars, at least 0.000001, or null; using 1, from your user settings");
});

test('the notification names the value in force of each malformed cap, caps first, at most two', () => {
  setSettings({ 'maxTurns': { globalValue: 5000 }, 'budget.monthUsd': { globalValue: 'abc' }, 'budget.dayUsd': { globalValue: '100' } });
  const { problems } = readSettings();
  assert.equal(problemsNotice(problems),
    '3 settings are not valid. switchyard.budget.dayUsd: using $100.00 (from the string "100"); switchyard.budget.monthUsd: using $500.00 (the default); and 1 more. Details are in the Switchyard output.');
  setSettings({ 'maxTurns': { globalValue: 5000 }, 'budget.monthUsd': { globalValue: 'abc' } });
  assert.equal(problemsNotice(readSettings().problems), '2 settings are not valid. switchyard.budget.monthUsd: using $500.00 (the default); switchyard.maxTurns. Details are in the Switchyard output.');
  // One problem is said whole, as the log says it.
  setSettings({ 'budget.monthUsd': { globalValue: 'abc' } });
  assert.equal(problemsNotice(readSettings().problems), 'Setting switchyard.budget.monthUsd should be a number of dollars, 0 or more, or null; using 500, the default.');
});
