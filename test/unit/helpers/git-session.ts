// A sandbox repository with one session worktree, and the merge call the merge tests make.
import assert from 'node:assert/strict';
import type { MergeResult } from '../../../src/protocol/sessions';
import type { MergeStrategy } from '../../../src/protocol/types';
import { mergeBack } from '../../../src/host/worktrees/merge';
import { createWorktree, type CreatedWorktree } from '../../../src/host/worktrees/worktrees';
import { commitAllIn, makeSandbox, write, type Sandbox } from './git-fixtures';

export interface SessionSandbox {
  box: Sandbox;
  wt: CreatedWorktree;
  merge(strategy: MergeStrategy, extra?: { message?: string; commitPending?: boolean }): Promise<MergeResult>;
}

export async function makeSessionSandbox(): Promise<SessionSandbox> {
  const box = makeSandbox();
  const wt = await createWorktree({ repoRoot: box.repo, worktreesDir: box.worktreesDir, locksDir: box.locksDir, base: 'main', slug: 'feature' });
  return {
    box,
    wt,
    merge: (strategy, extra = {}) => mergeBack({ repoRoot: box.repo, branch: wt.branch, baseBranch: 'main', strategy, worktree: wt.worktree, locksDir: box.locksDir, ...extra }),
  };
}

/** The agent adds feature.txt (two commits) and edits line 3 of src/app.txt; the user commits user.txt on main. */
export function divergeCleanly({ box, wt }: SessionSandbox): void {
  write(wt.worktree, 'feature.txt', 'feature\n');
  write(wt.worktree, 'src/app.txt', 'line 1\nline 2\nline 3 by agent\n');
  commitAllIn(wt.worktree, 'agent: feature');
  write(wt.worktree, 'feature.txt', 'feature, part two\n');
  commitAllIn(wt.worktree, 'agent: feature part two');
  write(box.repo, 'user.txt', 'user work\n');
  commitAllIn(box.repo, 'user: unrelated');
}

export function assertMerged(result: MergeResult): asserts result is Extract<MergeResult, { ok: true }> {
  assert.ok(result.ok, `merge failed: ${JSON.stringify(result)}`);
}
