// The V4A patch format of OpenAI's apply_patch tool (as parsed by Codex):
//   *** Begin Patch / *** Add File: p / *** Delete File: p / *** Update File: p [*** Move to: q]
//   @@ [anchor line] / ' ' context, '-' removed, '+' added / [*** End of File] / *** End Patch
import { type FileChange, type Hunk, newHunk, PatchError } from './types';

const END = '*** End Patch';
const ADD = '*** Add File: ';
const DELETE = '*** Delete File: ';
const UPDATE = '*** Update File: ';
const MOVE = '*** Move to: ';
const EOF_MARK = '*** End of File';
// Models trained on unified diffs sometimes write "@@ -12,3 +12,4 @@" inside a V4A patch.
const UNIFIED_RANGE = /^-(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@/;

function isFileHeader(trimmed: string): boolean {
  return trimmed.startsWith(ADD) || trimmed.startsWith(DELETE) || trimmed.startsWith(UPDATE) || trimmed === END;
}

/** Parses a V4A patch; `lines` are the patch's lines, `first` the index of the Begin Patch line. */
export function parseV4a(lines: readonly string[], first: number): FileChange[] {
  let last = lines.length - 1;
  while (last > first && lines[last]!.trim() === '') last--;
  if (last <= first || lines[last]!.trim() !== END) {
    throw new PatchError(`the patch must end with a line '${END}' (was the patch cut short?)`);
  }
  const at = (i: number) => `line ${i + 1}`;
  const changes: FileChange[] = [];
  let i = first + 1;
  while (i < last) {
    const trimmed = lines[i]!.trim();
    if (trimmed === '') {
      i++;
      continue;
    }
    if (trimmed.startsWith(ADD)) {
      const path = trimmed.slice(ADD.length).trim();
      const body: string[] = [];
      let j = i + 1;
      for (; j < last && !isFileHeader(lines[j]!.trim()); j++) {
        const l = lines[j]!;
        if (l.startsWith('+')) body.push(l.slice(1));
        else if (l.trim() === '') body.push('');
        else throw new PatchError(`${at(j)}: every line of an added file starts with '+', got '${l}' (in '*** Add File: ${path}')`);
      }
      while (body.length > 0 && body[body.length - 1] === '' && lines[i + body.length]!.trim() === '') body.pop();
      changes.push({ kind: 'add', path, lines: body, finalNewline: true });
      i = j;
    } else if (trimmed.startsWith(DELETE)) {
      changes.push({ kind: 'delete', path: trimmed.slice(DELETE.length).trim() });
      i++;
    } else if (trimmed.startsWith(UPDATE)) {
      const path = trimmed.slice(UPDATE.length).trim();
      i++;
      let moveTo: string | undefined;
      if (i < last && lines[i]!.trim().startsWith(MOVE)) {
        moveTo = lines[i]!.trim().slice(MOVE.length).trim();
        i++;
      }
      const parsed = parseUpdateBody(lines, i, last, path);
      if (parsed.hunks.length === 0 && moveTo === undefined) {
        throw new PatchError(`'*** Update File: ${path}' has no hunks; add @@ sections with ' ', '-' and '+' lines`);
      }
      changes.push(moveTo === undefined ? { kind: 'update', path, hunks: parsed.hunks } : { kind: 'update', path, moveTo, hunks: parsed.hunks });
      i = parsed.next;
    } else {
      throw new PatchError(
        `${at(i)}: '${lines[i]}' is not a file header; use '${ADD}<path>', '${DELETE}<path>' or '${UPDATE}<path>'`,
      );
    }
  }
  return changes;
}

function parseUpdateBody(lines: readonly string[], start: number, end: number, path: string): { hunks: Hunk[]; next: number } {
  const hunks: Hunk[] = [];
  let i = start;
  while (i < end) {
    const line = lines[i]!;
    if (line.trim() === '') {
      i++;
      continue;
    }
    if (isFileHeader(line.trim())) break;
    const hunk = newHunk(line.startsWith('@@') ? line : '@@');
    // Stacked "@@ class Foo" / "@@ def bar" lines narrow the position step by step.
    while (i < end && lines[i]!.startsWith('@@')) {
      const text = lines[i]!.slice(2);
      const range = UNIFIED_RANGE.exec(text.trim());
      if (range) {
        const oldStart = Number(range[1]);
        hunk.hintIndex = range[2] === '0' ? oldStart : Math.max(oldStart - 1, 0);
      } else if (text.trim() !== '') {
        hunk.anchors.push(text.startsWith(' ') ? text.slice(1) : text);
      }
      i++;
    }
    if (hunk.header === '@@' && hunks.length > 0 && !line.startsWith('@@')) {
      throw new PatchError(`line ${i + 1}: expected '@@' to start the next hunk of '${path}', got '${line}'`);
    }
    const body: string[] = [];
    for (; i < end; i++) {
      const l = lines[i]!;
      if (l.trim() === EOF_MARK) {
        hunk.atEof = true;
        i++;
        break;
      }
      if (l.startsWith('@@') || isFileHeader(l.trim())) break;
      if (l === '' || l.startsWith(' ') || l.startsWith('+') || l.startsWith('-')) {
        body.push(l);
        continue;
      }
      throw new PatchError(
        `line ${i + 1}: '${l}' in hunk ${hunks.length + 1} of '${path}' does not start with ' ' (context), '-' (removed) or '+' (added)`,
      );
    }
    // Blank lines before the next section separate sections; they are not empty context lines.
    while (body.length > 0 && body[body.length - 1] === '') body.pop();
    for (const l of body) hunk.lines.push({ op: l.startsWith('+') ? '+' : l.startsWith('-') ? '-' : ' ', text: l.slice(1) });
    if (body.length === 0 && !hunk.atEof) {
      throw new PatchError(`hunk ${hunks.length + 1} of '${path}' (${hunk.header}) has no lines`);
    }
    hunks.push(hunk);
  }
  return { hunks, next: i };
}
