// Counts the server-sent events this process writes, so the fleet benchmark knows exactly how many events
// the test upstream streamed to the process under measurement. The upstream keeps no such count, and
// counting on the client side would add to the very CPU time being measured; so the one process that
// runs nothing but the upstream wraps ServerResponse.write (the upstream writes one event per call).
import { ServerResponse } from 'node:http';

export interface EventCounter {
  readonly count: number;
  uninstall(): void;
}

/** Server-sent events in a chunk written to an event stream: each event has exactly one `data:` line. */
export function eventsInChunk(chunk: unknown): number {
  const text = typeof chunk === 'string' ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8') : '';
  let n = 0;
  for (let i = text.indexOf('data:'); i >= 0; i = text.indexOf('data:', i + 5)) if (i === 0 || text[i - 1] === '\n') n++;
  return n;
}

export function countServerSentEvents(): EventCounter {
  const proto = ServerResponse.prototype;
  const original = proto.write;
  let count = 0;
  const counting = function (this: ServerResponse, ...args: unknown[]): boolean {
    const type = this.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('text/event-stream')) count += eventsInChunk(args[0]);
    return (original as (...a: unknown[]) => boolean).apply(this, args);
  };
  proto.write = counting as typeof proto.write;
  return {
    get count() {
      return count;
    },
    uninstall: () => {
      if (proto.write === counting) proto.write = original;
    },
  };
}
