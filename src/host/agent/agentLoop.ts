// The built-in agent's turn loop: ask the model, run the tools it called, append both, repeat until it
// finishes. A turn's tool calls run only after the model's response completed, and a call that may change
// something is on disk before it runs, so neither a retried request nor a crash runs it twice.
import { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import type { TranscriptEvent } from '../../protocol/records';
import type { StatusCause } from '../../protocol/types';
import type { ResponsesTool } from './chatAdapter';
import type { Conversation, ConversationItem } from './conversation';
import { StreamCutError, type ModelClient, type ModelTurn } from './modelClient';
import { compacted, estimatedTokens, SUMMARY_REQUEST } from './compaction';
import { interruptedOutput } from './prompt';
import { runToolCall } from './tools/runToolCall';
import type { AnyToolDef, ToolContext, ToolResult } from './tools/types';
import { BASE_URL_WHERE } from '../settings';
import { rateLimitResetMs, retryAfterMs } from '../util/retryAfter';
import { sleepUnlessAborted } from '../util/sleep';

export type AgentOutcome =
  | { kind: 'finished'; summary: string }
  | { kind: 'failed'; reason: string; cause?: StatusCause }
  | { kind: 'aborted' }
  /** Not to go on without the user: the gateway refused the request (budget, loop guard), or the server asks for a long wait. */
  | { kind: 'blocked'; reason: string; cause?: StatusCause }
  | { kind: 'max-turns'; turns: number };

export interface AgentLoopOptions {
  model: ModelClient;
  modelName: string;
  /** The same string every turn; a function only for the naive-prompt benchmark, which shows why not. */
  instructions: string | ((turn: number) => string);
  tools: readonly ResponsesTool[];
  /** The tools this role may run (a call to any other is refused, whatever the model sends). */
  toolDefs: readonly AnyToolDef[];
  conversation: Conversation;
  toolContext: ToolContext;
  maxTurns: number;
  /**
   * Turns taken in earlier runs, as counted then: every response, a cut-off one that added nothing to the
   * conversation included (which the conversation cannot count, nor after it is compacted).
   */
  turnsSoFar?: number;
  maxOutputTokens: number;
  cacheKey: string;
  cacheRetention?: '24h' | 'in_memory';
  signal: AbortSignal;
  emit(event: TranscriptEvent): void;
  /** Whether anyone watches the session live: streamed deltas are only for them (and not stored). */
  watched?(): boolean;
  /** Every delta of the answer streaming, watched or not (the transcript keeps the answer so far). */
  streamed?(turn: number, delta: string): void;
  onTurn(turns: number): void;
  /** Messages to add before the next request (a nudge, a hint); drained each turn. */
  takeNotes(): ConversationItem[];
  /** Estimated input tokens at which older turns are summarised. */
  compactAtTokens: number;
  /** Called just before a compacted conversation is first sent (the gateway records a cache reset). */
  onCompacted(fromTokens: number, toTokens: number): void;
  /** What each tool call did (the files it says it changed), for the loop guard. */
  onToolResult?(name: string, result: ToolResult): void;
  /** A request failed and waits to be retried (the reason, as the notice says it); undefined once one succeeds. */
  onRetrying?(reason: string | undefined): void;
  /** What a 404 most likely means with these settings, said after it (a base URL without /v1). */
  notFoundHint?: string;
}

let stampedMs = 0;
let stamp = '';
/** An ISO timestamp; a watched session streams many deltas in a millisecond already stamped. */
const now = (): string => {
  const ms = Date.now();
  if (ms !== stampedMs) {
    stampedMs = ms;
    stamp = new Date(ms).toISOString();
  }
  return stamp;
};
const MAX_RETRIES = 6;
/**
 * Before the model server has answered once in this run, "unreachable" is most likely a wrong base URL
 * or a server not started: a few seconds of retries, not a minute of them, before saying so.
 */
const FIRST_CONTACT_RETRIES = 2;

export async function runAgentLoop(o: AgentLoopOptions): Promise<AgentOutcome> {
  const outcome = await turnLoop(o);
  // However the run ended, what was written in the background is on disk, or its failure is said now:
  // a conversation with a hole could not be resumed.
  await o.conversation.saved();
  return outcome;
}

async function turnLoop(o: AgentLoopOptions): Promise<AgentOutcome> {
  await answerInterruptedCalls(o);
  let turns = Math.max(o.conversation.modelTurns(), o.turnsSoFar ?? 0);
  const contact: Contact = { reached: false };
  while (!o.signal.aborted) {
    if (turns >= o.maxTurns) return { kind: 'max-turns', turns };
    const notes = o.takeNotes();
    if (notes.length) await o.conversation.append(...notes);
    const compaction = await compactIfNeeded(o, turns + 1, contact);
    if (compaction) return compaction;
    const result = await requestWithRetries(o, turns + 1, contact);
    if ('kind' in result) return result;
    turns++;
    o.onTurn(turns);
    const produced: ConversationItem[] = [];
    if (result.text) {
      produced.push({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: result.text }] });
      o.emit({ kind: 'assistant', ts: now(), text: result.text, turn: turns });
    }
    for (const c of result.calls) produced.push({ type: 'function_call', call_id: c.callId, name: c.name, arguments: c.arguments });
    // A call that may change something is on disk before it runs: after a crash it is answered as
    // interrupted, never run twice. Calls that only read are written in the background (running one
    // again is harmless), which keeps a thread-pool round trip off the turn.
    if (result.calls.length && !result.calls.some(c => mayHaveEffects(c.name, o.toolDefs))) o.conversation.queue(...produced);
    else await o.conversation.append(...produced);
    if (!result.calls.length) {
      if (result.status === 'incomplete') {
        await o.conversation.append({ type: 'message', role: 'user', content: 'Your answer was cut off at the output limit. Continue, in smaller steps.' });
        continue;
      }
      return { kind: 'finished', summary: result.text.trim() || 'The agent ended its turn without a summary.' };
    }
    let finish: string | undefined;
    for (const call of result.calls) {
      if (o.signal.aborted) break;
      o.emit({ kind: 'tool-call', ts: now(), turn: turns, callId: call.callId, name: call.name, args: call.arguments });
      const r = await runToolCall(call.name, call.arguments, o.toolContext, o.toolDefs);
      o.onToolResult?.(call.name, r);
      // The result is shown before it is queued: the tool has run, even if saving it then fails.
      o.emit({ kind: 'tool-result', ts: now(), turn: turns, callId: call.callId, output: r.output, ok: r.ok });
      // Not awaited: the next request reads the conversation from memory, and the write queue keeps the
      // order.
      o.conversation.queue({ type: 'function_call_output', call_id: call.callId, output: r.output });
      if (r.finish) finish = r.finish.summary;
    }
    if (o.signal.aborted) {
      await answerInterruptedCalls(o);
      return { kind: 'aborted' };
    }
    if (finish !== undefined) return { kind: 'finished', summary: finish };
  }
  return { kind: 'aborted' };
}

