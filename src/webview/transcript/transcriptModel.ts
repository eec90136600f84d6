// Turns the transcript's event stream into display items and the smallest list of changes to the page.
// Pure (no DOM): the ordering rules below are unit-tested, and the renderer only applies the changes.
//
// Ordering rules, because live streams and saved transcripts differ:
// - 'assistant-delta' events are never saved. Live, they grow a "typing" item that the turn's final
//   'assistant' event replaces in place.
// - A request's 'usage' (and any 'cache-break' or guard verdict on it) is recorded when the stream completes,
//   before the final 'assistant' event. Live, it is put before the typing item, so a live page and a
//   reloaded one show the same order.
// - A retry discards a partial answer and says so in a notice; a pause or failure cuts the stream. Either
//   leaves the typing item marked interrupted; a later final answer of that turn removes it.
// - A pause or stop is recorded at once, the cost of the request it cut once that stream has ended: a
//   request's figures right after a status that ended the run go above it.
// - A tool call whose run ended (a status that stops the agent, or a later turn began) without a result
//   is marked unanswered, so it stops showing as running; a late result still pairs with it.
import type { TranscriptEvent, UsageRecord } from '../../protocol/records';
import type { GuardLevel, SessionStatus } from '../../protocol/types';

type Ev<K extends TranscriptEvent['kind']> = Extract<TranscriptEvent, { kind: K }>;

export interface ToolResult {
  output: string;
  ok: boolean;
  ts: string;
}

export type Item =
  | { id: number; kind: 'user'; ts: string; text: string }
  | { id: number; kind: 'assistant'; ts: string; text: string; turn: number }
  | { id: number; kind: 'typing'; ts: string; text: string; turn: number; interrupted: boolean }
  | { id: number; kind: 'tool'; ts: string; turn: number; callId: string; name: string | null; args: string; result: ToolResult | null; unanswered: boolean }
  | { id: number; kind: 'usage'; ts: string; record: UsageRecord; cachedShare: number }
  | { id: number; kind: 'status'; ts: string; status: SessionStatus; reason?: string }
  | { id: number; kind: 'guard'; ts: string; level: GuardLevel; reason: string }
  | { id: number; kind: 'cache-break'; ts: string; reason: string; segment: string; lostUsd: number }
  | { id: number; kind: 'notice'; ts: string; level: 'info' | 'warning' | 'error'; text: string; stream?: 'stdout' | 'stderr' };

export type Change =
  | { op: 'append'; item: Item }
  | { op: 'insertBefore'; item: Item; before: number }
  | { op: 'replace'; id: number; item: Item }
  | { op: 'update'; item: Item }
  | { op: 'remove'; id: number };

/** Statuses during which a stream may still be running; any other status cuts it. */
const STREAMING: ReadonlySet<SessionStatus> = new Set<SessionStatus>(['queued', 'running', 'waiting']);

export class TranscriptModel {
  private nextId = 1;
  private readonly items = new Map<number, Item>();
  private live: Extract<Item, { kind: 'typing' }> | null = null;
  /** Interrupted typing items by turn, removed when that turn's final answer arrives. */
  private readonly interrupted = new Map<number, number[]>();
  /** The item at the end of the page. */
  private last: Item | null = null;
  /** Open calls that status lines (an approval's) went above. */
  private readonly answeredFirst = new Set<string>();
  /** Open tool calls by call id, waiting for their result. */
  private readonly openCalls = new Map<string, Extract<Item, { kind: 'tool' }>>();

  get size(): number {
    return this.items.size;
  }

  get(id: number): Item | undefined {
    return this.items.get(id);
  }

  /** Applies events in order and returns the page changes they cause. */
  apply(events: readonly TranscriptEvent[]): Change[] {
    const out: Change[] = [];
    for (const e of events) this.one(e, out);
    return out;
  }

  private one(e: TranscriptEvent, out: Change[]): void {
    switch (e.kind) {
      case 'assistant-delta':
        return this.delta(e, out);
      case 'assistant':
        return this.answer(e, out);
      case 'usage':
        return this.requestFigure({ id: 0, kind: 'usage', ts: e.ts, record: e.record, cachedShare: e.cachedShare }, out);
      case 'cache-break':
        return this.requestFigure({ id: 0, kind: 'cache-break', ts: e.ts, reason: e.reason, segment: e.segment, lostUsd: e.lostUsd }, out);
      case 'guard':
        return this.requestFigure({ id: 0, kind: 'guard', ts: e.ts, level: e.level, reason: e.reason }, out);
      case 'tool-call':
        return this.call(e, out);
      case 'tool-result':
        return this.result(e, out);
      case 'status':
        if (!STREAMING.has(e.status)) {
          this.interrupt(out);
          this.giveUpCalls(Number.POSITIVE_INFINITY, out);
        }
        return this.statusLine({ id: 0, kind: 'status', ts: e.ts, status: e.status, ...(e.reason ? { reason: e.reason } : {}) }, out);
      case 'notice': {
        const item: Item = { id: 0, kind: 'notice', ts: e.ts, level: e.level, text: e.text, ...(e.stream ? { stream: e.stream } : {}) };
        // Said while an answer streams on (a tier changed, a server slow to go on): the answer is not cut.
        // A warning or an error is what a cut stream's retry, or a failure, says.
        if (e.level === 'info') return this.beforeTyping(item, out);
        this.interrupt(out);
        return this.append(item, out);
      }
      case 'user':
        this.interrupt(out);
        return this.append({ id: 0, kind: 'user', ts: e.ts, text: e.text }, out);
      default: {
        const never: never = e;
        return this.append({ id: 0, kind: 'notice', ts: '', level: 'warning', text: `(an event of an unknown kind was skipped: ${String((never as { kind?: unknown }).kind)})` }, out);
      }
    }
  }

