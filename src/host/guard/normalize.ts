// Canonical forms that let the guard compare tool calls, outputs and prose across turns:
// two things count as "the same" when they differ only in what varies from run to run.
import { createHash } from 'node:crypto';

export function digest(text: string): string {
  return createHash('sha1').update(text).digest('hex').slice(0, 16);
}

export function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Arguments as a stable string: JSON keys sorted at every depth, string values whitespace-normalised.
 * Arguments that are not JSON (some agents send raw text) are only whitespace-normalised.
 */
export function canonicalArgs(args: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    return collapseWhitespace(args);
  }
  return JSON.stringify(canonicalValue(parsed));
}

function canonicalValue(value: unknown): unknown {
  if (typeof value === 'string') return collapseWhitespace(value);
  if (Array.isArray(value)) return value.map(canonicalValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = canonicalValue(v);
    }
    return out;
  }
  return value;
}

export function parseArgs(args: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(args);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const TEMP_PATH =
  /(?<![\w.])(?:[A-Za-z]:\\Users\\[^\\\s]+\\AppData\\Local\\Temp|(?:\/private)?\/var\/folders\/[^\s/]+\/[^\s/]+\/T|\/tmp|\/var\/tmp)(?=[\\/\s'"]|$)(?:[\\/][^\s'"`:()[\],]*)?/gm;

// Order matters: paths with line numbers go before clock times ("a.ts:12:30" is not 12:30), and
// timestamps before durations.
const OUTPUT_RULES: [RegExp, string | ((match: string) => string)][] = [
  [ANSI, ''],
  // Temp folders have random names per run; keep the file name, which is what a reader recognises.
  [TEMP_PATH, (match: string) => {
    const base = match.split(/[\\/]/).pop() ?? '';
    return /\.\w+$/.test(base) ? `<tmp>/${base}` : '<tmp>';
  }],
  [/\/(?:home|Users)\/[^/\s]+/g, '~'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<id>'],
  [/\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?/g, '<time>'],
  [/\b\d{4}-\d{2}-\d{2}\b/g, '<date>'],
  // file:line:col, file(line,col), file:line - line numbers move as soon as anything above them is edited.
  [/([\w.\-/\\~<>]+\.[A-Za-z]\w*)(?::\d+(?::\d+)?|\(\d+(?:,\s*\d+)?\))/g, '$1:<line>'],
  [/\bline \d+(?:, (?:column|col) \d+)?/gi, 'line <n>'],
  [/^(\s*>?\s*)\d+(\s*)\|/gm, '$1<n>$2|'],
  [/^(\s*)\d+:\d+(\s+(?:error|warning)\b)/gm, '$1<line>$2'],
  [/\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b/g, '<time>'],
  [/\b\d+(?:\.\d+)?\s?(?:ms|s|sec|secs|seconds?|min|mins|minutes?|µs|us|ns)\b/g, '<dur>'],
  [/\b0x[0-9a-f]+\b/gi, '<hex>'],
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,64}\b/gi, '<hex>'],
  [/\b(pid|port|seed|worker|thread)([\s:=#]*)\d+/gi, '$1$2<n>'],
  [/\b(localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1?\]):\d+/gi, '$1:<port>'],
  [/\b\d+(?:\.\d+)?\s?(?:[KMG]i?B|kB|bytes)\b/g, '<size>'],
  // Long numbers are ids, epochs, byte counts: they vary; short ones (counts, codes) carry meaning.
  [/\b\d{5,}\b/g, '<n>'],
  [/[ \t]+$/gm, ''],
  [/\n{3,}/g, '\n\n'],
];

/** An output with what varies between identical runs replaced by placeholders. */
export function normalizeOutput(text: string): string {
  let out = text;
  for (const [pattern, replacement] of OUTPUT_RULES) {
    out = typeof replacement === 'string' ? out.replace(pattern, replacement) : out.replace(pattern, replacement);
  }
  return out.trim();
}

// Lines that name what went wrong, across the common runners (jest/vitest, mocha, pytest, go, cargo,
// tsc, eslint, npm, git, Python tracebacks). The rest of a failing output is mostly progress noise.
const ERROR_LINE =
  /^\s*(?:FAIL\b|FAILED\b|ERROR\b|E\s{2,}|●|✕|×|✖|--- FAIL|panic|thread '.*' panicked|error(?:\[E\d+\])?:|error TS\d+|npm (?:ERR!|error)|fatal:|Traceback|AssertionError|Error:|\w+(?:Error|Exception):|Expected|Received|expected|got\b|.*\berror TS\d+:|.*:\s+error\s)/;

/** The part of a failing output that identifies the failure, normalised; the tail when no line stands out. */
export function errorSignature(output: string): string {
  const lines = normalizeOutput(output).split('\n').map(l => l.trimEnd());
  const picked: string[] = [];
  for (const line of lines) {
    if (ERROR_LINE.test(line) && !NOISE_LINE.test(line) && !picked.includes(line.trim())) picked.push(line.trim());
    if (picked.length >= 24) break;
  }
  if (picked.length) return picked.join('\n');
  return lines.filter(l => l.trim()).slice(-6).join('\n');
}

const NOISE_LINE = /A complete log of this run|npm (?:ERR!|error) (?:code|path|command|errno|syscall|Lifecycle|$)|^\s*npm (?:ERR!|error)\s*$/;

/** A command's exit as the built-in tool and common harnesses print it on a line of its own. */
const EXIT_LINE = /^(?:\[exit code -?\d+\]|exit(?:ed)?(?: with)?(?: status| code)?:? -?\d+(?: \([\d.]+s\))?)$/i;

const HEADLINE = /error TS\d+|error(\[E\d+\])?:|\w+(Error|Exception):|--- FAIL|FAILED|●|✕|×/;

/** The most telling line of a failure, as printed, for reasons shown to a person. */
export function errorHeadline(output: string): string {
  const lines = output
    .replace(ANSI, '')
    .split('\n')
    .map(l => l.trim())
    .filter(Boolean);
  const candidates = lines.filter(l => ERROR_LINE.test(l) && !NOISE_LINE.test(l));
  // Failing that, the last line that says something: not the tool's exit marker, nor the echoed command.
  const said = lines.filter(l => !EXIT_LINE.test(l) && !l.startsWith('$ '));
  const best = candidates.find(l => HEADLINE.test(l)) ?? candidates[0] ?? said.at(-1) ?? lines.at(-1) ?? '';
  return truncate(best.replace(/^(?:E\s+|●\s*)/, ''), 100);
}

export function truncate(text: string, max: number): string {
  const flat = collapseWhitespace(text);
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

const SOURCE_EXT =
  'ts|tsx|mts|cts|js|jsx|mjs|cjs|py|go|rs|java|kt|rb|php|cs|c|cc|cpp|h|hpp|swift|scala|json|toml|yaml|yml|md|css|scss|html|vue|svelte|sql|sh';
const PATH_IN_TEXT = new RegExp(`(?:[\\w@.~<>-]+[/\\\\])*[\\w@.-]+\\.(?:${SOURCE_EXT})\\b|(?:\\.{1,2}/)[\\w@./-]+`, 'g');
// Dependencies, toolchains and runtimes: a failure's stack passes through them, but they are not what fails.
const FOREIGN_PATH =
  /node_modules|site-packages|dist-packages|^<tmp>$|^(?:node|internal)[:/]|(?:^|\/)(?:usr|opt)\/|lib\/python\d|\.pyenv|\.rustup|\/go\/pkg\/mod|\.cargo\/registry/;

// Lines about what passed: a file named there is not part of the failure.
const PASSING_LINE = /^\s*(?:PASS\b|ok\s|✓|test .* \.\.\. ok$)/;

/** Project files a failing output names (test files, source files in stack traces), without dependencies. */
export function mentionedPaths(output: string): string[] {
  const found = new Set<string>();
  const failing = output
    .split('\n')
    .filter(l => !PASSING_LINE.test(l))
    .join('\n');
  for (const match of failing.replace(/\\/g, '/').matchAll(PATH_IN_TEXT)) {
    const p = match[0].replace(/^\.\//, '').replace(/^[<(["'`]+|[>)\]"'`.,:]+$/g, '');
    if (!p || FOREIGN_PATH.test(p) || /^https?:/.test(p)) continue;
    found.add(p);
  }
  return [...found];
}

/** "src/parser.test.ts" and "tests/test_parser.py" both stem to "parser": a test and the code it tests. */
export function pathStem(p: string): string {
  const base = p.replace(/\\/g, '/').split('/').pop() ?? p;
  return base
    .toLowerCase()
    .replace(/(\.d)?\.[a-z0-9]+$/, '')
    .replace(/[._-](test|spec|tests|specs)$/, '')
    .replace(/^(test|tests)[_-]/, '');
}

/** True when a changed file is one the failure names, or the code or test paired with one it names. */
export function touchesAny(changed: string, mentioned: readonly string[]): boolean {
  const c = changed.replace(/\\/g, '/').replace(/^\.\//, '');
  const cStem = pathStem(c);
  return mentioned.some(m => {
    const mm = m.replace(/^~\//, '');
    return c === mm || c.endsWith(`/${mm}`) || mm.endsWith(`/${c}`) || (cStem.length > 1 && cStem === pathStem(mm));
  });
}

/** Paragraphs of model prose, normalised for comparison; code fences are split out like prose. */
export function splitParagraphs(text: string): string[] {
  return text
    .split(/\n\s*\n|```/)
    .map(p => collapseWhitespace(p).toLowerCase().replace(/[.!?:;,]+$/, ''))
    .filter(p => p.length > 0);
}