/** Unknown tools count as having effects: nothing is assumed safe to run twice. */
function mayHaveEffects(name: string, defs: readonly AnyToolDef[]): boolean {
  return defs.find(d => d.name === name)?.sideEffects ?? true;
}

/** Summarises older turns when the prompt nears the context window; returns an outcome only on failure. */
async function compactIfNeeded(o: AgentLoopOptions, turn: number, contact: Contact): Promise<AgentOutcome | undefined> {
  // Kept by the conversation as items are added: encoding the whole prompt each turn made a session's
  // total cost grow with the square of its length.
  const before = estimatedTokens(instructionsOf(o, turn), o.conversation.jsonBytes);
  if (before < o.compactAtTokens || o.conversation.length < 4) return undefined;
  o.emit({ kind: 'notice', ts: now(), level: 'info', text: `The prompt is about ${before} tokens; summarising older turns (a planned cache reset).` });
  // Same instructions, tools and prefix: the summary request itself is served from the cache.
  const summaryTurn = await requestWithRetries(o, turn, contact, [...o.conversation.all, SUMMARY_REQUEST]);
  if ('kind' in summaryTurn) return summaryTurn;
  const items = compacted(o.conversation.all, summaryTurn.text || 'No summary was given.');
  await o.conversation.replace(items);
  const after = estimatedTokens(instructionsOf(o, turn), o.conversation.jsonBytes);
  o.onCompacted(before, after);
  o.emit({ kind: 'notice', ts: now(), level: 'info', text: `Compacted the conversation from about ${before} to ${after} tokens.` });
  return undefined;
}

