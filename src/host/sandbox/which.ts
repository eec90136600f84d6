// The sandbox library's `whichSync`, without a process. Upstream it runs `which <bin>` through
// spawnSync on every sandboxed command (to find the shell, and bubblewrap, socat and ripgrep when it
// checks its dependencies): a fork of the whole host, with its event loop held until `which` exits.
// esbuild.mjs puts this module in place of the library's own in every bundle of the host. The answer
// is the same (the first executable file of that name on PATH, or null), except that PATH entries that
// are not absolute are skipped.
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/** What each name resolved to, under the PATH it was looked up with. */
const found = new Map<string, string>();

export function whichSync(bin: string): string | null {
  const searchPath = process.env.PATH ?? '';
  const key = `${searchPath}\0${bin}`;
  const known = found.get(key);
  // A binary can be removed or replaced while the host runs: a remembered answer is checked again.
  if (known !== undefined && isExecutableFile(known)) return known;
  found.delete(key);
  const hit = lookUp(bin, searchPath);
  if (hit !== null) found.set(key, hit);
  return hit;
}

function lookUp(bin: string, searchPath: string): string | null {
  if (!bin) return null;
  // As `which` does: a name with a slash is not looked up on PATH.
  if (bin.includes('/')) return isExecutableFile(bin) ? bin : null;
  for (const dir of searchPath.split(path.delimiter)) {
    // Unlike `which`, an empty or relative entry (the working directory, or a folder below it) is not
    // searched: what the sandbox runs must not depend on where the host happens to be.
    if (!path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, bin);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
