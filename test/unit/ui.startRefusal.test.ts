// What a refused New Session offers: the fix for the cap that refused it, whichever way the host words it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { refusal, resumeRefusal } from '../../src/extension/commands/startRefusal';
import { refusalMessage } from '../../src/host/budgets/budgetText';
import { capReachedText } from '../../src/host/sessions/createSession';
import { NO_API_KEY } from '../../src/protocol/host';

test('a cap reached, or with less left than the first request reserves, offers Set Caps… for that cap; other refusals offer nothing but a retry', () => {
  const reached = refusal(capReachedText('day', 0.7, 0.7, 0.02));
  assert.deepEqual([reached.actions, reached.command, reached.args], [['Set Caps…'], 'switchyard.setBudgets', ['budget.dayUsd']]);
  const short = refusal(capReachedText('month', 0.6854, 0.7, 0.0212));
  assert.deepEqual([short.actions, short.args], [['Set Caps…'], ['budget.monthUsd']]);
  assert.match(short.message, /^Switchyard: the session was not created: The monthly cap has \$0\.0146 left of \$0\.70, less than the first request reserves/);
  // A cap of a dollar or more is written with cents.
  assert.deepEqual(refusal(capReachedText('day', 49.99, 50, 0.03)).args, ['budget.dayUsd']);
  assert.deepEqual(refusal('A session budget of $0.0010 cannot pay for the first request.').actions, []);
  assert.deepEqual(refusal(NO_API_KEY).actions, ['Set API Key']);
});

test('a refused resume offers the fix for what left it no room: the cap that stopped it, or its own budget', () => {
  const needs = { capUsd: 0.095, spentUsd: 0.0771, reservedUsd: 0, neededUsd: 0.0198 };
  const day = resumeRefusal(`${refusalMessage({ scope: 'day', ...needs })} Nothing was changed; raise it, then resume.`, 'abc');
  assert.deepEqual([day?.action, day?.command, day?.args], ['Set Caps…', 'switchyard.setBudgets', ['budget.dayUsd']]);
  assert.deepEqual(resumeRefusal(refusalMessage({ scope: 'month', ...needs, spentUsd: 0.095 }), 'abc')?.args, ['budget.monthUsd']);
  assert.deepEqual(resumeRefusal('The monthly cap is reached: $100.00 of $100.00 spent. Nothing was changed; raise it, then resume.', 'abc')?.args, ['budget.monthUsd']);
  assert.deepEqual(resumeRefusal('The daily cap has $0.001 left of $1,000.50, less than its next request reserves at the least ($0.018). Nothing was changed; raise it, then resume.', 'abc')?.args, ['budget.dayUsd']);
  const own = resumeRefusal(refusalMessage({ scope: 'session', ...needs }), 'abc');
  assert.deepEqual([own?.action, own?.command, own?.args], ['Raise Budget…', 'switchyard.raiseSessionBudget', ['abc']]);
  assert.deepEqual(resumeRefusal("The session's budget ($1.00) is used up; raise it before resuming.", 'abc')?.action, 'Raise Budget…');
  assert.equal(resumeRefusal('Session "x" is done; only a paused … session can be resumed.', 'abc'), undefined);
});
