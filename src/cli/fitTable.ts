// The CLI's tables (`sessions`, `report`): columns two spaces apart and, on a terminal, fitted to its
// width. Piped output keeps every cell whole, for scripts and `less -S`; a terminal's line would wrap and
// break the columns, so there the columns that can give (titles, branches, labels) are cut with "…".

export interface FitColumn {
  /** The fewest columns this one is cut to; absent, it is never cut. */
  min?: number;
  /** How a cell is cut to `width` (default: its start kept, "…" last). */
  cut?: (cell: string, width: number) => string;
  /**
   * On a terminal only: left out when it says nothing (every cell under its header `-`), or when the
   * table does not fit even with every column cut to its least (the rightmost such column first).
   */
  drop?: 'when-blank' | 'when-narrow';
}

const GAP = '  ';

/** `rows` (the header first) as lines; `width` a terminal's columns, or undefined to cut nothing. The last column is not padded. */
export function fitTable(rows: readonly (readonly string[])[], columns: readonly FitColumn[], width?: number): string[] {
  if (width !== undefined) {
    const kept = keptColumns(rows, columns, width);
    rows = rows.map(r => kept.map(i => r[i] ?? ''));
    columns = kept.map(i => columns[i] ?? {});
  }
  const count = Math.max(0, ...rows.map(r => r.length));
  const widths = Array.from({ length: count }, (_, i) => Math.max(0, ...rows.map(r => columnsOf(r[i] ?? ''))));
  if (width !== undefined) shrink(widths, columns, width);
  return rows.map(r =>
    r
      .map((c, i) => {
        const w = widths[i]!;
        const fitted = columnsOf(c) > w ? (columns[i]?.cut ?? cutEnd)(c, w) : c;
        return i === r.length - 1 ? fitted : pad(fitted, w);
      })
      .join(GAP)
      .trimEnd(),
  );
}

/** The indexes of the columns a terminal of `width` shows (FitColumn.drop). */
function keptColumns(rows: readonly (readonly string[])[], columns: readonly FitColumn[], width: number): number[] {
  const count = Math.max(0, ...rows.map(r => r.length));
  let kept = Array.from({ length: count }, (_, i) => i).filter(i => columns[i]?.drop !== 'when-blank' || rows.slice(1).some(r => (r[i] ?? '-') !== '-'));
  const least = (i: number) => {
    const whole = Math.max(0, ...rows.map(r => columnsOf(r[i] ?? '')));
    const min = columns[i]?.min;
    return min === undefined ? whole : Math.min(whole, min);
  };
  for (;;) {
    const needed = kept.reduce((n, i) => n + least(i), 0) + GAP.length * Math.max(0, kept.length - 1);
    const droppable = kept.filter(i => columns[i]?.drop === 'when-narrow').pop();
    if (needed <= width || droppable === undefined) return kept;
    kept = kept.filter(i => i !== droppable);
  }
}

/** Narrows the columns that can give, the widest first, until the line fits `width` or none can give more. */
function shrink(widths: number[], columns: readonly FitColumn[], width: number): void {
  let over = widths.reduce((n, w) => n + w, 0) + GAP.length * Math.max(0, widths.length - 1) - width;
  while (over > 0) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) {
      const min = columns[i]?.min;
      if (min !== undefined && widths[i]! > min && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
    }
    if (widest < 0) return;
    widths[widest]!--;
    over--;
  }
}

/** `cell` cut to `width` columns, its end replaced by "…". */
export function cutEnd(cell: string, width: number): string {
  if (columnsOf(cell) <= width) return cell;
  let out = '';
  let used = 0;
  for (const ch of cell) {
    const w = charColumns(ch.codePointAt(0)!);
    if (used + w > width - 1) break;
    out += ch;
    used += w;
  }
  return `${out}…`;
}

/** A cell of a name and a trailing ` [id]`: the name cut, the id kept whole while it fits. */
export function cutKeepingId(cell: string, width: number): string {
  const m = / \[[^\]]+\]$/.exec(cell);
  if (!m || m[0].length + 2 > width) return cutEnd(cell, width);
  return cutEnd(cell.slice(0, m.index), width - m[0].length) + m[0];
}

/** The columns a terminal gives `s`: CJK and emoji take two, combining marks and joiners none. */
export function columnsOf(s: string): number {
  let n = 0;
  let last = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    // An emoji selector makes the symbol before it an emoji: two columns, as `❤️` is drawn.
    if (c === 0xfe0f && last === 1) n += 1;
    last = charColumns(c);
    n += last;
  }
  return n;
}

const pad = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - columnsOf(s)));

/** East Asian wide and emoji-presentation ranges (two columns), and marks drawn on the character before (none): wcwidth's main cases. */
const WIDE: readonly [number, number][] = [
  [0x1100, 0x115f], [0x2e80, 0x303e], [0x3041, 0x33ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xa000, 0xa4cf],
  [0xac00, 0xd7a3], [0xf900, 0xfaff], [0xfe30, 0xfe4f], [0xff00, 0xff60], [0xffe0, 0xffe6],
  [0x231a, 0x231b], [0x23e9, 0x23ec], [0x23f0, 0x23f0], [0x23f3, 0x23f3], [0x25fd, 0x25fe], [0x2614, 0x2615],
  [0x2648, 0x2653], [0x267f, 0x267f], [0x2693, 0x2693], [0x26a1, 0x26a1], [0x26aa, 0x26ab], [0x26bd, 0x26be],
  [0x26c4, 0x26c5], [0x26ce, 0x26ce], [0x26d4, 0x26d4], [0x26ea, 0x26ea], [0x26f2, 0x26f3], [0x26f5, 0x26f5],
  [0x26fa, 0x26fa], [0x26fd, 0x26fd], [0x2705, 0x2705], [0x270a, 0x270b], [0x2728, 0x2728], [0x274c, 0x274c],
  [0x274e, 0x274e], [0x2753, 0x2755], [0x2757, 0x2757], [0x2795, 0x2797], [0x27b0, 0x27b0], [0x27bf, 0x27bf],
  [0x2b1b, 0x2b1c], [0x2b50, 0x2b50], [0x2b55, 0x2b55],
  [0x1f004, 0x1f004], [0x1f0cf, 0x1f0cf], [0x1f18e, 0x1f18e], [0x1f191, 0x1f19a], [0x1f200, 0x1f251],
  [0x1f300, 0x1f64f], [0x1f680, 0x1f6ff], [0x1f7e0, 0x1f7eb], [0x1f900, 0x1faff], [0x20000, 0x3fffd],
];
const NONE: readonly [number, number][] = [[0x0300, 0x036f], [0x200b, 0x200f], [0xfe00, 0xfe0f], [0x20d0, 0x20ff]];
const within = (ranges: readonly [number, number][], c: number) => ranges.some(([a, b]) => c >= a && c <= b);

function charColumns(c: number): number {
  return within(NONE, c) ? 0 : within(WIDE, c) ? 2 : 1;
}

/** The terminal's width for a table on stdout, or undefined when stdout is no terminal (piped, a file). */
export function terminalColumns(stream: { isTTY?: boolean; columns?: number } = process.stdout): number | undefined {
  return stream.isTTY && stream.columns && stream.columns > 0 ? stream.columns : undefined;
}
