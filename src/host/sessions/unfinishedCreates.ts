// A session's branch and worktree exist a moment before its record does: `git worktree add` on a large
// checkout takes seconds. A process killed in that moment would leave both to no session, for good. So each
// creation is noted first (a small file under the home's locks), and the note goes once the record is saved.
// A note whose process is gone, for a worktree no record names, is a creation that never finished: the next
// creation in that repository undoes it, unless something was done in it since, or the git that adds it is
// still running (a kill reaches the process that started it, not git): that one is looked at again later.
import { randomUUID } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { currentProcess, isProcessAlive, isProcessIdentity, processOf, type ProcessIdentity } from '../util/fileLock';
import { makeDir } from '../util/makeDir';
import type { PlannedWorktree } from '../worktrees/worktrees';

const UNREADABLE_NOTE_MS = 60_000;
/** A repository whose look left a creation to its git is looked at again after this long, not before. */
const LOOK_AGAIN_MS = 30_000;

interface CreationNote extends PlannedWorktree {
  owner: ProcessIdentity;
  /** The repository's identity root, as session records name it. */
  repo: string;
  /** The git adding the worktree, once it runs. */
  adder?: ProcessIdentity;
}

/** Undoes a creation if nothing was done in it; says whether it is gone. */
type Undo = (planned: PlannedWorktree) => Promise<boolean>;

export class UnfinishedCreates {
  /** Repositories this process has looked for unfinished creations in: once each is enough. */
  private readonly checked = new Map<string, Promise<void>>();
  /** Repositories with a creation left to its git, and when to look at them again. */
  private readonly lookAgainAt = new Map<string, number>();
  /** The notes this process wrote, by file, until their creation has finished. */
  private readonly notes = new Map<string, CreationNote>();

  constructor(private readonly dir: string) {}

  /** Notes a creation about to make `planned`; returns the note's file, for `adding` and `finished`. */
  async begin(repo: string, planned: PlannedWorktree): Promise<string> {
    await makeDir(this.dir);
    const file = path.join(this.dir, `${randomUUID()}.json`);
    const note: CreationNote = { ...planned, repo, owner: currentProcess() };
    // Whole or not at all, as its rewrite below: a note a kill cut short would be kept a minute as one being written.
    await writeFile(`${file}.next`, JSON.stringify(note));
    await rename(`${file}.next`, file);
    this.notes.set(file, note);
    return file;
  }

  /**
   * The git adding the noted worktree runs as `gitPid`: the note names it, for a look after a kill. Written
   * at once, in the tick git was started in (two small syscalls per creation): written later, a kill in
   * between would leave a note that reads as one whose git is gone while git still adds the worktree.
   */
  adding(file: string, gitPid: number): void {
    const note = this.notes.get(file);
    if (!note) return;
    // Whole or not at all: a note cut short by a kill would read as one never written, its worktree kept by nobody.
    const next = `${file}.next`;
    try {
      writeFileSync(next, JSON.stringify({ ...note, adder: processOf(gitPid) }));
      renameSync(next, file);
    } catch {
      // Without its git named, a note is looked at as one whose git is gone: as before there was a name.
    }
  }

  /** The session's record is saved (or nothing was made): the note is no longer needed. */
  async finished(file: string): Promise<void> {
    this.notes.delete(file);
    await rm(file, { force: true });
  }

  /**
   * Undoes the creations in `repo` whose process is gone and whose worktree no record names (`named`, read
   * from disk now: a process may have saved its record and died before removing its note). `undo` removes
   * the worktree and branch only if nothing was done in them. A creation whose git still runs is left to
   * it, its note kept: a creation here looks again LOOK_AGAIN_MS later, as does any other process's.
   */
  recover(repo: string, named: () => Promise<ReadonlySet<string>>, undo: Undo, log: (msg: string) => void): Promise<void> {
    let p = this.checked.get(repo);
    const again = this.lookAgainAt.get(repo);
    if (!p || (again !== undefined && Date.now() >= again)) {
      this.lookAgainAt.delete(repo);
      p = this.recoverNow(repo, named, undo, log)
        .then(leftSome => {
          if (leftSome) this.lookAgainAt.set(repo, Date.now() + LOOK_AGAIN_MS);
        })
        .catch(err => log(`Looking for unfinished session creations failed: ${(err as Error).message}`));
      this.checked.set(repo, p);
    }
    return p;
  }

  private async recoverNow(repo: string, named: () => Promise<ReadonlySet<string>>, undo: Undo, log: (msg: string) => void): Promise<boolean> {
    const all = await readdir(this.dir).catch(() => [] as string[]);
    // A write cut off before its rename: the note it was for is whole beside it, or was never made. It goes
    // once that note's process is gone (nobody will rename it), or after a minute.
    for (const f of all.filter(f => f.endsWith('.json.next'))) {
      const file = path.join(this.dir, f);
      const beside = parseNote(await readFile(file.slice(0, -'.next'.length), 'utf8').catch(() => ''));
      if ((beside && !isProcessAlive(beside.owner)) || (await olderThan(file, UNREADABLE_NOTE_MS))) await rm(file, { force: true });
    }
    const stale: Array<{ file: string; note: CreationNote }> = [];
    for (const f of all.filter(f => f.endsWith('.json'))) {
      const file = path.join(this.dir, f);
      const note = parseNote(await readFile(file, 'utf8').catch(() => ''));
      if (note && note.repo === repo && !isProcessAlive(note.owner)) stale.push({ file, note });
      // A note cut short was cut before its worktree was made (it is written first); one being written now is not old.
      else if (!note && (await olderThan(file, UNREADABLE_NOTE_MS))) await rm(file, { force: true });
    }
    if (!stale.length) return false;
    const owned = await named();
    let leftSome = false;
    for (const { file, note } of stale) {
      if (!owned.has(note.worktree)) {
        if (note.adder && isProcessAlive(note.adder)) {
          log(`Left the worktree ${note.worktree} of a session whose creation was cut off: its git (pid ${note.adder.pid}) is still adding it. A later creation in this repository looks at it again.`);
          leftSome = true;
          continue;
        }
        const gone = await undo(note);
        log(gone
          ? `Removed the worktree and branch ${note.branch} of a session whose creation was cut off (its process ended before its record was saved).`
          : `Kept the worktree ${note.worktree} and branch ${note.branch} of a session whose creation was cut off: something was done in them since.`);
      }
      await rm(file, { force: true });
    }
    return leftSome;
  }
}

async function olderThan(file: string, ms: number): Promise<boolean> {
  const st = await stat(file).catch(() => undefined);
  return st !== undefined && Date.now() - st.mtimeMs > ms;
}

function parseNote(text: string): CreationNote | undefined {
  try {
    const n = JSON.parse(text) as Partial<CreationNote>;
    const ok = typeof n.repo === 'string' && typeof n.branch === 'string' && typeof n.baseCommit === 'string' && typeof n.worktree === 'string'
      && isProcessIdentity(n.owner) && (n.adder === undefined || isProcessIdentity(n.adder));
    return ok ? (n as CreationNote) : undefined;
  } catch {
    return undefined;
  }
}
