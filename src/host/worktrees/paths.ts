// Path identity: git reports real paths (symlinks resolved), so ours must be compared the same way.
import { realpathSync } from 'node:fs';
import path from 'node:path';

/** Absolute path with symlinks resolved as far as it exists (the rest appended as given). */
export function canonicalPath(p: string): string {
  let head = path.resolve(p);
  const tail: string[] = [];
  for (;;) {
    try {
      return path.join(realpathSync.native(head), ...tail);
    } catch {
      const parent = path.dirname(head);
      if (parent === head) return path.resolve(p);
      tail.unshift(path.basename(head));
      head = parent;
    }
  }
}

/** True when `child` is `parent` or somewhere below it (both canonical). */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

export function samePath(a: string, b: string): boolean {
  return canonicalPath(a) === canonicalPath(b);
}
