// Small state files other processes read while they are written (slots, requests, the machine config): a
// temporary file renamed over the target, so a reader sees the old file or the new one, never half of one.
// Not flushed to disk: these matter while their writers live, and are written again if lost.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { makeDir } from './makeDir';

/** Writes `text` to `file` whole, making its folder when it is missing (a home tidied away meanwhile). */
export async function writeWhole(file: string, text: string, tmp = `${file}.${process.pid}.tmp`): Promise<void> {
  try {
    await fs.writeFile(tmp, text);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      // A full disk leaves the file made and empty: it is not left beside the target.
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
    await makeDir(path.dirname(tmp));
    await fs.writeFile(tmp, text);
  }
  await fs.rename(tmp, file);
}
