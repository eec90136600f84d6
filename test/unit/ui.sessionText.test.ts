// The words of the Sessions tree, the status-bar meter and the tier commands: pure, so tested in plain Node.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { budgetAboveCapsLeft } from '../../src/extension/commands/budgetRoom';
import { defaultTierChanged, NO_SESSION_FOR_TIER, noSessionForTier } from '../../src/extension/commands/defaultTier';
import { meterFace } from '../../src/extension/statusBar/meterFace';
import { groupAccessibilityLabel, groupOf, matchesFilter, needsAttention } from '../../src/extension/views/sessionGroups';
import { details, rowDescription } from '../../src/extension/views/sessionRows';
import type { BudgetStatus, SpendSummary } from '../../src/protocol/spend';
import { noSpendByTier, noUsage, sessionInfo } from './helpers/sessionInfo';

const usage = noUsage;
const byTier = noSpendByTier;

const session = sessionInfo;

test('the filter takes spaces for hyphens: "over budget" finds an over-budget session', () => {
  const s = session({ status: 'over-budget' });
  for (const f of ['over budget', 'Over-Budget', 'over_budget', '  over   budget ']) assert.ok(matchesFilter(s, f), f);
  assert.ok(matchesFilter(session({ branch: 'switchyard/fix-flaky-tests' }), 'fix flaky'));
  assert.ok(!matchesFilter(session({ status: 'running' }), 'over budget'));
  assert.ok(matchesFilter(s, ''), 'an empty filter keeps all');
});

test('the filter finds the sessions of a group by its name', () => {
  for (const status of ['waiting', 'stuck', 'over-budget', 'failed'] as const) {
    assert.ok(matchesFilter(session({ status }), 'attention'), status);
    assert.ok(matchesFilter(session({ status }), 'Needs attention'), status);
  }
  assert.ok(!matchesFilter(session({ status: 'running' }), 'needs attention'));
  assert.ok(matchesFilter(session({ status: 'done' }), 'ready to review'));
  // A status named keeps to that status, not to every status of its group.
  assert.ok(matchesFilter(session({ status: 'stopped' }), 'stopped'));
  assert.ok(!matchesFilter(session({ status: 'paused' }), 'stopped'));
});

test('a session the loop guard stopped needs attention still; one the user stopped does not', () => {
  const guardStopped = session({ status: 'stopped', guard: { level: 'stop', reason: 'Stopped: still looping', spentSinceProgressUsd: 0.2, turnsSinceProgress: 3 } });
  assert.equal(groupOf(guardStopped)?.label, 'Needs attention');
  assert.ok(needsAttention(guardStopped));
  assert.ok(matchesFilter(guardStopped, 'attention'));
  const userStopped = session({ status: 'stopped' });
  assert.equal(groupOf(userStopped)?.label, 'Paused or stopped');
  assert.ok(!needsAttention(userStopped));
});

test('a row says what the loop guard did in words, and not where its status says it already', () => {
  const guard = (level: 'warn' | 'downgrade' | 'pause' | 'stop') => ({ level, reason: 'the same command, 3 times', spentSinceProgressUsd: 0.2, turnsSinceProgress: 3 });
  assert.match(rowDescription(session({ status: 'running', guard: guard('warn') })), / · ⚠ may be looping$/);
  assert.match(rowDescription(session({ status: 'running', guard: guard('downgrade') })), / · ⚠ looping: moved to a cheaper tier$/);
  // A CLI run's guard stops where the editor's pauses; the session is stuck either way.
  for (const level of ['pause', 'stop'] as const) assert.doesNotMatch(rowDescription(session({ status: 'stuck', guard: guard(level) })), /⚠/);
  assert.doesNotMatch(rowDescription(session({ status: 'stopped', guard: guard('stop') })), /⚠/);
  assert.match(rowDescription(session({ status: 'done', guard: guard('pause') })), / · ⚠ loop guard paused it$/);
});

