// What a chained request carries. A Responses request naming previous_response_id or a conversation sends
// only what is new, but is billed for the context the server keeps with it: the previous response's input
// and output. The reservation must hold that context, however small the body. It is known when this
// process metered the response named (of any session); else, named by another process or before a
// restart, it is bounded only by the model's context window.
import { contextWindow } from '../pricing/contextWindows';
import type { Endpoint } from './requestView';

/** Responses and conversations remembered, newest kept: a long fleet's chains name recent ones. */
const REMEMBERED = 4096;

/** Tokens the server adds to a request's body. */
export interface Carried {
  /** At most this (for the reservation): a cap must hold whatever the id names. */
  bound: number;
  /** Most likely this (for a request cut before its usage arrived). */
  likely: number;
  /** Named a response or conversation not known here: `bound` is the model's whole window. */
  unknown: boolean;
}

export class ChainContexts {
  /** `response:<id>` and `conversation:<id>` to the tokens a request chained to it carries; oldest first. */
  private readonly tokens = new Map<string, number>();

  /** After a response: what a request chained to it, or to its conversation, is billed for on top of its body. */
  remember(responseId: string | undefined, conversationId: string | undefined, contextTokens: number): void {
    for (const key of [responseId && `response:${responseId}`, conversationId && `conversation:${conversationId}`]) {
      if (!key) continue;
      this.tokens.delete(key);
      this.tokens.set(key, contextTokens);
      if (this.tokens.size > REMEMBERED) this.tokens.delete(this.tokens.keys().next().value!);
    }
  }

  /** A conversation whose last response was cut: how much it now holds is not known. */
  forget(conversationId: string | undefined): void {
    if (conversationId) this.tokens.delete(`conversation:${conversationId}`);
  }

  /**
   * `bodyTokens`: the reservation's bound on the body's own input, which shares the window with the context.
   * `fallback`: the likely context when the id is not known here (the session's last response's).
   */
  carried(endpoint: Endpoint, body: Record<string, unknown>, model: string, bodyTokens: number, fallback: number): Carried {
    const key = chainKey(endpoint, body);
    if (!key) return { bound: 0, likely: 0, unknown: false };
    const known = this.tokens.get(key);
    if (known !== undefined) return { bound: known, likely: known, unknown: false };
    return { bound: Math.max(0, contextWindow(model) - bodyTokens), likely: fallback, unknown: true };
  }
}

/** The conversation a Responses request goes on in, by id (a string, or an object holding it). */
export function conversationId(endpoint: Endpoint, body: Record<string, unknown>): string | undefined {
  if (endpoint !== 'responses') return undefined;
  const c = body.conversation;
  if (typeof c === 'string' && c !== '') return c;
  if (typeof c === 'object' && c !== null && typeof (c as { id?: unknown }).id === 'string') return (c as { id: string }).id;
  return undefined;
}

function chainKey(endpoint: Endpoint, body: Record<string, unknown>): string | undefined {
  if (endpoint !== 'responses') return undefined;
  if (typeof body.previous_response_id === 'string' && body.previous_response_id !== '') return `response:${body.previous_response_id}`;
  const conversation = conversationId(endpoint, body);
  if (conversation) return `conversation:${conversation}`;
  // A conversation named in a form not read here: nothing known about it, so the whole window may come with it.
  return body.conversation !== undefined && body.conversation !== null ? 'conversation:' : undefined;
}
