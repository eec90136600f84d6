// Budgets typed into an input box: with or without a dollar sign.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dollarsIn, isDollars } from '../../src/extension/commands/dollars';

test('a budget is read with or without its dollar sign; anything else is not one', () => {
  assert.deepEqual(['10', '$10', ' $ 2.50 ', '0.00001'].map(dollarsIn), [10, 10, 2.5, 0.00001]);
  for (const bad of ['', '$', 'abc', '10$', '1,000', '0x10', '1e1', '-1', 'Infinity']) assert.ok(Number.isNaN(dollarsIn(bad)), bad);
  assert.equal(isDollars('$0', 0), true);
  assert.equal(isDollars('$0', 0, true), false);
  assert.equal(isDollars('-1', 0), false);
});
