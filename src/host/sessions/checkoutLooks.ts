// What is uncommitted in the user's checkout, for the note a new session gets. A fleet created at once
// asks about one checkout a hundred times; one `git status` (a fork of the host, and git reading every
// file of the checkout) answers every session created within a couple of seconds of it.
import { dirtyFiles } from '../worktrees/inspect';

const REUSE_MS = 2_000;

export class CheckoutLooks {
  private readonly recent = new Map<string, { at: number; files: Promise<string[]> }>();

  constructor(
    private readonly look: (root: string, gitCommonDir: string) => Promise<string[]> = (root, gitCommonDir) => dirtyFiles(root, {}, gitCommonDir, false),
    private readonly now: () => number = Date.now,
  ) {}

  /** Files with uncommitted changes in the checkout at `root` (of the repository whose git folder is `gitCommonDir`); [] when git cannot tell. */
  dirtyFiles(root: string, gitCommonDir: string): Promise<string[]> {
    const at = this.now();
    for (const [key, entry] of this.recent) if (at - entry.at > REUSE_MS) this.recent.delete(key);
    const known = this.recent.get(root);
    if (known) return known.files;
    const files = this.look(root, gitCommonDir).catch(() => [] as string[]);
    this.recent.set(root, { at, files });
    return files;
  }
}
