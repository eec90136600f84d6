// Writing files so that a crash or a full disk never leaves a half-written file in the worktree.
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, realpath, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { isErrno } from './errors';

export interface WriteOutcome {
  created: boolean;
}

/**
 * Replaces the file at absPath with content, via a temporary file in the same folder and a rename.
 * Keeps the file's permission bits; writes through a symbolic link to its target (the caller has
 * already checked the target is inside the worktree); creates missing parent folders.
 */
export async function writeFileAtomic(
  absPath: string,
  content: string | Uint8Array,
  opts: { modeForNewFile?: number } = {},
): Promise<WriteOutcome> {
  let target = absPath;
  let mode: number | undefined;
  try {
    const info = await lstat(absPath);
    if (info.isSymbolicLink()) target = await realpath(absPath);
    const real = info.isSymbolicLink() ? await lstat(target) : info;
    if (real.isDirectory()) throw Object.assign(new Error(`EISDIR: ${absPath}`), { code: 'EISDIR' });
    mode = real.mode & 0o7777;
  } catch (err) {
    if (!(isErrno(err) && err.code === 'ENOENT')) throw err;
    await mkdir(path.dirname(absPath), { recursive: true });
  }
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.switchyard-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const created = mode === undefined;
  const exactMode = mode ?? opts.modeForNewFile;
  const fh = await open(tmp, 'wx', exactMode ?? 0o666);
  try {
    try {
      await fh.writeFile(content);
      // open() applies the umask; an existing file keeps exactly the bits it had.
      if (exactMode !== undefined) await fh.chmod(exactMode);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  return { created };
}
