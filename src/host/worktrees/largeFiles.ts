// Large untracked files in a fingerprint. `git add` would copy each version of such a file into the user's
// object store (a 300 MB file: 11 s of CPU and 287 MB of loose objects, again on each change), for a tree
// that only says whether the worktree changed. Above LARGE_FILE_BYTES, an untracked file is put in the
// private index as a small stand-in naming its size and stat instead: it changes when the file does, as
// git's own stat check would see it, and nothing big is hashed or written.
import { lstat, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GitCommandError } from './errors';
import { gitOutput, type GitCallOptions } from './git';
import { makeDir } from '../util/makeDir';

export const LARGE_FILE_BYTES = 16 * 1024 * 1024;

/** Stat of a large file as last put in the index: size, modification, change and inode. */
type StatKey = string;

export interface LargeFilesOptions {
  /** The index was just made from the worktree's own: it holds no stand-in, whatever the last snapshot's did. */
  fresh?: boolean;
}

/**
 * The large files of a worktree, remembered beside its private index (`<index>.large.json`): the index alone
 * cannot tell a stand-in from the file, and git would hash the real file the moment it was no longer left out.
 */
export class LargeFiles {
  private constructor(
    private readonly sidecar: string,
    private readonly known: Map<string, StatKey>,
  ) {}

  static async load(index: string, opts: LargeFilesOptions = {}): Promise<LargeFiles> {
    const sidecar = `${index}.large.json`;
    const known = new Map<string, StatKey>();
    // Unreadable (a write cut short) is as good as none: git hashes what it then finds, once.
    const saved: unknown = opts.fresh ? undefined : await readFile(sidecar, 'utf8').then(text => JSON.parse(text) as unknown).catch(() => undefined);
    if (saved && typeof saved === 'object') {
      for (const [file, key] of Object.entries(saved as Record<string, unknown>)) if (typeof key === 'string') known.set(file, key);
    }
    return new LargeFiles(sidecar, known);
  }

  /**
   * Which files are large now: those already stood in for that still are, and `untracked` ones (new to the
   * index) that have grown past the size. Returns them with their stat now; the rest git takes as usual (a
   * stand-in whose file shrank or went is replaced or removed by `git add --all`).
   */
  async scan(worktree: string, untracked: readonly string[]): Promise<Map<string, { key: StatKey; executable: boolean }>> {
    const large = new Map<string, { key: StatKey; executable: boolean }>();
    for (const file of new Set([...this.known.keys(), ...untracked])) {
      const st = await lstat(path.join(worktree, file), { bigint: true }).catch(() => undefined);
      if (!st?.isFile() || st.size < BigInt(LARGE_FILE_BYTES)) continue;
      large.set(file, { key: `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}`, executable: (st.mode & 0o111n) !== 0n });
    }
    return large;
  }

  /**
   * Puts a stand-in for each large file whose stat changed into the index `opts` names (it must be left out
   * of the `git add` before), and remembers the set. Two git processes, only when something changed.
   */
  async standIn(worktree: string, large: Map<string, { key: StatKey; executable: boolean }>, opts: GitCallOptions): Promise<void> {
    const changed = [...large].filter(([file, { key }]) => this.known.get(file) !== key);
    const gone = [...this.known.keys()].filter(file => !large.has(file));
    if (!changed.length && !gone.length) return;
    if (changed.length) {
      // Written as files and hashed by path, with no filters: gitOutput has no stdin.
      const dir = `${this.sidecar}.d`;
      await makeDir(dir);
      const texts = changed.map(([file, { key }], i) => {
        const [size, mtimeNs] = key.split(':');
        const text = `Switchyard left this untracked file out of its fingerprint: ${size} bytes, modified ${new Date(Number(BigInt(mtimeNs!) / 1_000_000n)).toISOString()} (${key}).\n${file}\n`;
        return { file: path.join(dir, String(i)), text };
      });
      await Promise.all(texts.map(t => writeFile(t.file, t.text)));
      const hashArgs = ['hash-object', '-w', '--no-filters', '--', ...texts.map(t => t.file)];
      const hashed = await gitOutput(worktree, hashArgs, opts);
      if (hashed.exitCode !== 0) throw new GitCommandError(hashArgs, hashed.exitCode, hashed.stdout, hashed.stderr);
      const blobs = hashed.stdout.trim().split('\n');
      const updateArgs = ['update-index', '--add', ...changed.flatMap(([file, { executable }], i) => ['--cacheinfo', `${executable ? '100755' : '100644'},${blobs[i]},${file}`])];
      const updated = await gitOutput(worktree, updateArgs, opts);
      if (updated.exitCode !== 0) throw new GitCommandError(updateArgs, updated.exitCode, updated.stdout, updated.stderr);
    }
    this.known.clear();
    for (const [file, { key }] of large) this.known.set(file, key);
    await writeFile(this.sidecar, JSON.stringify(Object.fromEntries(this.known)));
  }
}
