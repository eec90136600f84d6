// The facts the detectors reason about, derived once per turn from a TraceTurn and the turns before it.
import type { TraceTurn } from '../../protocol/records';
import {
  canonicalArgs,
  digest,
  errorHeadline,
  errorSignature,
  mentionedPaths,
  normalizeOutput,
  splitParagraphs,
  truncate,
} from './normalize';
import { counterFacts, sameBarCounters, type CounterFacts } from './retryCounters';
import { callFailed, commandOf, describeCall, linesShown, outputText, resourceOf, toolRole, type ToolRole } from './tools';

export interface CallFacts {
  name: string;
  role: ToolRole;
  /** Name and canonical arguments, hashed: equal keys are the same call. */
  key: string;
  label: string;
  /** What the call looks at or touches (a path, a command line, a query). */
  resource: string;
  command?: string;
  failed: boolean;
  /** The whole normalised output, hashed (failed calls only): "the same error output". */
  errorKey?: string;
  /** The lines that identify the failure, hashed (failed calls only): "failing the same way". */
  failureKey?: string;
  /** A failing command's, to compare it with retries that differ only by a counter (retryCounters.ts). */
  counter?: CounterFacts;
  headline?: string;
  /** Project files the failure names. */
  failingPaths: string[];
  /** The lines a read showed of its file, where it numbered them. */
  lines?: { from: number; to: number };
}

export interface Paragraph {
  key: string;
  text: string;
}

export interface TurnFacts {
  turn: number;
  calls: CallFacts[];
  /** What the turn did (its calls, order ignored), hashed. */
  actionKey: string;
  actionLabel: string;
  changed: string[];
  /**
   * What the agent changed: `changed`, unless the turn only ran again commands it had run before (and
   * read), whose changes (a test report, a log, a timestamp) are their side effects, not work.
   */
  edited: string[];
  worktreeHash?: string;
  /** Identity of the worktree state a changing turn produced: its hash, or what it wrote. */
  changeKey?: string;
  paragraphs: Paragraph[];
  costUsd: number;
  /** Changed the worktree to a state not seen in the history (not an undo, not a rewrite of the same content). */
  novelChange: boolean;
  /** A command that failed the last time it ran passes now. */
  fixedCommand?: string;
  progress: boolean;
  /** Touched a path, command or query not seen since the last progress. */
  explores: boolean;
}

export interface AnalyzeOptions {
  minParagraphChars: number;
}

function analyzeCall(call: TraceTurn['toolCalls'][number]): CallFacts {
  const role = toolRole(call.name);
  // Harnesses that echo the command line first ("$ npm test") would make equal errors look different.
  const output = outputText(call.output).replace(/^\$ [^\n]*\n/, '');
  const failed = callFailed(call.name, output, call.ok);
  const facts: CallFacts = {
    name: call.name,
    role,
    key: digest(`${call.name}(${canonicalArgs(call.arguments)})`),
    label: describeCall(call.name, call.arguments),
    resource: resourceOf(call.name, call.arguments),
    failed,
    failingPaths: [],
  };
  const command = commandOf(call.name, call.arguments);
  if (command) facts.command = command;
  if (role === 'read' && !failed) {
    const lines = linesShown(output);
    if (lines) facts.lines = lines;
  }
  if (failed) {
    const normalized = normalizeOutput(output);
    const signature = errorSignature(output);
    facts.errorKey = digest(normalized);
    facts.failureKey = digest(signature);
    const counter = command ? counterFacts(command, normalized, signature) : undefined;
    if (counter) facts.counter = counter;
    facts.headline = errorHeadline(output) || truncate(output, 80);
    facts.failingPaths = mentionedPaths(output);
  }
  return facts;
}

/** Prior turns back to (not including) the last one that made progress. */
export function sinceLastProgress<T extends { progress: boolean }>(history: readonly T[]): readonly T[] {
  let start = history.length;
  while (start > 0 && !history[start - 1]!.progress) start--;
  return history.slice(start);
}

