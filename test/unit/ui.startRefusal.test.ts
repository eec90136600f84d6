// What a refused New Session offers: the fix for the cap that refused it, whichever way the host words it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { refusal } from '../../src/extension/commands/startRefusal';
import { NO_API_KEY } from '../../src/protocol/host';

test('a cap reached, or with less left than the first request reserves, offers Set Caps… for that cap; other refusals offer nothing but a retry', () => {
  const reached = refusal('The daily cap is reached: $0.7000 of $0.7000 spent. No session starts until tomorrow, or until the cap is raised (switchyard.budget.dayUsd in VS Code; "budgets" in the Switchyard home\'s config.json for the CLI).');
  assert.deepEqual([reached.actions, reached.command, reached.args], [['Set Caps…'], 'switchyard.setBudgets', ['budget.dayUsd']]);
  const short = refusal('The monthly cap has $0.0146 left of $0.7000, less than the first request reserves ($0.0212). No session starts until next month, or until the cap is raised (switchyard.budget.monthUsd in VS Code; "budgets" in the Switchyard home\'s config.json for the CLI).');
  assert.deepEqual([short.actions, short.args], [['Set Caps…'], ['budget.monthUsd']]);
  assert.match(short.message, /^Switchyard: the session was not created: The monthly cap has \$0\.0146 left/);
  assert.deepEqual(refusal('A session budget of $0.0010 cannot pay for the first request.').actions, []);
  assert.deepEqual(refusal(NO_API_KEY).actions, ['Set API Key']);
});
