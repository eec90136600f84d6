// A small, safe reading of the Markdown models write: paragraphs, headings, lists, fenced code and inline
// code/bold. It yields plain data; the renderer sets it as textContent, so no text ever becomes markup.

export type Inline = { text: string; code?: true; bold?: true };

export type Block =
  | { kind: 'paragraph'; inline: Inline[] }
  | { kind: 'heading'; level: number; inline: Inline[] }
  | { kind: 'list'; ordered: boolean; items: Inline[][] }
  | { kind: 'code'; lang: string; text: string };

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+#.-]*)/;
const CLOSE = /^ {0,3}(`{3,}|~{3,})\s*$/;
const BULLET = /^\s{0,3}[-*+]\s+(.*)$/;
const NUMBERED = /^\s{0,3}\d{1,3}[.)]\s+(.*)$/;
const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;

export function parseBlocks(text: string): Block[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const out: Block[] = [];
  let para: string[] = [];
  let list: { ordered: boolean; items: string[] } | null = null;

  const endPara = () => {
    if (para.length) out.push({ kind: 'paragraph', inline: parseInline(para.join('\n')) });
    para = [];
  };
  const endList = () => {
    if (list) out.push({ kind: 'list', ordered: list.ordered, items: list.items.map(parseInline) });
    list = null;
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const fence = FENCE.exec(line);
    if (fence) {
      endPara();
      endList();
      const marker = fence[1] ?? '```';
      const body: string[] = [];
      // An unclosed fence runs to the end: a streamed answer is often cut inside its code block.
      for (i++; i < lines.length; i++) {
        const l = lines[i] ?? '';
        const close = CLOSE.exec(l)?.[1];
        if (close && close[0] === marker[0] && close.length >= marker.length) break;
        body.push(l);
      }
      out.push({ kind: 'code', lang: fence[2] ?? '', text: body.join('\n') });
      continue;
    }
    if (!line.trim()) {
      endPara();
      endList();
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      endPara();
      endList();
      out.push({ kind: 'heading', level: heading[1]!.length, inline: parseInline(heading[2] ?? '') });
      continue;
    }
    const bullet = BULLET.exec(line);
    const numbered = bullet ? null : NUMBERED.exec(line);
    if (bullet || numbered) {
      endPara();
      const ordered = !!numbered;
      if (list && list.ordered !== ordered) endList();
      list ??= { ordered, items: [] };
      list.items.push((bullet ?? numbered)![1] ?? '');
      continue;
    }
    if (list && /^\s{2,}\S/.test(line)) {
      // An indented line continues the last list item.
      list.items[list.items.length - 1] += ` ${line.trim()}`;
      continue;
    }
    endList();
    para.push(line);
  }
  endPara();
  endList();
  return out;
}

/** Inline `code` and **bold**; everything else stays literal text. */
export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  const re = /(`+)([\s\S]*?[^`])\1(?!`)|\*\*(?=\S)([\s\S]*?\S)\*\*/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) out.push({ text: text.slice(last, m.index) });
    if (m[2] !== undefined) out.push({ text: m[2].length > 2 && m[2].startsWith(' ') && m[2].endsWith(' ') ? m[2].slice(1, -1) : m[2], code: true });
    else out.push({ text: m[3] ?? '', bold: true });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}