/** Calls left without output by a pause or a crash get an explicit note instead of being run again. */
async function answerInterruptedCalls(o: AgentLoopOptions): Promise<void> {
  const open = o.conversation.unansweredCalls();
  if (!open.length) return;
  await o.conversation.append(...open.map(c => ({ type: 'function_call_output' as const, call_id: c.call_id, output: interruptedOutput(c.name) })));
}

/** Whether the model server has answered anything in this run (an error status counts). */
interface Contact {
  reached: boolean;
}

async function requestWithRetries(o: AgentLoopOptions, turn: number, contact: Contact, input: readonly ConversationItem[] = o.conversation.all): Promise<ModelTurn | AgentOutcome> {
  let unreachable = 0;
  for (let attempt = 0; ; attempt++) {
    if (o.signal.aborted) return { kind: 'aborted' };
    let deltaSeen = false;
    try {
      const answer = await o.model.turn(
        {
          model: o.modelName,
          instructions: instructionsOf(o, turn),
          tools: o.tools,
          input,
          maxOutputTokens: o.maxOutputTokens,
          cacheKey: o.cacheKey,
          cacheRetention: o.cacheRetention,
          signal: o.signal,
        },
        delta => {
          deltaSeen = true;
          o.streamed?.(turn, delta);
          // Unwatched, a delta is not even made: a fleet streams thousands a second, and stamping each
          // with an ISO date showed in its profile.
          if (o.watched?.() !== false) o.emit({ kind: 'assistant-delta', ts: now(), delta, turn });
        },
      );
      contact.reached = true;
      if (attempt > 0) o.onRetrying?.(undefined);
      return answer;
    } catch (err) {
      if (o.signal.aborted || err instanceof APIUserAbortError) return { kind: 'aborted' };
      const verdict = classify(err, o.notFoundHint);
      if (answeredBy(err)) contact.reached = true;
      const neverReached = verdict.kind === 'retry' && verdict.unreachable === true && !contact.reached;
      if (neverReached) unreachable++;
      if (verdict.kind === 'retry' && verdict.afterMs !== undefined && verdict.afterMs > LONG_WAIT_MS) return { kind: 'blocked', reason: longWaitReason(verdict.reason, verdict.afterMs) };
      if (verdict.kind !== 'retry' || attempt >= MAX_RETRIES || unreachable > FIRST_CONTACT_RETRIES) {
        if (verdict.kind !== 'retry') return verdict;
        const advice = neverReached ? ` Check the base URL ${BASE_URL_WHERE} and that the server is running.` : '';
        return { kind: 'failed', reason: `${withoutStop(verdict.reason)} (gave up after ${attempt + 1} attempts).${advice}` };
      }
      const wait = verdict.afterMs ?? Math.min(30_000, 1000 * 2 ** attempt);
      const notice = `${withoutStop(verdict.reason)}${deltaSeen ? ' (the partial answer was discarded)' : ''}; retrying in ${wait < 1000 ? 'under a second' : `${Math.round(wait / 1000)} s`}.`;
      o.emit({ kind: 'notice', ts: now(), level: 'warning', text: notice });
      o.onRetrying?.(notice);
      await sleepUnlessAborted(wait, o.signal);
    }
  }
}

/**
 * A server asking for a longer wait than this (a quota window of an hour) is not waited for: the session
 * would hold a running slot, unattended, doing nothing. It pauses, saying until when, for the user to resume.
 */
const LONG_WAIT_MS = 5 * 60_000;

function longWaitReason(reason: string, afterMs: number): string {
  const minutes = Math.ceil(afterMs / 60_000);
  const until = new Date(Date.now() + afterMs);
  const two = (n: number) => String(n).padStart(2, '0');
  // Beyond the day, the time alone would name the wrong one.
  const day = afterMs > 20 * 3_600_000 ? `${until.getFullYear()}-${two(until.getMonth() + 1)}-${two(until.getDate())} ` : '';
  const at = `${day}${two(until.getHours())}:${two(until.getMinutes())}`;
  const wait = minutes >= 120 ? `${Math.round(minutes / 60)} hours` : `${minutes} minutes`;
  return `${withoutStop(reason)} and asks to wait ${wait} (until ${at}); paused rather than holding a slot that long. Resume it then.`;
}

/** A reason that goes on with more words drops its full stop. */
const withoutStop = (reason: string): string => reason.replace(/\.$/, '');

function instructionsOf(o: AgentLoopOptions, turn: number): string {
  return typeof o.instructions === 'string' ? o.instructions : o.instructions(turn);
}

