// Help text as a terminal of 80 columns shows it: each line wrapped at spaces, its continuation indented
// under where its text begins (after a flag's or a command's name), so no line runs past the edge.

export const HELP_COLUMNS = 80;

/** `text` wrapped to `width` columns; continuation lines start `indent` spaces in. A word longer than a line stays whole. */
export function wrapLine(text: string, indent: number, width = HELP_COLUMNS): string[] {
  if (text.length <= width) return [text];
  const lines: string[] = [];
  let line: string | undefined;
  // Split at each space, so runs of spaces (a name column's padding) come back as they were.
  for (const word of text.split(' ')) {
    if (line === undefined) {
      line = word;
      continue;
    }
    const next = `${line} ${word}`;
    if (next.length > width && word !== '' && line.trim() !== '') {
      lines.push(line);
      line = `${' '.repeat(indent)}${word}`;
    } else line = next;
  }
  lines.push(line ?? '');
  return lines;
}
