// A parsed patch, whichever format it came in: the changes it makes, file by file.
import { ToolError } from '../errors';

export interface HunkLine {
  /** ' ' context, '-' removed, '+' added. */
  op: ' ' | '-' | '+';
  text: string;
}

export interface Hunk {
  /** How the hunk is named in errors (its header line as written, e.g. "@@ -10,3 +10,4 @@"). */
  header: string;
  /** V4A `@@ <line>` anchors: each must be found, in order, before the hunk's old lines. */
  anchors: string[];
  lines: HunkLine[];
  /** 0-based index where a unified diff says the old lines start (for an insertion: the index to insert at). */
  hintIndex?: number;
  /** The old lines end the file (V4A `*** End of File`). */
  atEof: boolean;
  /** Unified `\ No newline at end of file` after the old or the new side's last line. */
  oldNoEol: boolean;
  newNoEol: boolean;
}

export type FileChange =
  | { kind: 'add'; path: string; lines: string[]; finalNewline: boolean }
  /** `expected`: the whole content a unified diff says the file has (checked before deleting). */
  | { kind: 'delete'; path: string; expected?: string[] }
  | { kind: 'update'; path: string; moveTo?: string; hunks: Hunk[] };

/** A patch that cannot be parsed or applied; the message names the line or hunk at fault. */
export class PatchError extends ToolError {
  override readonly name: string = 'PatchError';
}

export function newHunk(header: string): Hunk {
  return { header, anchors: [], lines: [], atEof: false, oldNoEol: false, newNoEol: false };
}

/** The lines the hunk expects to find: context and removed. */
export function oldSide(lines: readonly HunkLine[]): string[] {
  return lines.filter(l => l.op !== '+').map(l => l.text);
}

/** The lines the hunk leaves: context and added. */
export function newSide(lines: readonly HunkLine[]): string[] {
  return lines.filter(l => l.op !== '-').map(l => l.text);
}