/** The model server itself answered (an error status, a stream that started), not the gateway for it. */
function answeredBy(err: unknown): boolean {
  if (err instanceof StreamCutError) return true;
  return err instanceof APIError && err.status !== undefined && !GATEWAY_FAILURES.has(typeof err.code === 'string' ? err.code : '');
}

/** Codes of the errors the gateway answers with itself (src/host/gateway), none of them the model server's. */
const GATEWAY_FAILURES = new Set(['upstream_unreachable', 'upstream_failed', 'budget_unavailable']);

/** Codes of in-stream error events that say the server, not the request, failed. */
const TRANSIENT_STREAM_ERRORS = new Set(['server_error', 'rate_limit_exceeded', 'server_is_overloaded', 'slow_down']);

/** `unreachable`: no answer came from the model server at all (refused, unresolvable, no route). */
type Verdict = { kind: 'retry'; reason: string; afterMs?: number; unreachable?: boolean } | AgentOutcome;

/** What the server said with its error, quoted on one line; nothing when it said nothing (the SDK's stand-in). */
function providerWords(said: string): string {
  const line = said.replace(/\s+/g, ' ').trim();
  if (!line || /^status code \(no body\)$/.test(line)) return '';
  return ` ("${line.length > 160 ? `${line.slice(0, 157)}…` : line}")`;
}

export function classify(err: unknown, notFoundHint = ''): Verdict {
  if (err instanceof StreamCutError) return { kind: 'retry', reason: err.message };
  if (err instanceof APIConnectionError) return { kind: 'retry', reason: `Could not reach the model server: ${err.message}`, unreachable: true };
  if (err instanceof APIError) {
    const code = typeof err.code === 'string' ? err.code : '';
    if (code.startsWith('switchyard_')) return { kind: 'blocked', reason: err.message };
    // The gateway's own failures say what failed (the model server unreachable, the budget unreadable);
    // their status alone would blame the model server for an answer it never gave.
    if (GATEWAY_FAILURES.has(code)) return { kind: 'retry', reason: err.message.replace(/^\d{3} /, ''), unreachable: code === 'upstream_unreachable' };
    // Something other than the API answers at the base URL: asking again would get the same page.
    if (code === 'upstream_not_an_api' || code === 'upstream_error_as_success') return { kind: 'failed', reason: err.message.replace(/^\d{3} /, '') };
    // An error event inside a stream has no status: the server's own trouble is worth another try. Chat
    // Completions names it by type, with a null code.
    const type = typeof err.type === 'string' ? err.type : '';
    const transient = TRANSIENT_STREAM_ERRORS.has(code) ? code : TRANSIENT_STREAM_ERRORS.has(type) ? type : '';
    if (err.status === undefined && transient) return { kind: 'retry', reason: `The model stream reported ${transient}: ${err.message}` };
    if (err.status === undefined) return { kind: 'failed', reason: `The model stream reported an error${code || type ? ` (${code || type})` : ''}: ${err.message}` };
    if (err.status === 401) return { kind: 'failed', reason: 'The API key was refused (401). Set a valid one: "Switchyard: Set API Key" in VS Code, OPENAI_API_KEY for the CLI.', cause: 'api-key' };
    // The SDK's message starts with the status, which the reason already names.
    const said = err.message.replace(/^\d{3} /, '');
    if (err.status === 403) return { kind: 'failed', reason: `The model server refused the request (403): ${said}` };
    if (err.status === 404) return { kind: 'failed', reason: `Not found (404): ${said}. Check the model name and the base URL.${notFoundHint}` };
    if (err.status === 429 && code === 'insufficient_quota') return { kind: 'failed', reason: 'The API account has no quota left (429 insufficient_quota).' };
    if (err.status === 429 || err.status === 408 || err.status === 409 || (err.status ?? 0) >= 500) {
      // A 429 without retry-after still says when its window resets.
      const afterMs = retryAfterMs(err.headers) ?? (err.status === 429 ? rateLimitResetMs(err.headers) : undefined);
      return { kind: 'retry', reason: `The model server answered ${err.status}${providerWords(said)}`, afterMs: afterMs ? afterMs : undefined };
    }
    return { kind: 'failed', reason: `The model server rejected the request (${err.status}): ${said}` };
  }
  return { kind: 'retry', reason: err instanceof Error ? err.message : String(err) };
}
