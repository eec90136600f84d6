// Git worktrees for sessions: the public surface of this folder.
export { changes, type ChangesOptions } from './changes';
export { AGENT_IDENTITY, commitAll, type CommitOptions, type GitIdentity } from './commit';
export { GitCommandError, WorktreeError, type WorktreeErrorCode } from './errors';
export { unmergedCommits } from './inspect';
export { withRepoLock, repoLockPath, type RepoLockOptions } from './lock';
export { mergeBack, type MergeBackOptions } from './merge';
export { listWorktrees, resolveWorktree, type WorktreeContext, type WorktreeEntry } from './registry';
export { currentBranch, listBranches, openRepo, resolveCommit, type Repo } from './repo';
export { slugify, uniqueBranch, worktreeDirName, BRANCH_PREFIX } from './slug';
export { worktreeFingerprint, type FingerprintOptions } from './snapshot';
export {
  createWorktree,
  prune,
  removeWorktree,
  type CreatedWorktree,
  type CreateWorktreeOptions,
  type PrunedWorktree,
  type RemoveWorktreeOptions,
} from './worktrees';
