// A Chat Completions stream is metered from its usage chunk, which the gateway asks for (policy.ts). An
// agent that did not ask for it does not expect it: its `choices` are empty, and a client that reads
// `choices[0]` of every chunk fails on it. This takes that chunk out of what such an agent reads. Events
// are passed on whole (their line ends as LF, which SSE allows); only the agent's copy is changed.
import { LfDecoder } from '../util/lfDecoder';

const USAGE_OBJECT = /"usage"\s*:\s*\{/;
const encoder = new TextEncoder();

export class UsageChunkFilter {
  private readonly text = new LfDecoder();
  private pending = '';

  /** The events complete so far, but a usage-only one; the rest waits for the next chunk. */
  push(chunk: Uint8Array): Uint8Array {
    const before = this.pending.length;
    this.pending += this.text.push(chunk);
    // Only the new text (and the line end before it) can end an event: a long one is not searched again.
    if (this.pending.indexOf('\n\n', Math.max(0, before - 1)) < 0) return new Uint8Array(0);
    const end = this.pending.lastIndexOf('\n\n');
    const events = this.pending.slice(0, end + 2);
    this.pending = this.pending.slice(end + 2);
    return encoder.encode(withoutUsageOnly(events));
  }

  /** What was left when the stream ended. */
  end(): Uint8Array {
    const rest = this.pending + this.text.end();
    this.pending = '';
    return encoder.encode(withoutUsageOnly(rest));
  }
}

function withoutUsageOnly(events: string): string {
  if (!USAGE_OBJECT.test(events)) return events;
  return events.split(/(?<=\n\n)/).filter(event => !usageOnly(event)).join('');
}

/** A chunk that carries the usage and no choice (a chunk with both keeps its choices, and its usage). */
function usageOnly(event: string): boolean {
  if (!USAGE_OBJECT.test(event)) return false;
  const data = event.split('\n').filter(l => l.startsWith('data:')).map(l => l.slice(5).trimStart()).join('\n');
  try {
    const v = JSON.parse(data) as { choices?: unknown };
    return Array.isArray(v.choices) && v.choices.length === 0;
  } catch {
    return false;
  }
}
