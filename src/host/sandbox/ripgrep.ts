// The sandbox library's `ripGrep`, without a process for the one listing it asks for. Upstream, every
// sandboxed command starts ripgrep to list the files below the host's working folder that must not be
// written (shell and tool settings, git hooks and config): a fork of the whole host, about a third of
// the host's CPU for a sandboxed command. esbuild.mjs puts this module in place of the library's
// utils/ripgrep.js in every bundle of the host.
//
// A file listing (`--files --hidden --no-ignore --no-config`) with `--max-depth` and plain globs is
// answered here by walking the folder, with ripgrep's own rules: hidden files are listed, links are not
// followed, only regular files are listed, `-g` globs are applied before `--iglob` ones and the last
// glob that matches decides, a folder is skipped only when an exclusion matches it. Anything else (a
// search, another flag, a glob with classes or braces, a custom ripgrep command) runs ripgrep itself.
import { spawn } from 'node:child_process';
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { text } from 'node:stream/consumers';

export interface RipgrepConfig {
  command: string;
  args?: string[];
  argv0?: string;
}

/** ripgrep ended otherwise than by finding something or nothing (the library's own error type). */
export class RipgrepError extends Error {
  constructor(
    message: string,
    /** What it had listed by then. */
    readonly listed: string[],
    /** What it said went wrong, one line per problem. */
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'RipgrepError';
  }
}

/** `?`: one character of a name, a surrogate pair included (the patterns are not in Unicode mode). */
const ONE_CHARACTER = '(?:[\\uD800-\\uDBFF][\\uDC00-\\uDFFF]|[^/])';

/** As ripgrep kills itself: what is not listed by then is not listed. */
const TIME_LIMIT_MS = 10_000;

export async function ripGrep(args: string[], target: string, abortSignal?: AbortSignal, config: RipgrepConfig = { command: 'rg' }): Promise<string[]> {
  const listing = config.command === 'rg' && !config.args?.length ? listingFor(args, target) : undefined;
  if (!listing) return runRipgrep(args, target, abortSignal, config);
  return listFiles(listing, abortSignal);
}

// The library asks the same question on every command: its globs are compiled once.
let lastKey: string | undefined;
let lastListing: Listing | undefined;

function listingFor(args: readonly string[], target: string): Listing | undefined {
  const cwd = process.cwd();
  const key = [cwd, target, ...args].join('\0');
  if (key !== lastKey) {
    lastListing = parseListing(args, target, cwd);
    lastKey = key;
  }
  return lastListing;
}

interface Glob {
  pattern: RegExp;
  /** `!`: what it matches is left out. */
  exclude: boolean;
}

export interface Listing {
  root: string;
  maxDepth: number;
  /** In ripgrep's order of precedence: the last that matches decides. */
  globs: Glob[];
}

/** The listing `args` asks for, or undefined when it is not one this module answers. */
export function parseListing(args: readonly string[], target: string, cwd: string = process.cwd()): Listing | undefined {
  // ripgrep matches globs against paths relative to its own working folder, which is the host's.
  if (!path.isAbsolute(target) || path.normalize(target) !== target || target !== cwd) return undefined;
  const flags = new Set<string>();
  const plain: string[] = [];
  const insensitive: string[] = [];
  let maxDepth: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--files' || a === '--hidden' || a === '--no-ignore' || a === '--no-config' || a === '--line-buffered') flags.add(a);
    else if (a === '--max-depth' && /^\d+$/.test(args[i + 1] ?? '')) maxDepth = Number(args[++i]);
    else if ((a === '-g' || a === '--glob') && i + 1 < args.length) plain.push(args[++i]);
    else if (a === '--iglob' && i + 1 < args.length) insensitive.push(args[++i]);
    else return undefined;
  }
  if (!flags.has('--files') || !flags.has('--hidden') || !flags.has('--no-ignore') || !flags.has('--no-config')) return undefined;
  if (maxDepth === undefined) return undefined;
  const globs: Glob[] = [];
  for (const [list, caseless] of [[plain, false], [insensitive, true]] as const) {
    for (const raw of list) {
      const glob = compileGlob(raw, caseless);
      if (!glob) return undefined;
      globs.push(glob);
    }
  }
  return { root: target, maxDepth, globs };
}

/**
 * A glob as ripgrep reads one (gitignore syntax): `!` excludes; without a slash it matches a name at
 * any depth; `*` and `?` stay within one path component; `**` spans components; a trailing `/**`
 * matches what is inside a folder, not the folder. Undefined for syntax this module does not handle.
 */
