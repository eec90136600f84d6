// search: git grep over the worktree's tracked and untracked (not ignored) text files.
import { stat } from 'node:fs/promises';
import { ArgsError, argObject, optionalBoolean, optionalString, parseWith, requiredString } from './args';
import { resolveInWorktree, toWorktreeRelative } from './confine';
import { asToolError, ToolError } from './errors';
import { pathspecs, runGit } from './git';
import type { ToolContext, ToolDef, ToolResult } from './types';

export interface SearchArgs {
  query: string;
  path: string;
  regex: boolean;
}

const MATCH_TEXT_MAX_CHARS = 300;

export const searchTool: ToolDef<SearchArgs> = {
  name: 'search',
  sideEffects: false,
  description:
    'Search the text files of the worktree (files ignored by .gitignore are skipped) for a string, or a regular expression when regex is true; case-sensitive. Prints path:line: text for each matching line.',
  parameters: {
    type: 'object',
    properties: {
      query: { type: 'string', description: 'Text to find (one line). Matched literally unless regex is true.' },
      path: { type: ['string', 'null'], description: 'Folder or file to search, relative to the worktree root; null for everywhere.' },
      regex: { type: ['boolean', 'null'], description: 'Treat query as a POSIX extended regular expression; null or false for a literal string.' },
    },
    required: ['query', 'path', 'regex'],
    additionalProperties: false,
  },
  parse: raw =>
    parseWith(raw, r => {
      const f = argObject(r, ['query', 'path', 'regex']);
      const query = requiredString(f, 'query');
      if (query === '') throw new ArgsError(`'query' must not be empty`);
      if (/[\r\n]/.test(query)) throw new ArgsError(`'query' must be a single line`);
      if (query.includes('\0')) throw new ArgsError(`'query' must not contain a NUL byte`);
      return { query, path: optionalString(f, 'path') ?? '.', regex: optionalBoolean(f, 'regex') ?? false };
    }),
  run: search,
};

interface Match {
  path: string;
  line: string;
  text: string;
}

async function search(args: SearchArgs, ctx: ToolContext): Promise<ToolResult> {
  const abs = await resolveInWorktree(ctx.worktree, args.path, { forWrite: false, denied: ctx.denied });
  const rel = toWorktreeRelative(ctx.worktree, abs);
  await stat(abs).catch((err: unknown) => {
    throw asToolError(err, rel);
  });
  const run = await runGit(
    ['grep', '-z', '-n', '-I', '--untracked', '--no-color', args.regex ? '-E' : '-F', '-e', args.query, '--', ...pathspecs(rel, ctx.denied)],
    {
      cwd: ctx.worktree,
      signal: ctx.signal,
      timeoutMs: ctx.limits.commandTimeoutMs,
      maxStdoutBytes: Math.max(4 * ctx.limits.outputCapBytes, 1024 * 1024),
    },
  );
  // git grep exits 1 when nothing matched, and above 1 for errors such as a bad regular expression.
  if (run.exitCode === 1 && !run.truncated) return { ok: true, output: `no matches for ${JSON.stringify(args.query)} in '${rel}'` };
  if (run.exitCode !== 0 && !run.truncated) {
    const hint = args.regex ? ' (regex is a POSIX extended regular expression; set regex to false to search for the text itself)' : '';
    throw new ToolError(`search failed: ${run.stderr || `git grep exit code ${run.exitCode}`}${hint}`);
  }
  const matches = parseGrep(run.stdout.toString('utf8'), run.truncated);
  return { ok: true, output: render(matches, run.truncated, ctx) };
}

// `-z` output is path NUL line NUL text LF; paths may contain any byte but NUL, text never contains LF.
function parseGrep(out: string, truncated: boolean): Match[] {
  const matches: Match[] = [];
  let i = 0;
  while (i < out.length) {
    const a = out.indexOf('\0', i);
    const b = a < 0 ? -1 : out.indexOf('\0', a + 1);
    if (b < 0) break;
    let c = out.indexOf('\n', b + 1);
    if (c < 0) {
      if (truncated) break;
      c = out.length;
    }
    matches.push({ path: out.slice(i, a), line: out.slice(a + 1, b), text: out.slice(b + 1, c) });
    i = c + 1;
  }
  return matches;
}

function render(matches: Match[], truncated: boolean, ctx: ToolContext): string {
  const lines: string[] = [];
  let bytes = 0;
  let cut = truncated;
  for (const m of matches) {
    if (lines.length >= ctx.limits.listMax) {
      cut = true;
      break;
    }
    const text = m.text.length > MATCH_TEXT_MAX_CHARS ? `${m.text.slice(0, MATCH_TEXT_MAX_CHARS)}…` : m.text;
    const line = `${m.path}:${m.line}: ${text}`;
    bytes += Buffer.byteLength(line) + 1;
    if (bytes > ctx.limits.outputCapBytes && lines.length > 0) {
      cut = true;
      break;
    }
    lines.push(line);
  }
  const files = new Set(matches.slice(0, lines.length).map(m => m.path)).size;
  lines.push(
    cut
      ? `… only the first ${lines.length} matches are shown; there are more. Narrow the query or the path.`
      : `${lines.length} matching line${lines.length === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}`,
  );
  return lines.join('\n');
}
