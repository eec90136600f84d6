// Unified diffs, as written by `diff -u`, `git diff` and models: file headers, @@ hunks, new and deleted
// files, git renames. Hunk line counts are used to find a hunk's end but not trusted: models miscount.
import { type FileChange, type Hunk, newHunk, newSide, oldSide, PatchError } from './types';

const HUNK_RANGE = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;
const DEV_NULL = '/dev/null';

interface FileSection {
  oldPath?: string;
  newPath?: string;
  gitOld?: string;
  gitNew?: string;
  renameFrom?: string;
  renameTo?: string;
  isNew: boolean;
  isDeleted: boolean;
  hunks: Hunk[];
  headerLine: number;
}

/** True when the text looks like a unified diff at all. */
export function looksUnified(lines: readonly string[]): boolean {
  return lines.some((l, i) => l.startsWith('diff --git ') || (l.startsWith('--- ') && (lines[i + 1] ?? '').startsWith('+++ ')));
}

export function parseUnified(lines: readonly string[]): FileChange[] {
  const sections: FileSection[] = [];
  let cur: FileSection | undefined;
  const startSection = (i: number) => {
    cur = { isNew: false, isDeleted: false, hunks: [], headerLine: i + 1 };
    sections.push(cur);
    return cur;
  };
  const isFileHeaderAt = (i: number) => lines[i]!.startsWith('--- ') && (lines[i + 1] ?? '').startsWith('+++ ');

  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.startsWith('diff --git ')) {
      const s = startSection(i);
      const m = /^diff --git "?a\/(.*?)"? "?b\/(.*?)"?$/.exec(line);
      if (m) {
        s.gitOld = unquote(m[1]!);
        s.gitNew = unquote(m[2]!);
      }
      i++;
      continue;
    }
    if (isFileHeaderAt(i)) {
      // A git section already started by "diff --git" gets its paths; otherwise this begins a new file.
      const s = cur && cur.oldPath === undefined && cur.hunks.length === 0 && cur.gitOld !== undefined ? cur : startSection(i);
      s.oldPath = headerPath(line.slice(4));
      s.newPath = headerPath(lines[i + 1]!.slice(4));
      i += 2;
      continue;
    }
    if (line.startsWith('@@')) {
      if (!cur) throw new PatchError(`line ${i + 1}: hunk '${line}' comes before any '--- a/<path>' / '+++ b/<path>' header`);
      i = parseHunk(lines, i, cur);
      continue;
    }
    if (cur) {
      if (line.startsWith('new file mode')) cur.isNew = true;
      else if (line.startsWith('deleted file mode')) cur.isDeleted = true;
      else if (line.startsWith('rename from ')) cur.renameFrom = unquote(line.slice(12));
      else if (line.startsWith('rename to ')) cur.renameTo = unquote(line.slice(10));
      else if (line.startsWith('copy from ') || line.startsWith('copy to ')) {
        throw new PatchError(`line ${i + 1}: copies ('${line}') are not supported; add the new file instead`);
      } else if (line.startsWith('GIT binary patch') || (line.startsWith('Binary files ') && line.endsWith(' differ'))) {
        throw new PatchError(`line ${i + 1}: binary patches are not supported`);
      }
    }
    // Anything else between sections (index lines, mode lines, commentary) carries nothing to apply.
    i++;
  }
  if (sections.length === 0) throw new PatchError('the diff has no file headers (--- a/<path> then +++ b/<path>)');
  return sections.map(toChange);
}

function parseHunk(lines: readonly string[], start: number, file: FileSection): number {
  const header = lines[start]!;
  const hunk = newHunk(header);
  const range = HUNK_RANGE.exec(header);
  let oldLeft = 0;
  let newLeft = 0;
  if (range) {
    const oldStart = Number(range[1]);
    const oldCount = range[2] === undefined ? 1 : Number(range[2]);
    hunk.hintIndex = oldCount === 0 ? oldStart : Math.max(oldStart - 1, 0);
    oldLeft = oldCount;
    newLeft = range[4] === undefined ? 1 : Number(range[4]);
  }
  const counted = range !== null;
  const isBody = (l: string) => l.startsWith(' ') || l.startsWith('-') || l.startsWith('+');
  const isHeaderAt = (j: number) => lines[j]!.startsWith('--- ') && (lines[j + 1] ?? '').startsWith('+++ ');
  let i = start + 1;
  let lastSide: 'old' | 'new' | 'both' | undefined;
  for (; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.startsWith('\\')) {
      // "\ No newline at end of file" applies to the side(s) of the line just before it.
      if (lastSide === 'old' || lastSide === 'both') hunk.oldNoEol = true;
      if (lastSide === 'new' || lastSide === 'both') hunk.newNoEol = true;
      continue;
    }
    if (l.startsWith('@@') || l.startsWith('diff --git ')) break;
    const countsOpen = counted && (oldLeft > 0 || newLeft > 0);
    let blankContext = false;
    if (countsOpen) {
      // Inside its counts a line "--- x" is a removed "-- x", and a bare empty line is a blank context
      // line whose leading space the model dropped.
      if (l === '') blankContext = true;
      else if (!isBody(l)) break;
    } else {
      // Past its counts (or with none) the hunk goes on only while lines still look like hunk lines:
      // models undercount.
      if (isHeaderAt(i)) break;
      if (l === '' && !counted) blankContext = nextNonBlankIsBody(lines, i + 1, isBody, isHeaderAt);
      if (!blankContext && !isBody(l)) break;
    }
    const text = blankContext ? '' : l.slice(1);
    if (l.startsWith('+')) {
      hunk.lines.push({ op: '+', text });
      newLeft--;
      lastSide = 'new';
    } else if (l.startsWith('-')) {
      hunk.lines.push({ op: '-', text });
      oldLeft--;
      lastSide = 'old';
    } else {
      hunk.lines.push({ op: ' ', text });
      oldLeft--;
      newLeft--;
      lastSide = 'both';
    }
  }
  if (hunk.lines.length === 0) {
    throw new PatchError(`line ${start + 1}: hunk '${header}' has no lines`);
  }
  file.hunks.push(hunk);
  return i;
}

