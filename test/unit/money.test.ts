import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBudgetUsd } from '../../src/host/budgets/budgetText';
import { usd as sidebarUsd } from '../../src/extension/views/numbers';
import { usd as webviewUsd } from '../../src/webview/format';

test('one cost reads alike in the sidebar, the meter, the Spend view and a budget message', () => {
  for (const [v, said] of [[0.0128, '$0.0128'], [0.013, '$0.013'], [0.5, '$0.50'], [0.82456, '$0.8246'], [12.3456, '$12.35'], [1234.5, '$1,234.50']] as const) {
    assert.equal(sidebarUsd(v), said);
    assert.equal(webviewUsd(v), said);
    assert.equal(formatBudgetUsd(v), said);
  }
  // A cap below a hundredth of a cent keeps its digits in a budget message, where "<$0.0001 of <$0.0001" would say nothing.
  assert.equal(formatBudgetUsd(0.00001), '$0.00001');
  assert.equal(sidebarUsd(0.00001), '<$0.0001');
});
