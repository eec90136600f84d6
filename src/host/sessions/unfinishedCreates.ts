// A session's branch and worktree exist a moment before its record does: `git worktree add` on a large
// checkout takes seconds. A process killed in that moment would leave both to no session, for good. So each
// creation is noted first (a small file under the home's locks), and the note goes once the record is saved.
// A note whose process is gone, for a worktree no record names, is a creation that never finished: the next
// creation in that repository undoes it, unless something was done in it since.
import { randomUUID } from 'node:crypto';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { currentProcess, isProcessAlive, type ProcessIdentity } from '../util/fileLock';
import { makeDir } from '../util/makeDir';
import type { PlannedWorktree, UnfinishedCreateOutcome } from '../worktrees/worktrees';

const UNREADABLE_NOTE_MS = 60_000;

interface CreationNote extends PlannedWorktree {
  owner: ProcessIdentity;
  /** The repository's identity root, as session records name it. */
  repo: string;
}

export class UnfinishedCreates {
  /** Repositories this process has looked for unfinished creations in: once each is enough. */
  private readonly checked = new Map<string, Promise<void>>();

  constructor(private readonly dir: string) {}

  /** Notes a creation about to make `planned`; returns the note's file, for `finished`. */
  async begin(repo: string, planned: PlannedWorktree): Promise<string> {
    await makeDir(this.dir);
    const file = path.join(this.dir, `${randomUUID()}.json`);
    const note: CreationNote = { ...planned, repo, owner: currentProcess() };
    await writeFile(file, JSON.stringify(note));
    return file;
  }

  /** The session's record is saved (or nothing was made): the note is no longer needed. */
  async finished(file: string): Promise<void> {
    await rm(file, { force: true });
  }

  /**
   * Undoes the creations in `repo` whose process is gone and whose worktree no record names (`named`, read
   * from disk now: a process may have saved its record and died before removing its note). `undo` removes
   * the worktree and branch only if nothing was done in them, and not while git may still be adding them:
   * that note is kept for a later look (the next creation's here, or another process's).
   */
  recover(repo: string, named: () => Promise<ReadonlySet<string>>, undo: (planned: PlannedWorktree) => Promise<UnfinishedCreateOutcome>, log: (msg: string) => void): Promise<void> {
    let p = this.checked.get(repo);
    if (!p) {
      p = this.recoverNow(repo, named, undo, log)
        // One left for later is looked at again by the next creation here.
        .then(leftSome => {
          if (leftSome) this.checked.delete(repo);
        })
        .catch(err => log(`Looking for unfinished session creations failed: ${(err as Error).message}`));
      this.checked.set(repo, p);
    }
    return p;
  }

  private async recoverNow(repo: string, named: () => Promise<ReadonlySet<string>>, undo: (planned: PlannedWorktree) => Promise<UnfinishedCreateOutcome>, log: (msg: string) => void): Promise<boolean> {
    const files = (await readdir(this.dir).catch(() => [] as string[])).filter(f => f.endsWith('.json'));
    const stale: Array<{ file: string; note: CreationNote }> = [];
    for (const f of files) {
      const file = path.join(this.dir, f);
      const note = parseNote(await readFile(file, 'utf8').catch(() => ''));
      if (note && note.repo === repo && !isProcessAlive(note.owner)) stale.push({ file, note });
      // A note cut short was cut before its worktree was made (it is written first); one being written now is not old.
      else if (!note && Date.now() - ((await stat(file).catch(() => undefined))?.mtimeMs ?? Date.now()) > UNREADABLE_NOTE_MS) await rm(file, { force: true });
    }
    if (!stale.length) return false;
    const owned = await named();
    let leftSome = false;
    for (const { file, note } of stale) {
      if (!owned.has(note.worktree)) {
        const outcome = await undo(note);
        if (outcome === 'still-adding') {
          log(`Left the worktree ${note.worktree} of a session whose creation was cut off: git may still be adding it. A later creation in this repository looks at it again.`);
          leftSome = true;
          continue;
        }
        log(outcome === 'undone'
          ? `Removed the worktree and branch ${note.branch} of a session whose creation was cut off (its process ended before its record was saved).`
          : `Kept the worktree ${note.worktree} and branch ${note.branch} of a session whose creation was cut off: something was done in them since.`);
      }
      await rm(file, { force: true });
    }
    return leftSome;
  }
}

function parseNote(text: string): CreationNote | undefined {
  try {
    const n = JSON.parse(text) as Partial<CreationNote>;
    const ok = typeof n.repo === 'string' && typeof n.branch === 'string' && typeof n.baseCommit === 'string' && typeof n.worktree === 'string'
      && typeof n.owner === 'object' && n.owner !== null && typeof n.owner.pid === 'number' && typeof n.owner.host === 'string';
    return ok ? (n as CreationNote) : undefined;
  } catch {
    return undefined;
  }
}