  private delta(e: Ev<'assistant-delta'>, out: Change[]): void {
    this.giveUpCalls(e.turn, out);
    if (this.live && this.live.turn === e.turn) {
      this.live.text += e.delta;
      out.push({ op: 'update', item: this.live });
      return;
    }
    this.interrupt(out);
    const item: Item = { id: 0, kind: 'typing', ts: e.ts, text: e.delta, turn: e.turn, interrupted: false };
    this.append(item, out);
    this.live = item;
  }

  private answer(e: Ev<'assistant'>, out: Change[]): void {
    this.giveUpCalls(e.turn, out);
    const item = this.register({ id: 0, kind: 'assistant', ts: e.ts, text: e.text, turn: e.turn });
    for (const id of this.interrupted.get(e.turn) ?? []) {
      this.items.delete(id);
      out.push({ op: 'remove', id });
    }
    this.interrupted.delete(e.turn);
    if (this.live && this.live.turn === e.turn) {
      const old = this.live.id;
      this.items.delete(old);
      this.live = null;
      out.push({ op: 'replace', id: old, item });
      if (this.last?.id === old) this.last = item;
      return;
    }
    this.interrupt(out);
    out.push({ op: 'append', item });
    this.last = item;
  }

  private call(e: Ev<'tool-call'>, out: Change[]): void {
    this.interrupt(out);
    this.giveUpCalls(e.turn, out);
    const item: Extract<Item, { kind: 'tool' }> = { id: 0, kind: 'tool', ts: e.ts, turn: e.turn, callId: e.callId, name: e.name, args: e.args, result: null, unanswered: false };
    this.append(item, out);
    this.openCalls.set(e.callId, item);
  }

  private result(e: Ev<'tool-result'>, out: Change[]): void {
    this.interrupt(out);
    const result = { output: e.output, ok: e.ok, ts: e.ts };
    const call = this.openCalls.get(e.callId);
    if (call) {
      this.openCalls.delete(e.callId);
      // Below the lines of its approval, it shows when it was settled (ran, or was denied), not when it was asked.
      if (this.answeredFirst.delete(e.callId)) call.ts = e.ts;
      call.result = result;
      call.unanswered = false;
      out.push({ op: 'update', item: call });
      return;
    }
    // A result without its call (a transcript that began mid-turn, or an agent that reports only results).
    this.append({ id: 0, kind: 'tool', ts: e.ts, turn: e.turn, callId: e.callId, name: null, args: '', result, unanswered: false }, out);
  }

  /** Open calls of turns before `turn` will get no result now: they stop showing as running. */
  private giveUpCalls(turn: number, out: Change[]): void {
    for (const call of this.openCalls.values()) {
      if (call.turn >= turn || call.unanswered) continue;
      call.unanswered = true;
      out.push({ op: 'update', item: call });
    }
  }

  /**
   * Waiting for an approval while the last thing shown is a call still open (the command asked about), then
   * running again once it is answered: both go above that call, whose result then comes below the answer,
   * as it happened. A status that ends the run, or one after the call's result, goes at the end as any item.
   */
  private statusLine(item: Extract<Item, { kind: 'status' }>, out: Change[]): void {
    const last = this.last;
    if (last?.kind === 'tool' && !last.result && !last.unanswered && (item.status === 'waiting' || item.status === 'running')) {
      out.push({ op: 'insertBefore', item: this.register(item), before: last.id });
      this.answeredFirst.add(last.callId);
      return;
    }
    this.append(item, out);
  }

  /**
   * A request's cost (and its cache break or guard verdict). A pause or stop is said at once, and the request
   * it cut is counted once its stream has ended: right after that status line, with nothing between, it is
   * the cut request's, and goes above the line that ended the run.
   */
  private requestFigure(item: Item, out: Change[]): void {
    const last = this.last;
    if (!this.live && last?.kind === 'status' && !STREAMING.has(last.status)) {
      out.push({ op: 'insertBefore', item: this.register(item), before: last.id });
      return;
    }
    this.beforeTyping(item, out);
  }

  private beforeTyping(item: Item, out: Change[]): void {
    if (!this.live) return this.append(item, out);
    out.push({ op: 'insertBefore', item: this.register(item), before: this.live.id });
  }

  private append(item: Item, out: Change[]): void {
    out.push({ op: 'append', item: this.register(item) });
    this.last = item;
  }

  private register<T extends Item>(item: T): T {
    item.id = this.nextId++;
    this.items.set(item.id, item);
    return item;
  }

  private interrupt(out: Change[]): void {
    const t = this.live;
    if (!t) return;
    this.live = null;
    t.interrupted = true;
    const list = this.interrupted.get(t.turn) ?? [];
    list.push(t.id);
    this.interrupted.set(t.turn, list);
    out.push({ op: 'update', item: t });
  }
}