test('a row stopped by the day or month cap names the cap, not "over-budget" (its own budget may be barely used)', () => {
  assert.match(rowDescription(session({ status: 'over-budget', statusCause: 'day-budget' })), /^paused by day cap · /);
  assert.match(rowDescription(session({ status: 'over-budget', statusCause: 'month-budget' })), /^paused by month cap · /);
  assert.match(rowDescription(session({ status: 'over-budget', statusCause: 'session-budget' })), /^over-budget · /);
});

test('a group row tells a screen reader what its number counts', () => {
  assert.equal(groupAccessibilityLabel('Needs attention', 11), 'Needs attention, 11 sessions');
  assert.equal(groupAccessibilityLabel('Running', 1), 'Running, 1 session');
});

test('detail rows: turns in the singular, and each row read out with its visible text', () => {
  const rows = details(session({ turns: 1, usage: { ...usage, requests: 1 }, cacheBreaks: 1, cacheBreakLossUsd: 0.02 }));
  const row = (id: string) => rows.find(r => r.id === `detail:sess-1:${id}`)!;
  assert.equal(row('requests').description, '1 · 1 turn');
  assert.equal(row('cache').label, '1 cache break');
  assert.equal(details(session({ turns: 3 })).find(r => r.id.endsWith(':requests'))!.description, '0 · 3 turns');
  const branch = row('branch').accessibilityLabel;
  assert.match(branch, /^switchyard\/fix, from main, builtin, coder/, 'the visible text, not the worktree path alone');
  assert.match(branch, /\/w\/fix/, 'and the worktree its tooltip shows');
  for (const r of rows) assert.ok(r.accessibilityLabel.startsWith(r.label), r.id);
});

test("a stuck session's loop-guard reason is listed once", () => {
  const reason = 'the same failing command, 4 times';
  const s = session({ status: 'stuck', statusReason: `Loop guard: ${reason} ($0.40).`, guard: { level: 'pause', reason, spentSinceProgressUsd: 0.4, turnsSinceProgress: 4 } });
  const rows = details(s).filter(r => r.label.includes(reason));
  assert.equal(rows.length, 1, rows.map(r => r.label).join(' | '));
  assert.match(rows[0]!.description, /\$0\.40 since progress/);
  // A reason of another kind is still shown beside the guard's.
  const other = details({ ...s, statusReason: 'Paused by you.' });
  assert.ok(other.some(r => r.label === 'Paused by you.'));
});

function summary(budgets: BudgetStatus[], capReached = false): SpendSummary {
  const figures = { costUsd: 0.8246, usage, costByTier: byTier, priorityPremiumUsd: 0, unpricedRequests: 0, estimatedRequests: 0, cacheShare: 0.4 };
  return { day: '2026-11-02', month: '2026-11', today: figures, thisMonth: figures, topSessions: [], budgets, capReached };
}

test('the meter says a cap is near or reached in its text and label, not by colour alone', () => {
  const calm = meterFace(summary([{ scope: 'day', capUsd: 10, spentUsd: 0.82, reservedUsd: 0 }]));
  assert.deepEqual(calm, { text: '$(pulse) $0.8246 · 40% cached', label: 'Switchyard spend today $0.8246, 40% of input cached', level: 'none' });
  const near = meterFace(summary([{ scope: 'month', capUsd: 100, spentUsd: 20, reservedUsd: 0 }, { scope: 'day', capUsd: 1, spentUsd: 0.85, reservedUsd: 0.06 }]));
  assert.equal(near.level, 'warning');
  assert.equal(near.text, '$(warning) $0.8246 · 40% cached · 91% of day cap');
  assert.match(near.label, /91% of day cap used/);
  const reached = meterFace(summary([{ scope: 'day', capUsd: 0.8, spentUsd: 0.8, reservedUsd: 0 }], true));
  assert.equal(reached.level, 'error');
  assert.equal(reached.text, '$(warning) $0.8246 · 40% cached · day cap reached');
  assert.match(reached.label, /day cap is reached: work is stopped/);
  // The month cap stops work with $0.0146 left, less than a request's worst case: named, though the day cap is fuller.
  const stopping = meterFace(summary([{ scope: 'day', capUsd: 1, spentUsd: 0.95, reservedUsd: 0 }, { scope: 'month', capUsd: 0.7, spentUsd: 0.6854, reservedUsd: 0, stopped: true }], true));
  assert.equal(stopping.level, 'error');
  assert.equal(stopping.text, '$(warning) $0.8246 · 40% cached · month cap reached');
});

