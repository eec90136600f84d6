// Writing server-sent events with pacing, backpressure, and the faults a real stream can show: a
// connection cut midway, or an in-stream error event.
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JsonObject } from './wire';

export interface WireEvent {
  /** The SSE `event:` name; absent for Chat Completions, which sends data lines only. */
  event?: string;
  /** A JSON object, or the literal `[DONE]`. */
  data: JsonObject | '[DONE]';
}

export function encodeEvent(e: WireEvent): string {
  const data = e.data === '[DONE]' ? '[DONE]' : JSON.stringify(e.data);
  return `${e.event !== undefined ? `event: ${e.event}\n` : ''}data: ${data}\n\n`;
}

export interface StreamShape {
  /** Pause before every event after the first. */
  eventDelayMs: number;
  /** Destroy the connection once this many events are out. */
  cutAfterEvents?: number;
  /** Send `errorEvent` once this many events are out, then end the stream. */
  errorAfterEvents?: number;
  errorEvent(afterEvents: number): WireEvent;
}

export type StreamEnd = 'complete' | 'cut' | 'error-event' | 'client-closed';

export async function streamEvents(res: ServerResponse, events: readonly WireEvent[], shape: StreamShape, signal: AbortSignal): Promise<StreamEnd> {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  res.flushHeaders();
  const at = (n: number | undefined): number | undefined => (n === undefined ? undefined : Math.min(Math.max(0, n), events.length));
  const cutAt = at(shape.cutAfterEvents);
  const errorAt = at(shape.errorAfterEvents);
  for (let i = 0; i <= events.length; i++) {
    if (i === cutAt) {
      // Let the corked headers reach the socket before it goes (events were flushed below).
      await new Promise(resolve => setImmediate(resolve));
      res.destroy();
      return 'cut';
    }
    if (i === errorAt) {
      if (!(await write(res, encodeEvent(shape.errorEvent(i)), signal))) return 'client-closed';
      res.end();
      return 'error-event';
    }
    if (i === events.length) break;
    if (i > 0 && shape.eventDelayMs > 0 && !(await pause(shape.eventDelayMs, signal))) return 'client-closed';
    // The last event before a cut waits until the socket has taken it (and, in order, all before it).
    const deliver = i + 1 === cutAt ? write : send;
    if (!(await deliver(res, encodeEvent(events[i]!), signal))) return 'client-closed';
  }
  res.end();
  return 'complete';
}

/** Writes without waiting while the socket buffer has room; waits for 'drain' when it is full. */
async function send(res: ServerResponse, chunk: string, signal: AbortSignal): Promise<boolean> {
  if (res.destroyed || signal.aborted) return false;
  if (res.write(chunk)) return true;
  return new Promise(resolve => {
    const done = (ok: boolean): void => {
      signal.removeEventListener('abort', onAbort);
      res.off('drain', onDrain);
      resolve(ok);
    };
    const onAbort = (): void => done(false);
    const onDrain = (): void => done(true);
    signal.addEventListener('abort', onAbort, { once: true });
    res.once('drain', onDrain);
  });
}

/** Resolves true once the chunk is handed to the socket (so a cut after it still delivers it). */
export function write(res: ServerResponse, chunk: string, signal: AbortSignal): Promise<boolean> {
  return new Promise(resolve => {
    if (res.destroyed || signal.aborted) return resolve(false);
    const onAbort = (): void => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
    res.write(chunk, err => {
      signal.removeEventListener('abort', onAbort);
      resolve(!err);
    });
  });
}

/** Resolves false when the wait was cut short by the client leaving or the server closing. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (ms <= 0) return !signal.aborted;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
