// Worktree fingerprints for the loop guard: a tree hash of the whole worktree after each turn, and the
// files that changed since the previous one. A turn that changes nothing is what "no progress" means.
import { git } from '../worktrees/git';
import { openRepo, type Repo } from '../worktrees/repo';
import { worktreeFingerprint } from '../worktrees/worktrees';
import type { LiveSession } from './liveSession';

export class FingerprintCache {
  private readonly last = new Map<string, string>();
  /** Pinning git to the repository (not to the worktree's own .git file, which the agent can write). */
  private readonly repos = new Map<string, Promise<Repo>>();

  constructor(private readonly log: (msg: string) => void) {}

  async of(s: LiveSession): Promise<{ hash: string; changed: string[] } | undefined> {
    try {
      const repo = await this.repoOf(s.record.repo);
      const hash = await worktreeFingerprint(s.record.worktree, s.paths.fingerprintIndex, { repo });
      const prev = this.last.get(s.id);
      this.last.set(s.id, hash);
      if (!prev || prev === hash) return { hash, changed: [] };
      // `prev` is a tree, or a session's base commit (a commit names its tree here too).
      const out = await git(repo.root, ['diff-tree', '-r', '--name-only', '--no-renames', prev, hash]);
      return { hash, changed: out.split('\n').filter(Boolean) };
    } catch (err) {
      this.log(`Fingerprinting the worktree of session ${s.id} failed: ${(err as Error).message}`);
      return undefined;
    }
  }

  /**
   * The state the next fingerprint is compared with. A session that has not finished a turn compares with
   * its base commit (its worktree was checked out from it): no git at all until a command runs.
   */
  async baseline(s: LiveSession): Promise<void> {
    if (s.record.turns === 0 && s.record.baseCommit) this.last.set(s.id, s.record.baseCommit);
    else await this.of(s);
  }

  /** A repository opened already (a session's creation did): its sessions' fingerprints and commits need no look of their own. */
  know(root: string, repo: Repo): void {
    if (!this.repos.has(root)) this.repos.set(root, Promise.resolve(repo));
  }

  repoOf(root: string): Promise<Repo> {
    let r = this.repos.get(root);
    if (!r) {
      r = openRepo(root);
      r.catch(() => this.repos.delete(root));
      this.repos.set(root, r);
    }
    return r;
  }

  forget(sessionId: string): void {
    this.last.delete(sessionId);
  }
}
