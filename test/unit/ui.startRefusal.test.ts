// What a refused New Session, or a failed session, offers: the fix for what stopped it, whichever way the host words it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failedAlert, refusal, resumeRefusal } from '../../src/extension/commands/startRefusal';
import { refusalMessage } from '../../src/host/budgets/budgetText';
import { capReachedText } from '../../src/host/sessions/createSession';
import { settingsProblem } from '../../src/host/sessions/preflight';
import { BASE_URL_WHERE, DEFAULT_SETTINGS } from '../../src/host/settings';
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

test('no key for OpenAI offers Set API Key, and says a local or other OpenAI-compatible server may need none', () => {
  const r = refusal(NO_API_KEY);
  assert.deepEqual([r.actions, r.command], [['Set API Key'], 'switchyard.setApiKey']);
  assert.match(r.message, /there is no API key for OpenAI yet\. Set one, or point switchyard\.baseUrl at a local or other OpenAI-compatible server \(which may need none\)\.$/);
});

// The reason the agent loop gives up with when the base URL was never reached (agentLoop.retries.test.ts holds it to this).
const unreachable = `Could not reach the model server: connect ECONNREFUSED 127.0.0.1:11434 (gave up after 3 attempts). Check the base URL ${BASE_URL_WHERE} and that the server is running.`;

test('a session that never reached its server offers to open the base URL setting, named without the CLI flags', () => {
  const a = failedAlert(unreachable, false);
  assert.deepEqual(a.actions, ['Open Settings', 'Retry', 'Open Transcript']);
  assert.deepEqual([a.fix?.command, a.fix?.args], ['workbench.action.openSettings', ['switchyard.baseUrl']]);
  assert.equal(a.message, 'Could not reach the model server: connect ECONNREFUSED 127.0.0.1:11434 (gave up after 3 attempts). Check the base URL (the switchyard.baseUrl setting) and that the server is running.');
  // Other failures keep their reason and buttons; a refused key offers a new one.
  assert.deepEqual(failedAlert('Not found (404): no such model. Check the model name and the base URL.', false), { message: 'Not found (404): no such model. Check the model name and the base URL.', actions: ['Retry', 'Open Transcript'], fix: undefined });
  assert.deepEqual(failedAlert('The API key was refused (401).', true).actions, ['Set API Key…', 'Open Transcript']);
});

test('a base URL that is not a URL refuses the start with Open Settings at that setting', () => {
  const why = settingsProblem({ ...DEFAULT_SETTINGS, baseURL: 'localhost:11434' }, 'sk-x')!;
  const r = refusal(why);
  assert.deepEqual([r.actions, r.command, r.args], [['Open Settings'], 'workbench.action.openSettings', ['switchyard.baseUrl']]);
  assert.equal(r.message, 'Switchyard: the session was not created: The base URL "localhost:11434" is not an http(s) URL (the switchyard.baseUrl setting). Nothing was sent.');
  assert.doesNotMatch(r.message, /--base-url|OPENAI_BASE_URL/);
});
