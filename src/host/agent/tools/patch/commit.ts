// Turns parsed file changes into writes, checks every one of them before the first write, and applies
// them all or none: if a write fails midway, the files already written are put back.
import { lstat, readFile, stat, unlink } from 'node:fs/promises';
import { resolveInWorktree, toWorktreeRelative } from '../confine';
import { asToolError, isErrno, ToolError } from '../errors';
import { writeFileAtomic } from '../fsWrite';
import { applyHunks } from './apply';
import { joinText, splitText } from './text';
import type { FileChange } from './types';

type Step =
  | { op: 'write'; abs: string; rel: string; content: string; mode?: number }
  | { op: 'delete'; abs: string; rel: string }
  | { op: 'move'; from: string; fromRel: string; abs: string; rel: string; content: string };

export interface PlannedPatch {
  steps: Step[];
  /** One line per file: "A path", "M path", "D path", "R old -> new". */
  summary: string[];
  filesChanged: string[];
}

interface Original {
  abs: string;
  content?: Buffer;
  mode?: number;
}

/** Resolves, reads and patches everything in memory; throws before anything is written. */
export async function planPatch(worktree: string, changes: readonly FileChange[], denied?: readonly string[]): Promise<PlannedPatch> {
  const plan: PlannedPatch = { steps: [], summary: [], filesChanged: [] };
  const touched = new Map<string, string>();
  const claim = async (p: string) => {
    const abs = await resolveInWorktree(worktree, p, { forWrite: true, denied });
    const rel = toWorktreeRelative(worktree, abs);
    const prior = touched.get(abs);
    if (prior !== undefined) throw new ToolError(`the patch changes '${rel}' twice; put all changes to one file in one section`);
    touched.set(abs, rel);
    return { abs, rel };
  };

  for (const change of changes) {
    const { abs, rel } = await claim(change.path);
    if (change.kind === 'add') {
      if (await exists(abs)) {
        throw new ToolError(`cannot add '${rel}': it already exists; change it with an update section, or replace it with write_file`);
      }
      const content = joinText({ lines: change.lines, eol: '\n', finalNewline: change.finalNewline });
      plan.steps.push({ op: 'write', abs, rel, content });
      plan.summary.push(`A ${rel}`);
      plan.filesChanged.push(rel);
      continue;
    }
    const current = await readText(abs, rel);
    if (change.kind === 'delete') {
      if (change.expected !== undefined) {
        const doc = splitText(current.text);
        const same = doc.lines.length === change.expected.length && doc.lines.every((l, k) => l.trimEnd() === change.expected![k]!.trimEnd());
        if (!same) throw new ToolError(`cannot delete '${rel}': its content is not what the diff says it is; read it again`);
      }
      plan.steps.push({ op: 'delete', abs, rel });
      plan.summary.push(`D ${rel}`);
      plan.filesChanged.push(rel);
      continue;
    }
    const patched = change.hunks.length === 0 ? current.text : joinText(applyHunks(splitText(current.text), change.hunks, rel));
    if (change.moveTo !== undefined) {
      const dest = await claim(change.moveTo);
      if (await exists(dest.abs)) throw new ToolError(`cannot move '${rel}' to '${dest.rel}': '${dest.rel}' already exists`);
      plan.steps.push({ op: 'move', from: abs, fromRel: rel, abs: dest.abs, rel: dest.rel, content: patched });
      plan.summary.push(`R ${rel} -> ${dest.rel}`);
      plan.filesChanged.push(rel, dest.rel);
      continue;
    }
    plan.steps.push({ op: 'write', abs, rel, content: patched });
    plan.summary.push(`M ${rel}`);
    plan.filesChanged.push(rel);
  }
  return plan;
}

/** Applies the planned steps; on a failure restores every file already touched, then rethrows. */
export async function commitPatch(plan: PlannedPatch): Promise<void> {
  const originals: Original[] = [];
  const remember = async (abs: string) => {
    try {
      const info = await stat(abs);
      originals.push({ abs, content: await readFile(abs), mode: info.mode & 0o7777 });
    } catch (err) {
      if (!(isErrno(err) && err.code === 'ENOENT')) throw err;
      originals.push({ abs });
    }
  };
  let failedRel = '';
  try {
    for (const step of plan.steps) {
      failedRel = step.rel;
      if (step.op === 'write') {
        await remember(step.abs);
        await writeFileAtomic(step.abs, step.content);
      } else if (step.op === 'delete') {
        await remember(step.abs);
        await unlink(step.abs);
      } else {
        await remember(step.from);
        await remember(step.abs);
        const mode = originals[originals.length - 2]!.mode;
        await writeFileAtomic(step.abs, step.content, mode === undefined ? {} : { modeForNewFile: mode });
        await unlink(step.from);
      }
    }
  } catch (err) {
    await rollback(originals);
    throw asToolError(err, failedRel);
  }
}

async function rollback(originals: readonly Original[]): Promise<void> {
  for (const o of [...originals].reverse()) {
    try {
      if (o.content === undefined) await unlink(o.abs).catch(() => undefined);
      else await writeFileAtomic(o.abs, o.content, o.mode === undefined ? {} : { modeForNewFile: o.mode });
    } catch {
      // Keep restoring the others; the error reported is the one that caused the rollback.
    }
  }
}

async function exists(abs: string): Promise<boolean> {
  try {
    await lstat(abs);
    return true;
  } catch (err) {
    if (isErrno(err) && err.code === 'ENOENT') return false;
    throw err;
  }
}

async function readText(abs: string, rel: string): Promise<{ text: string }> {
  let buf: Buffer;
  try {
    const info = await stat(abs);
    if (info.isDirectory()) throw new ToolError(`'${rel}' is a directory, not a file`);
    if (!info.isFile()) throw new ToolError(`'${rel}' is not a regular file`);
    buf = await readFile(abs);
  } catch (err) {
    if (err instanceof ToolError) throw err;
    if (isErrno(err) && err.code === 'ENOENT') throw new ToolError(`'${rel}' does not exist; to create it, add it as a new file`);
    throw asToolError(err, rel);
  }
  if (buf.subarray(0, 8192).includes(0)) throw new ToolError(`'${rel}' is a binary file; patches apply to text files only`);
  const text = buf.toString('utf8');
  // Decoding and re-encoding anything but UTF-8 would silently change bytes the patch never touched.
  if (!Buffer.from(text, 'utf8').equals(buf)) {
    throw new ToolError(`'${rel}' is not UTF-8 text; patches apply to UTF-8 files only`);
  }
  return { text };
}
