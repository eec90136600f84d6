// Committing an agent's work in its worktree, independent of the user's git identity.
import { GitCommandError, WorktreeError } from './errors';
import { operationInGitDir } from './inspect';
import { gitLine, gitOutput } from './git';
import { withRepoLock, type RepoLockOptions } from './lock';
import { excluding, nestedRepos } from './nestedRepos';
import { inWorktree, resolveWorktree } from './registry';
import type { Repo } from './repo';

export interface GitIdentity {
  name: string;
  email: string;
}

export const AGENT_IDENTITY: GitIdentity = { name: 'Switchyard Agent', email: 'agent@switchyard.invalid' };

export interface CommitOptions extends RepoLockOptions {
  repo?: Repo;
}

/**
 * Stages everything (untracked too, .gitignore respected) and commits it. Returns the new commit,
 * or null when there was nothing to commit. Hooks and signing are off: the commit is the agent's.
 */
export async function commitAll(worktree: string, message: string, author: GitIdentity = AGENT_IDENTITY, opts: CommitOptions = {}): Promise<string | null> {
  const ctx = await resolveWorktree(worktree, opts.repo);
  return withRepoLock(
    ctx.repo,
    async () => {
      // `add --all` would stage conflict markers as resolved, and the commit would conclude the operation.
      const op = operationInGitDir(ctx.gitDir);
      if (op) throw new WorktreeError('operation-in-progress', `${ctx.worktree} is in the middle of ${op}; its work is not committed until that is finished or aborted`);
      // Git is never run inside a repository in the worktree (nestedRepos.ts): one the index does not hold
      // is refused, and the submodules the index holds are left as they are.
      const nested = await nestedRepos(ctx.worktree, inWorktree(ctx, { env: { LC_ALL: 'C' } }));
      refuseEmbeddedRepos(nested.untracked);
      // The commit stores files as the user's filter drivers would (LFS pointers): they run here, in the
      // worktree, as they would for the user's own commit there. A Python driver run as `python -m` does not
      // import from its working folder, where an agent may have written a module of that name.
      const added = await gitOutput(ctx.worktree, ['add', '--all', '--', ':/', ...excluding(nested.gitlinks)], inWorktree(ctx, { env: { LC_ALL: 'C', PYTHONSAFEPATH: '1' } }));
      if (added.exitCode !== 0) throw new GitCommandError(['add', '--all'], added.exitCode, added.stdout, added.stderr);
      const text = message.trim() || 'Work by Switchyard agent';
      // Two git processes when there is work (each one a fork of the host): the commit names itself in full
      // ("[branch <sha>] title" with core.abbrev=40), and only a failed commit asks whether anything was staged.
      const config = [...identityConfig(author, false), 'core.abbrev=40'];
      const committed = await gitOutput(ctx.worktree, ['commit', '--no-verify', '--no-edit', '-m', text], inWorktree(ctx, { config, env: { LC_ALL: 'C' } }));
      if (committed.exitCode !== 0) {
        const staged = await gitOutput(ctx.worktree, ['diff', '--cached', '--quiet', '--no-ext-diff'], inWorktree(ctx));
        if (staged.exitCode === 0) return null;
        throw new GitCommandError(['commit'], committed.exitCode, committed.stdout, committed.stderr);
      }
      return /^\[.*? ([0-9a-f]{40,64})\] /.exec(committed.stdout)?.[1] ?? gitLine(ctx.worktree, ['rev-parse', '--verify', 'HEAD'], inWorktree(ctx));
    },
    opts,
  );
}

/**
 * A repository of its own inside the worktree (a `git clone`, or `git init`, by the agent or a scaffolder)
 * would be staged by `add --all` as a bare pointer to its commits, which live nowhere but in its own `.git`
 * there: merged, the base would get a broken submodule, and the worktree's removal would take the files.
 * Refused before anything is staged: the session says so, and the files stay where they are.
 */
function refuseEmbeddedRepos(embedded: readonly string[]): void {
  if (embedded.length === 0) return;
  const named = embedded.length === 1 ? `${embedded[0]} is a git repository of its own` : `${embedded.join(', ')} are git repositories of their own`;
  throw new WorktreeError('git-failed', `${named} (a clone, or \`git init\` and a commit, inside the worktree): committed, only a pointer to commits kept nowhere else would be. Make it a submodule (\`git submodule add\`), or remove its .git folder to commit its files`);
}

/** `-c` settings that make git commit as `who`, whatever the user has configured (or not). */
export function identityConfig(who: GitIdentity, allowSigning: boolean): string[] {
  const clean = (s: string) => s.replace(/[<>\n\r]/g, '').trim();
  const config = [`user.name=${clean(who.name) || AGENT_IDENTITY.name}`, `user.email=${clean(who.email) || AGENT_IDENTITY.email}`];
  // A signing prompt would hang a headless host; agent commits are never signed.
  if (!allowSigning) config.push('commit.gpgsign=false');
  return config;
}

/** The user's identity where configured, the agent's for whatever part is missing. */
export async function committerConfig(repoRoot: string): Promise<string[]> {
  const read = async (key: string) => {
    const out = await gitOutput(repoRoot, ['config', '--get', key]);
    return out.exitCode === 0 ? out.stdout.trim() : '';
  };
  const name = await read('user.name');
  const email = await read('user.email');
  if (name && email) return [];
  return identityConfig({ name: name || AGENT_IDENTITY.name, email: email || AGENT_IDENTITY.email }, true);
}
