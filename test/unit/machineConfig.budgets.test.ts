// The caps in config.json are taken as VS Code's settings take them: a session budget of at least a
// millionth of a dollar, day and month caps of $0 or more, any of them null for none.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMachineConfig } from '../../src/host/machineConfig';

const parse = (budgets: Record<string, unknown>) => parseMachineConfig(JSON.stringify({ budgets }), 'config.json');

test('a session budget of $0 is refused, as VS Code refuses it; day and month caps of $0 are taken', () => {
  assert.throws(() => parse({ sessionUsd: 0 }), /^InvalidRequestError: config\.json: budgets\.sessionUsd should be a number of dollars \(at least 0\.000001\) or null, not 0: fix it/);
  assert.throws(() => parse({ sessionUsd: -1 }), /budgets\.sessionUsd should be a number of dollars \(at least 0\.000001\)/);
  // Spend is counted in millionths of a dollar: below one, a budget is $0.
  assert.throws(() => parse({ sessionUsd: 1e-9 }), /budgets\.sessionUsd should be a number of dollars \(at least 0\.000001\) or null, not 1e-9/);
  assert.throws(() => parse({ dayUsd: -1 }), /budgets\.dayUsd should be a number of dollars \(0 or more\) or null, not -1/);
  assert.deepEqual(parse({ sessionUsd: 0.5, dayUsd: 0, monthUsd: null }).budgets, { sessionUsd: 0.5, dayUsd: 0, monthUsd: null });
  assert.throws(() => parseMachineConfig('{"budgets":{"monthUsd":1e400}}', 'config.json'), /budgets\.monthUsd should be a number of dollars \(0 or more\) or null, not Infinity \(a number that is not finite\)/);
});
