// A text file as lines, remembering its line ending and whether it ends with one.

export interface TextDoc {
  lines: string[];
  eol: '\n' | '\r\n';
  /** True for an empty file too, so that lines added to it end with a newline. */
  finalNewline: boolean;
}

export function splitText(content: string): TextDoc {
  if (content === '') return { lines: [], eol: '\n', finalNewline: true };
  const lf = content.split('\n').length - 1;
  const crlf = content.split('\r\n').length - 1;
  // Only a file that uses CRLF throughout is treated as CRLF; a mixed file keeps its stray CRs in the lines.
  const eol = lf > 0 && crlf === lf ? '\r\n' : '\n';
  const lines = content.split(eol);
  const finalNewline = lines[lines.length - 1] === '';
  if (finalNewline) lines.pop();
  return { lines, eol, finalNewline };
}

export function joinText(doc: TextDoc): string {
  if (doc.lines.length === 0) return '';
  return doc.lines.join(doc.eol) + (doc.finalNewline ? doc.eol : '');
}

/** The lines of a patch, without the CR of a CRLF line ending. */
export function patchLines(patch: string): string[] {
  return patch.split('\n').map(l => (l.endsWith('\r') ? l.slice(0, -1) : l));
}
