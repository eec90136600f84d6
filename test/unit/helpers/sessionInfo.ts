// A SessionInfo as the host sends one, for tests of what the extension and webviews show; `over` sets the
// fields a test is about.
import type { SessionInfo } from '../../../src/protocol/types';

export const noUsage = { input: 0, cached: 0, cacheWrite: 0, output: 0, reasoning: 0, requests: 0 };
export const noSpendByTier = { priority: 0, standard: 0, flex: 0, unknown: 0 };

export function sessionInfo(over: Partial<SessionInfo> = {}): SessionInfo {
  return {
    id: 'sess-1', title: 'Fix the tests', task: 'Fix them', role: 'coder', model: 'gpt-5.4', tier: 'standard', agent: 'builtin', approval: 'auto',
    budgetUsd: 5, repo: '/r', baseBranch: 'main', baseCommit: 'abc', branch: 'switchyard/fix', worktree: '/w/fix', status: 'running',
    createdAt: '2026-11-02T10:00:00Z', updatedAt: '2026-11-02T10:00:00Z', usage: noUsage, costUsd: 0, costByTier: noSpendByTier, unpricedRequests: 0,
    estimatedRequests: 0, priorityPremiumUsd: 0, turns: 0, guard: { level: 'ok', spentSinceProgressUsd: 0, turnsSinceProgress: 0 },
    cacheBreakLossUsd: 0, cacheBreaks: 0, ...over,
  };
}
