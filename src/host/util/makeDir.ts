// Folders: `mkdir -p` that always ends, and a listing of one that may not be there yet. Node's own
// recursive mkdir retries for ever where the kernel answers ENOENT for a folder whose parent exists (procfs
// and sysfs do): a home set under /proc hung every command.
import { promises as fs } from 'node:fs';
import path from 'node:path';

const codeOf = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

/** Creates `dir` and any missing parents; resolves when it is a folder. */
export async function makeDir(dir: string): Promise<void> {
  const abs = path.resolve(dir);
  if (await tryMkdir(abs)) return;
  const parent = path.dirname(abs);
  if (parent === abs) throw Object.assign(new Error(`ENOENT: ${abs} is not there (a drive or share that is not connected?)`), { code: 'ENOENT', syscall: 'mkdir', path: abs });
  await makeDir(parent);
  if (!(await tryMkdir(abs))) throw refused(abs);
}

/** Shaped as the system error it is, so that it is reported as one (without a stack). */
function refused(dir: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOENT: cannot create the folder ${dir}: its file system does not allow new folders there`), { code: 'ENOENT', syscall: 'mkdir', path: dir });
}

/** True when `dir` is a folder now; false when its parent is missing. */
async function tryMkdir(dir: string): Promise<boolean> {
  try {
    await fs.mkdir(dir);
    return true;
  } catch (e) {
    if (codeOf(e) === 'ENOENT') return false;
    // Already there (EEXIST; EISDIR or EROFS on some systems), or made by someone else meanwhile.
    const st = await fs.stat(dir).catch(() => undefined);
    if (st?.isDirectory()) return true;
    // A file in the way is an error, as for mkdir -p.
    if (codeOf(e) === 'EEXIST') throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: 'ENOTDIR', syscall: 'mkdir', path: dir });
    throw e;
  }
}

/** The names in `dir`; none when it is not there (yet). */
export async function namesIn(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return [];
    throw err;
  }
}
