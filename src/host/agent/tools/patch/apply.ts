// Applies hunks to a file's lines in memory. Nothing here touches the disk.
import type { TextDoc } from './text';
import { type Hunk, newSide, oldSide, PatchError } from './types';

type Normaliser = (s: string) => string;

// Typographic punctuation a model may have typed as ASCII (the same allowance Codex's apply_patch makes).
const PUNCTUATION: [RegExp, string][] = [
  [/[\u2010-\u2015\u2212]/g, '-'],
  [/[\u2018-\u201B]/g, "'"],
  [/[\u201C-\u201F]/g, '"'],
  [/[\u00A0\u2002-\u200A\u202F\u205F\u3000]/g, ' '],
];

// From strict to lenient; the first level with a match wins.
const LEVELS: Normaliser[] = [
  s => s,
  s => s.trimEnd(),
  s => s.trim(),
  s => PUNCTUATION.reduce((acc, [re, to]) => acc.replace(re, to), s.trim()),
];

/**
 * Where `pattern` occurs in `lines` at or after `from`: with a hint, the match nearest to it; at end of
 * file, a match that ends the file first; otherwise the first one.
 */
export function seek(
  lines: readonly string[],
  pattern: readonly string[],
  from: number,
  opts: { hint?: number; atEof?: boolean } = {},
): number | undefined {
  if (pattern.length === 0) return from;
  const lastStart = lines.length - pattern.length;
  if (lastStart < from) return undefined;
  for (const norm of LEVELS) {
    const want = pattern.map(norm);
    const matchesAt = (i: number) => want.every((w, k) => norm(lines[i + k]!) === w);
    if (opts.atEof && matchesAt(lastStart)) return lastStart;
    let best: number | undefined;
    for (let i = from; i <= lastStart; i++) {
      if (!matchesAt(i)) continue;
      if (opts.hint === undefined) return i;
      if (best === undefined || Math.abs(i - opts.hint) < Math.abs(best - opts.hint)) best = i;
      if (i >= opts.hint) break;
    }
    if (best !== undefined) return best;
  }
  return undefined;
}

interface Replacement {
  start: number;
  removeCount: number;
  insert: readonly string[];
  hunk: Hunk;
}

/** The document after every hunk is applied, or a PatchError naming the first hunk that does not fit. */
export function applyHunks(doc: TextDoc, hunks: readonly Hunk[], file: string): TextDoc {
  const lines = doc.lines;
  const replacements: Replacement[] = [];
  let cursor = 0;
  hunks.forEach((hunk, index) => {
    const name = `hunk ${index + 1} of ${hunks.length} for '${file}' (${hunk.header})`;
    for (const anchor of hunk.anchors) {
      const at = seek(lines, [anchor], cursor);
      if (at === undefined) {
        throw new PatchError(`${name} did not apply: the line ${JSON.stringify(anchor)} after @@ was not found${cursor > 0 ? ` after line ${cursor}` : ''}. Read the file again and make the patch from its current text.`);
      }
      cursor = at + 1;
    }
    let body = hunk.lines;
    let old = oldSide(body);
    if (old.length === 0) {
      // A pure insertion goes where the diff says, after its anchor, or else at the end of the file.
      const at = hunk.hintIndex !== undefined ? clamp(hunk.hintIndex, cursor, lines.length) : hunk.anchors.length > 0 ? cursor : lines.length;
      replacements.push({ start: at, removeCount: 0, insert: newSide(body), hunk });
      cursor = at;
      return;
    }
    let at = seek(lines, old, cursor, { hint: hunk.hintIndex, atEof: hunk.atEof });
    const lastLine = body[body.length - 1]!;
    if (at === undefined && lastLine.op === ' ' && lastLine.text === '') {
      // A trailing empty context line often stands for the file's final newline, not a blank line.
      body = body.slice(0, -1);
      old = oldSide(body);
      at = seek(lines, old, cursor, { hint: hunk.hintIndex, atEof: hunk.atEof });
    }
    if (at === undefined) throw new PatchError(notFound(name, old, lines, cursor));
    // Context lines keep the file's own text: they may have matched only up to whitespace or punctuation.
    const insert: string[] = [];
    let k = at;
    for (const l of body) {
      if (l.op === '+') insert.push(l.text);
      else if (l.op === ' ') insert.push(lines[k++]!);
      else k++;
    }
    replacements.push({ start: at, removeCount: old.length, insert, hunk });
    cursor = at + old.length;
  });

  const out: string[] = [];
  let finalNewline = doc.finalNewline;
  let pos = 0;
  for (const r of replacements) {
    out.push(...lines.slice(pos, r.start), ...r.insert);
    pos = r.start + r.removeCount;
    if (pos === lines.length) {
      if (r.hunk.newNoEol) finalNewline = false;
      else if (r.hunk.oldNoEol) finalNewline = true;
    }
  }
  out.push(...lines.slice(pos));
  return { lines: out, eol: doc.eol, finalNewline };
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(Math.max(n, lo), hi);
}

function notFound(name: string, old: readonly string[], lines: readonly string[], cursor: number): string {
  const shown = old.slice(0, 8).map(l => `  ${l}`);
  if (old.length > 8) shown.push(`  … (${old.length - 8} more)`);
  const earlier = cursor > 0 && seek(lines, old, 0) !== undefined;
  const why = earlier
    ? `its lines only occur before line ${cursor + 1}, where the previous hunk ended; hunks must be in file order`
    : `these context and removed lines were not found${cursor > 0 ? ` after line ${cursor}` : ''}`;
  return `${name} did not apply: ${why}:\n${shown.join('\n')}\nRead the file again and make the patch from its current text.`;
}