test('changing the default tier says what new sessions will cost', () => {
  assert.equal(defaultTierChanged('priority', 'standard', NO_SESSION_FOR_TIER),
    `Switchyard: ${NO_SESSION_FOR_TIER} New sessions will now start at priority (about 2× the standard price), not standard; sessions already started keep their tier.`);
  assert.match(defaultTierChanged('standard', 'priority'), /^Switchyard: New sessions will now start at standard \(the standard price\), not priority/);
  // A session selected that has ended is named: "no session runs" would be false with others running.
  assert.equal(noSessionForTier(undefined), NO_SESSION_FOR_TIER);
  assert.match(noSessionForTier({ title: 'Fix login', status: 'done' }), /^"Fix login" is done, so its tier no longer matters: the default tier \(switchyard\.defaultTier\) changed instead\./);
});

test('New Session warns of a session budget more than the day or month cap has left, and of a cap spent', () => {
  const day = (spentUsd: number, reservedUsd = 0): BudgetStatus => ({ scope: 'day', capUsd: 20, spentUsd, reservedUsd });
  const month = (spentUsd: number): BudgetStatus => ({ scope: 'month', capUsd: 100, spentUsd, reservedUsd: 0 });
  assert.deepEqual(budgetAboveCapsLeft(15, summary([day(7.7), month(10)])), { what: "more than the $12.30 left under today's cap", so: 'it stops there', short: 'only $12.30 left today' });
  assert.equal(budgetAboveCapsLeft(12.3, summary([day(7.7), month(10)])), undefined, 'exactly what is left fits');
  // The tighter cap is named; what requests in flight hold is not counted as spent.
  assert.deepEqual(budgetAboveCapsLeft(15, summary([day(0, 19), month(95)])), { what: "more than the $5.00 left under this month's cap", so: 'it stops there', short: 'only $5.00 left this month' });
  assert.equal(budgetAboveCapsLeft(3, summary([day(7.7), month(10)])), undefined);
  // No session budget: only a spent cap is worth a word (the session stops at the caps anyway).
  assert.equal(budgetAboveCapsLeft(null, summary([day(7.7)])), undefined);
  assert.deepEqual(budgetAboveCapsLeft(null, summary([day(20)])), { what: "today's cap is spent", so: 'it cannot start until that cap is raised', short: "today's cap is spent" });
  // A cap that refused one larger request is not spent: a start is held to what is spent.
  assert.deepEqual(budgetAboveCapsLeft(1, summary([{ ...day(19.5), stopped: true }])), { what: "more than the $0.50 left under today's cap", so: 'it stops there', short: 'only $0.50 left today' });
  // Less left than the first request reserves: it would not start, whatever its own budget.
  const low = { what: "only $0.0128 left under today's cap, less than its first request reserves ($0.018)", so: 'it cannot start until that cap is raised', short: "today's cap too low to start" };
  assert.deepEqual(budgetAboveCapsLeft(1, summary([{ ...day(0), capUsd: 0.02, spentUsd: 0.0072 }]), 0.018), low);
  assert.deepEqual(budgetAboveCapsLeft(null, summary([{ ...day(0), capUsd: 0.02, spentUsd: 0.0072 }]), 0.018), low);
  assert.equal(budgetAboveCapsLeft(0.01, summary([{ ...day(0), capUsd: 0.02, spentUsd: 0.0072 }]), 0.012), undefined, 'what is left pays for it, and the budget is less');
  // No caps, or no figures yet: nothing to say.
  assert.equal(budgetAboveCapsLeft(1000, summary([])), undefined);
  assert.equal(budgetAboveCapsLeft(1000, undefined), undefined);
});
