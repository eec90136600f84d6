// What a refused New Session offers: the fix for the cap that refused it, whichever way the host words it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { refusal } from '../../src/extension/commands/startRefusal';
import { capReachedText } from '../../src/host/sessions/createSession';
import { NO_API_KEY } from '../../src/protocol/host';

test('a cap reached, or with less left than the first request reserves, offers Set Caps… for that cap; other refusals offer nothing but a retry', () => {
  const reached = refusal(capReachedText('day', 0.7, 0.7, 0.02));
  assert.deepEqual([reached.actions, reached.command, reached.args], [['Set Caps…'], 'switchyard.setBudgets', ['budget.dayUsd']]);
  const short = refusal(capReachedText('month', 0.6854, 0.7, 0.0212));
  assert.deepEqual([short.actions, short.args], [['Set Caps…'], ['budget.monthUsd']]);
  assert.match(short.message, /^Switchyard: the session was not created: The monthly cap has \$0\.0146 left of \$0\.7000, less than the first request reserves/);
  // A cap of a dollar or more is written with cents.
  assert.deepEqual(refusal(capReachedText('day', 49.99, 50, 0.03)).args, ['budget.dayUsd']);
  assert.deepEqual(refusal('A session budget of $0.0010 cannot pay for the first request.').actions, []);
  assert.deepEqual(refusal(NO_API_KEY).actions, ['Set API Key']);
});
