// read_file: a text file of the worktree with numbered lines, a line range, and a size cap.
import { open, stat } from 'node:fs/promises';
import { ArgsError, argObject, optionalPositiveInt, parseWith, requiredString } from './args';
import { resolveInWorktree, toWorktreeRelative } from './confine';
import { asToolError, ToolError } from './errors';
import type { ToolContext, ToolDef, ToolResult } from './types';

export interface ReadFileArgs {
  path: string;
  startLine?: number;
  endLine?: number;
}

const CHUNK_BYTES = 64 * 1024;
// Past the requested lines, keep reading to count the file's lines only this far.
const COUNT_LINES_MAX_BYTES = 16 * 1024 * 1024;

export const readFileTool: ToolDef<ReadFileArgs> = {
  name: 'read_file',
  sideEffects: false,
  description:
    'Read a text file of the worktree. Each line is shown as its line number, a tab, then the text (the number and tab are not part of the file). Long files are cut; read further with start_line.',
  parameters: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'File path relative to the worktree root.' },
      start_line: { type: ['integer', 'null'], description: 'First line to show (1-based); null for the start of the file.' },
      end_line: { type: ['integer', 'null'], description: 'Last line to show (inclusive); null for the end of the file.' },
    },
    required: ['path', 'start_line', 'end_line'],
    additionalProperties: false,
  },
  parse: raw =>
    parseWith(raw, r => {
      const f = argObject(r, ['path', 'start_line', 'end_line']);
      const args: ReadFileArgs = { path: requiredString(f, 'path', { nonEmpty: true }) };
      const start = optionalPositiveInt(f, 'start_line');
      const end = optionalPositiveInt(f, 'end_line');
      if (start !== undefined && end !== undefined && end < start) {
        throw new ArgsError(`end_line (${end}) is before start_line (${start})`);
      }
      if (start !== undefined) args.startLine = start;
      if (end !== undefined) args.endLine = end;
      return args;
    }),
  run: readFile,
};

async function readFile(args: ReadFileArgs, ctx: ToolContext): Promise<ToolResult> {
  const abs = await resolveInWorktree(ctx.worktree, args.path, { forWrite: false, denied: ctx.denied });
  const rel = toWorktreeRelative(ctx.worktree, abs);
  const info = await stat(abs).catch((err: unknown) => {
    throw asToolError(err, rel);
  });
  if (info.isDirectory()) throw new ToolError(`'${rel}' is a directory; use list_files to see what it contains`);
  if (!info.isFile()) throw new ToolError(`'${rel}' is not a regular file`);
  if (info.size === 0) return { ok: true, output: `'${rel}' is empty` };

  const start = args.startLine ?? 1;
  const end = args.endLine ?? Number.POSITIVE_INFINITY;
  const view = await readLines(abs, start, end, ctx.limits.readMaxBytes, ctx.signal);
  if (view.binary) throw new ToolError(`'${rel}' is a binary file (${info.size} bytes); read_file shows text files only`);
  const total = view.totalKnown ? String(view.totalLines) : `at least ${view.totalLines}`;
  if (view.shown.length === 0) {
    throw new ToolError(`'${rel}' has ${total} lines; start_line ${start} is past the end`);
  }
  const first = start;
  const last = first + view.shown.length - 1;
  const lines = [`${rel}: lines ${first}-${last} of ${total}`, ...view.shown];
  if (view.cutAtLine !== undefined) {
    lines.push(`… stopped at line ${view.cutAtLine - 1} to stay within ${ctx.limits.readMaxBytes} bytes; read on with start_line=${view.cutAtLine}`);
  } else if (view.lineCut) {
    const more = last < view.totalLines ? `; read on with start_line=${last + 1}` : '';
    lines.push(`… line ${first} is longer than ${ctx.limits.readMaxBytes} bytes and was cut${more}`);
  } else if (last < view.totalLines) {
    lines.push(`… the file goes on; read on with start_line=${last + 1}`);
  }
  return { ok: true, output: lines.join('\n') };
}

interface LineView {
  shown: string[];
  totalLines: number;
  totalKnown: boolean;
  /** The first requested line left out because of the byte cap. */
  cutAtLine?: number;
  /** The only line shown was itself longer than the cap. */
  lineCut: boolean;
  binary: boolean;
}

// Streams the file so a huge log costs a bounded amount of memory whatever range is asked for.
async function readLines(abs: string, start: number, end: number, budget: number, signal: AbortSignal): Promise<LineView> {
  const view: LineView = { shown: [], totalLines: 0, totalKnown: true, lineCut: false, binary: false };
  const fh = await open(abs, 'r');
  try {
    const buf = Buffer.alloc(CHUNK_BYTES);
    let lineNo = 1;
    let collecting = true;
    let used = 0;
    let parts: Buffer[] = [];
    let partBytes = 0;
    let pending = false;
    let bytesRead = 0;
    let bytesAfterRange = 0;

    const finishLine = () => {
      if (collecting && lineNo >= start && lineNo <= end) {
        let text = Buffer.concat(parts).toString('utf8');
        if (text.endsWith('\r')) text = text.slice(0, -1);
        const rendered = `${lineNo}\t${text}`;
        const size = Buffer.byteLength(rendered) + 1;
        if (used + size > budget) {
          if (view.shown.length === 0) {
            view.shown.push(Buffer.from(rendered).subarray(0, budget).toString('utf8'));
            view.lineCut = true;
          } else {
            view.cutAtLine = lineNo;
          }
          collecting = false;
        } else {
          view.shown.push(rendered);
          used += size;
        }
      }
      if (lineNo >= end) collecting = false;
      parts = [];
      partBytes = 0;
      pending = false;
      lineNo++;
    };

    for (;;) {
      if (signal.aborted) throw new ToolError('stopped while reading');
      const { bytesRead: n } = await fh.read(buf, 0, CHUNK_BYTES, null);
      if (n === 0) break;
      const chunk = buf.subarray(0, n);
      if (bytesRead === 0 && chunk.subarray(0, 8192).includes(0)) {
        view.binary = true;
        return view;
      }
      bytesRead += n;
      if (!collecting) bytesAfterRange += n;
      let pos = 0;
      while (pos < chunk.length) {
        const nl = chunk.indexOf(10, pos);
        const segEnd = nl === -1 ? chunk.length : nl;
        if (segEnd > pos) pending = true;
        // Only the part of a line that could still fit is kept.
        if (collecting && lineNo >= start && partBytes <= budget) {
          const seg = chunk.subarray(pos, Math.min(segEnd, pos + budget - partBytes + 1));
          parts.push(Buffer.from(seg));
          partBytes += seg.length;
        }
        if (nl === -1) break;
        finishLine();
        pos = nl + 1;
      }
      if (!collecting && bytesAfterRange > COUNT_LINES_MAX_BYTES) {
        view.totalLines = lineNo - 1;
        view.totalKnown = false;
        return view;
      }
    }
    if (pending) finishLine();
    view.totalLines = lineNo - 1;
    return view;
  } finally {
    await fh.close();
  }
}