function nextNonBlankIsBody(
  lines: readonly string[],
  from: number,
  isBody: (l: string) => boolean,
  isHeaderAt: (j: number) => boolean,
): boolean {
  let j = from;
  while (j < lines.length && lines[j] === '') j++;
  return j < lines.length && isBody(lines[j]!) && !isHeaderAt(j);
}

function toChange(s: FileSection): FileChange {
  const rawOld = s.renameFrom ?? s.oldPath ?? s.gitOld;
  const rawNew = s.renameTo ?? s.newPath ?? s.gitNew;
  const oldIsNull = rawOld === DEV_NULL || (s.isNew && rawOld === undefined);
  const newIsNull = rawNew === DEV_NULL || (s.isDeleted && rawNew === undefined);
  // git writes a/ and b/ prefixes; a model's "--- x" / "+++ x" has none. Strip only when both sides agree.
  const prefixed =
    s.renameFrom === undefined &&
    (oldIsNull || rawOld?.startsWith('a/') === true) &&
    (newIsNull || rawNew?.startsWith('b/') === true) &&
    !(oldIsNull && newIsNull);
  const strip = (p: string | undefined) => (p !== undefined && prefixed && s.oldPath !== undefined ? p.slice(2) : p);
  const oldPath = oldIsNull ? undefined : strip(rawOld);
  const newPath = newIsNull ? undefined : s.renameTo ?? strip(rawNew);
  const where = `the diff section at line ${s.headerLine}`;

  if (s.isNew || oldPath === undefined) {
    if (newPath === undefined) throw new PatchError(`${where} names no file`);
    const lines: string[] = [];
    let finalNewline = true;
    for (const h of s.hunks) {
      if (h.lines.some(l => l.op !== '+')) throw new PatchError(`${where} creates '${newPath}' but its hunk '${h.header}' has context or removed lines`);
      lines.push(...newSide(h.lines));
      if (h.newNoEol) finalNewline = false;
    }
    return { kind: 'add', path: newPath, lines, finalNewline };
  }
  if (s.isDeleted || newPath === undefined) {
    const expected = s.hunks.flatMap(h => oldSide(h.lines));
    if (s.hunks.some(h => h.lines.some(l => l.op !== '-'))) throw new PatchError(`${where} deletes '${oldPath}' but has lines other than removed ones`);
    return expected.length > 0 ? { kind: 'delete', path: oldPath, expected } : { kind: 'delete', path: oldPath };
  }
  if (oldPath !== newPath) return { kind: 'update', path: oldPath, moveTo: newPath, hunks: s.hunks };
  if (s.hunks.length === 0) throw new PatchError(`${where} for '${oldPath}' has no @@ hunks`);
  return { kind: 'update', path: oldPath, hunks: s.hunks };
}

/** A path from a ---/+++ line: without a trailing timestamp, unquoted. */
function headerPath(raw: string): string {
  const p = raw.startsWith('"') ? raw : raw.split('\t')[0]!.trimEnd();
  return unquote(p.startsWith('"') ? p.slice(0, p.lastIndexOf('"') + 1) : p);
}

/** git quotes unusual paths C-style: "a/t\303\251st \"x\"". */
function unquote(p: string): string {
  if (!(p.length >= 2 && p.startsWith('"') && p.endsWith('"'))) return p;
  const bytes: number[] = [];
  const body = p.slice(1, -1);
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, '"': 34, '\\': 92, a: 7, b: 8, f: 12, v: 11 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = body[i + 1] ?? '';
    if (/[0-7]/.test(next)) {
      const oct = /^[0-7]{1,3}/.exec(body.slice(i + 1))![0];
      bytes.push(parseInt(oct, 8));
      i += oct.length;
    } else {
      bytes.push(simple[next] ?? next.charCodeAt(0));
      i++;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
