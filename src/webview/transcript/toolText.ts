// How tool calls read in the transcript: pretty arguments, a one-line gist for the collapsed header, and
// outputs cut to a size the page can hold. Pure, unit-tested.

/** Argument names that best say what a call does, in order of preference. */
const TELLING = ['command', 'cmd', 'path', 'file', 'pattern', 'query', 'glob', 'dir', 'directory', 'summary'];
const GIST_MAX = 96;

export interface ToolArgs {
  /** Pretty-printed JSON, or the raw text when it is not JSON (e.g. a Codex shell command). */
  pretty: string;
  /** One line for the collapsed header; '' when the call has no arguments worth showing. */
  gist: string;
}

export function readArgs(args: string): ToolArgs {
  const raw = args.trim();
  if (!raw) return { pretty: '', gist: '' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { pretty: args, gist: oneLine(raw) };
  }
  const pretty = JSON.stringify(parsed, null, 2);
  if (typeof parsed === 'string') return { pretty, gist: oneLine(parsed) };
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { pretty, gist: oneLine(raw) };
  const obj = parsed as Record<string, unknown>;
  const key = TELLING.find(k => typeof obj[k] === 'string' || Array.isArray(obj[k])) ?? Object.keys(obj).find(k => typeof obj[k] === 'string');
  if (key === undefined) return { pretty, gist: Object.keys(obj).length ? oneLine(raw) : '' };
  const v = obj[key];
  return { pretty, gist: oneLine(Array.isArray(v) ? v.map(String).join(' ') : String(v)) };
}

export function oneLine(text: string, max = GIST_MAX): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The first line that says something, for an error's preview. */
export function firstMeaningfulLine(text: string): string {
  for (const l of text.split('\n')) if (l.trim()) return oneLine(l);
  return '';
}

export interface ClippedOutput {
  text: string;
  /** Characters left out; 0 when the whole output is shown. */
  hidden: number;
  lines: number;
}

/** Output cut to `maxChars` unless `all`; very large outputs would make the page slow to lay out. */
export function clipOutput(output: string, all: boolean, maxChars = 20_000): ClippedOutput {
  const lines = countLines(output);
  if (all || output.length <= maxChars) return { text: output, hidden: 0, lines };
  const cut = output.lastIndexOf('\n', maxChars);
  const end = cut > maxChars * 0.8 ? cut : maxChars;
  return { text: output.slice(0, end), hidden: output.length - end, lines };
}

export function countLines(text: string): number {
  if (!text) return 0;
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return text.endsWith('\n') ? n - 1 : n;
}