export function analyzeTurn(turn: TraceTurn, prior: readonly TurnFacts[], options: AnalyzeOptions): TurnFacts {
  const calls = turn.toolCalls.map(analyzeCall);
  for (const call of calls) takeKeysOfEarlierRetry(call, prior);
  const changed = [...new Set(turn.filesChanged)].sort();
  const writes = calls.filter(c => c.role === 'write' && !c.failed).map(c => c.key);
  // Without a worktree hash, a state is named by what produced it: re-applying the same write lands
  // on the same state as before.
  const changeKey = changed.length
    ? turn.worktreeHash ?? digest((writes.length ? writes : [...changed, ...calls.map(c => c.key)]).sort().join('\n'))
    : undefined;

  const seenStates = new Set<string>();
  for (const p of prior) {
    if (p.worktreeHash) seenStates.add(p.worktreeHash);
    if (p.changeKey) seenStates.add(p.changeKey);
  }
  const novelChange = changeKey !== undefined && !seenStates.has(changeKey);

  let fixedCommand: string | undefined;
  for (const call of calls) {
    if (!call.command || call.failed) continue;
    const last = lastRunOf(call.command, prior);
    if (last?.failed) fixedCommand = call.command;
  }

  const sinceProgress = sinceLastProgress(prior);
  const seenResources = new Set(sinceProgress.flatMap(p => p.calls.map(c => c.resource)));
  const readBefore = linesReadBefore(sinceProgress);
  const explores = calls.some(c => c.role === 'finish' || !seenResources.has(c.resource) || readsOn(c, readBefore));
  // Only commands run before (and reads): what changed is their side effect. A command that changes the
  // worktree anew (an edit by `sed`, a generator run for the first time) is the agent's work.
  const reranOnly = calls.length > 0 && calls.some(c => c.command) && calls.every(c => READS.has(c.role) || (c.command !== undefined && lastRunOf(c.command, prior) !== undefined));

  const paragraphs = splitParagraphs(turn.text ?? '')
    .filter(p => p.length >= options.minParagraphChars)
    .map(p => ({ key: digest(p), text: p }));

  const facts: TurnFacts = {
    turn: turn.turn,
    calls,
    actionKey: digest(calls.map(c => c.key).sort().join('\n')),
    actionLabel: calls.length ? calls.map(c => c.label).join(' + ') : 'a reply without tool calls',
    changed,
    edited: reranOnly ? [] : changed,
    paragraphs,
    costUsd: turn.costUsd ?? 0,
    novelChange,
    progress: (novelChange && !reranOnly) || fixedCommand !== undefined,
    explores,
  };
  if (turn.worktreeHash) facts.worktreeHash = turn.worktreeHash;
  if (changeKey) facts.changeKey = changeKey;
  if (fixedCommand) facts.fixedCommand = fixedCommand;
  return facts;
}

/** How far back a retry's earlier run is looked for (the same-failure detector's horizon at default settings). */
const RETRY_LOOKBACK_TURNS = 36;

/** A failing command that is the latest run of an earlier one but for a counter fails as that one did. */
function takeKeysOfEarlierRetry(call: CallFacts, prior: readonly TurnFacts[]): void {
  if (!call.counter) return;
  for (let i = prior.length - 1; i >= Math.max(0, prior.length - RETRY_LOOKBACK_TURNS); i--) {
    const earlier = prior[i]!.calls.findLast(c => c.counter?.shape === call.counter!.shape && c.command !== call.command);
    if (!earlier) continue;
    const same = sameBarCounters(earlier.counter!, call.counter);
    if (same.error) call.errorKey = earlier.errorKey;
    if (same.failure) call.failureKey = earlier.failureKey;
    return;
  }
}

const READS: ReadonlySet<ToolRole> = new Set(['read', 'list', 'search']);

/** Of each file read since the last progress: the lines shown, or 'all' where a read did not number them. */
function linesReadBefore(turns: readonly TurnFacts[]): Map<string, Array<{ from: number; to: number }> | 'all'> {
  const read = new Map<string, Array<{ from: number; to: number }> | 'all'>();
  for (const t of turns) {
    for (const c of t.calls) {
      if (c.role !== 'read') continue;
      const known = read.get(c.resource);
      if (!c.lines) read.set(c.resource, 'all');
      else if (known !== 'all') read.set(c.resource, [...(known ?? []), c.lines]);
    }
  }
  return read;
}

/**
 * A read of a file read before that shows mostly lines not shown yet: the next page, not a look back. (A
 * window moved by a line or two, again and again, shows little that is new: that is circling.)
 */
function readsOn(call: CallFacts, before: ReadonlyMap<string, Array<{ from: number; to: number }> | 'all'>): boolean {
  const spans = before.get(call.resource);
  if (!call.lines || spans === undefined || spans === 'all') return false;
  const { from, to } = call.lines;
  let seen = 0;
  let cursor = from;
  for (const span of [...spans].sort((a, b) => a.from - b.from)) {
    const start = Math.max(span.from, cursor);
    const end = Math.min(span.to, to);
    if (end >= start) {
      seen += end - start + 1;
      cursor = end + 1;
    }
  }
  const shown = to - from + 1;
  return shown - seen >= Math.max(1, shown / 2);
}

function lastRunOf(command: string, prior: readonly TurnFacts[]): CallFacts | undefined {
  for (let i = prior.length - 1; i >= 0; i--) {
    const calls = prior[i]!.calls;
    for (let j = calls.length - 1; j >= 0; j--) if (calls[j]!.command === command) return calls[j];
  }
  return undefined;
}
