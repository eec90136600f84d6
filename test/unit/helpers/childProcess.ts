// Builds a helper script under test/unit/helpers into a temp folder and runs it as a separate process,
// so multi-process tests exercise real processes on the same code under test.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { createInterface } from 'node:readline';
import * as esbuild from 'esbuild';

function repoRoot(): string {
  // Both test runners start in the repository root; walk up in case a test is run from a subfolder.
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'test', 'unit', 'helpers', 'childProcess.ts'))) return dir;
    if (path.dirname(dir) === dir) throw new Error('cannot find the repository root from ' + process.cwd());
  }
}

export async function buildHelper(name: string, outDir: string): Promise<string> {
  const outfile = path.join(outDir, `${name}.js`);
  await esbuild.build({
    entryPoints: [path.join(repoRoot(), 'test', 'unit', 'helpers', `${name}.ts`)],
    outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node22', logLevel: 'warning',
    define: { SWITCHYARD_VERSION: '"test"' },
  });
  return outfile;
}

/**
 * Builds helper `name` once for the calling test file, into a temp folder that goes after its tests. Call it
 * at the top level; `script()` and `dir()` (the folder, for the tests' own files too) are set inside tests.
 */
export function helperForTests(name: string): { script(): string; dir(): string } {
  let dir = '';
  let script = '';
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), `sy-${name}-`));
    script = await buildHelper(name, dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  return { script: () => script, dir: () => dir };
}

export interface Child {
  proc: ChildProcess;
  /** Every stdout line so far. */
  lines: string[];
  /** Resolves with the first stdout line that matches. */
  waitForLine(match: (line: string) => boolean): Promise<string>;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
  stderr(): string;
}

export function runHelper(script: string, args: unknown): Child {
  const proc = spawn(process.execPath, [script, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { match: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  let err = '';
  proc.stderr!.on('data', d => (err += d));
  createInterface({ input: proc.stdout! }).on('line', line => {
    lines.push(line);
    for (const w of [...waiters]) if (w.match(line)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(line); }
  });
  const exited = new Promise<number | string>(resolve => proc.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    proc,
    lines,
    exited,
    stderr: () => err,
    waitForLine: match => {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ match, resolve });
        void exited.then(code => reject(new Error(`helper exited (${code}) before the expected line; stderr: ${err}`)));
      });
    },
  };
}

/** Waits for a helper to finish; rejects with its stderr when it fails. */
export async function expectSuccess(child: Child): Promise<void> {
  const code = await child.exited;
  if (code !== 0) throw new Error(`helper failed (${code}): ${child.stderr()}`);
}