export function compileGlob(raw: string, caseless: boolean): Glob | undefined {
  let g = raw;
  const exclude = g.startsWith('!');
  if (exclude) g = g.slice(1);
  if (!g || /[[\]{}\\]/.test(g) || g.endsWith('/')) return undefined;
  if (g.startsWith('/')) g = g.slice(1);
  else if (!g.includes('/')) g = `**/${g}`;
  if (g.endsWith('/**')) g += '/*';
  const parts = g.split('/');
  if (parts.some(p => !p || (p.includes('**') && p !== '**'))) return undefined;
  let source = '^';
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    if (part === '**') source += last ? '.*' : '(?:.*/)?';
    else source += part.replace(/[.+^$()|]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, ONE_CHARACTER) + (last ? '' : '/');
  });
  // Not Unicode mode: case-insensitive matching there folds `ſ` into `s`, and ripgrep does not.
  return { pattern: new RegExp(`${source}$`, caseless ? 'i' : ''), exclude };
}

/** Whether a file is listed (`dir` false) or a folder is entered (`dir` true), by ripgrep's rules. */
export function selected(globs: readonly Glob[], relative: string, dir: boolean): boolean {
  for (let i = globs.length - 1; i >= 0; i--) {
    if (globs[i].pattern.test(relative)) return !globs[i].exclude;
  }
  // Nothing matched: a folder is entered; a file is listed only when no glob asks for files.
  return dir || !globs.some(g => !g.exclude);
}

export async function listFiles(listing: Listing, signal?: AbortSignal): Promise<string[]> {
  const deadline = Date.now() + TIME_LIMIT_MS;
  const listed: string[] = [];
  const problems: string[] = [];
  let level: string[] = [''];
  for (let depth = 1; depth <= listing.maxDepth && level.length; depth++) {
    signal?.throwIfAborted();
    if (Date.now() > deadline) {
      problems.push(`the listing stopped after ${TIME_LIMIT_MS / 1000} seconds`);
      break;
    }
    const read = await Promise.all(level.map(rel => readFolder(listing.root, rel, problems)));
    const next: string[] = [];
    read.forEach((entries, k) => {
      for (const entry of entries) {
        const rel = level[k] ? `${level[k]}/${entry.name}` : entry.name;
        if (entry.isFile()) {
          if (selected(listing.globs, rel, false)) listed.push(path.join(listing.root, rel));
        } else if (entry.isDirectory() && depth < listing.maxDepth && selected(listing.globs, rel, true)) {
          next.push(rel);
        }
      }
    });
    level = next;
  }
  signal?.throwIfAborted();
  if (problems.length) {
    const stderr = `${problems.join('\n')}\n`;
    throw new RipgrepError(`ripgrep failed with exit code 2: ${stderr}`, listed, stderr);
  }
  return listed;
}

async function readFolder(root: string, rel: string, problems: string[]): Promise<Dirent[]> {
  const dir = rel ? path.join(root, rel) : root;
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    // In ripgrep's words, which the library reads back to find the folders it could not look into.
    const e = err as NodeJS.ErrnoException;
    problems.push(`rg: ${dir}: ${describe(e)}`);
    return [];
  }
}

function describe(e: NodeJS.ErrnoException): string {
  const os: Record<string, [string, number]> = {
    EACCES: ['Permission denied', 13],
    ENOENT: ['No such file or directory', 2],
    ENOTDIR: ['Not a directory', 20],
    ELOOP: ['Too many levels of symbolic links', 40],
  };
  const known = e.code ? os[e.code] : undefined;
  return known ? `${known[0]} (os error ${known[1]})` : e.message;
}

/** ripgrep itself, for what this module does not answer (the library's own behaviour). */
async function runRipgrep(args: string[], target: string, signal: AbortSignal | undefined, config: RipgrepConfig): Promise<string[]> {
  const child = spawn(config.command, [...(config.args ?? []), ...args, target], {
    argv0: config.argv0,
    signal,
    timeout: TIME_LIMIT_MS,
    windowsHide: true,
  });
  const [stdout, stderr, code] = await Promise.all([
    text(child.stdout),
    text(child.stderr),
    new Promise<number | null>((resolve, reject) => {
      child.on('close', resolve);
      child.on('error', reject);
    }),
  ]);
  if (code === 0) return stdout.trim().split('\n').filter(Boolean);
  // 1: nothing found.
  if (code === 1) return [];
  // Whole lines only: killed, it can leave half of one.
  throw new RipgrepError(`ripgrep failed with exit code ${code}: ${stderr}`, stdout.split('\n').slice(0, -1).filter(Boolean), stderr);
}
