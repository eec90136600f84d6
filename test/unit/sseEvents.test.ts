// The agent reads a model's events off the raw body: the SSE format's line endings and fields, chunks cut
// anywhere (inside a line, a CRLF or a character), [DONE], errors as the SDK reports them, and an early
// stop that releases the connection.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APIError } from 'openai';
import { readSseJson, SseJsonError, SseParser, type SseMessage, type SseJson } from '../../src/host/agent/sseEvents';

const enc = new TextEncoder();

function parseAll(chunks: readonly string[]): SseMessage[] {
  const p = new SseParser();
  return [...chunks.flatMap(c => p.push(enc.encode(c))), ...p.end()];
}

/** Every way of cutting `text` in two, as bytes (so multi-byte characters get cut too). */
function everySplit(text: string): Uint8Array[][] {
  const bytes = enc.encode(text);
  return Array.from({ length: bytes.length + 1 }, (_, i) => [bytes.slice(0, i), bytes.slice(i)]);
}

test('fields per the SSE format: event, data lines joined, comments, one leading space, no data no message', () => {
  const text = ': keep-alive\n\nevent: a\ndata: {"x":1}\n\ndata:two\ndata:  lines\nid: 7\nretry: 10\n\nevent: empty\n\ndata\n\n';
  assert.deepEqual(parseAll([text]), [
    { event: 'a', data: '{"x":1}' },
    { event: null, data: 'two\n lines' },
    { event: null, data: '' },
  ]);
});

test('CRLF, CR and LF line endings give the same messages, however the bytes are cut', () => {
  const lf = 'event: response.output_text.delta\ndata: {"delta":"héllo ✓"}\n\ndata: {"type":"x"}\n\n';
  const want = parseAll([lf]);
  assert.equal(want.length, 2);
  for (const text of [lf, lf.replace(/\n/g, '\r\n'), lf.replace(/\n/g, '\r')]) {
    for (const [a, b] of everySplit(text)) {
      const p = new SseParser();
      assert.deepEqual([...p.push(a!), ...p.push(b!), ...p.end()], want, JSON.stringify(text));
    }
  }
});

test('a last line without its line break is read; a message never ended by a blank line is not', () => {
  assert.deepEqual(parseAll(['data: {"a":1}\n\ndata: {"b":2}']), [{ event: null, data: '{"a":1}' }]);
  assert.deepEqual(parseAll(['data: {"a":1}\n', '\n']), [{ event: null, data: '{"a":1}' }]);
});

function body(chunks: readonly string[], onCancel?: () => void): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (i < chunks.length) c.enqueue(enc.encode(chunks[i++]!));
      else c.close();
    },
    cancel: () => onCancel?.(),
  });
}

const sse = (data: unknown, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

test('events arrive parsed and in order until the body ends, or [DONE]', async () => {
  const seen: SseJson[] = [];
  const all = await readSseJson(body([sse({ n: 1 }), sse({ n: 2 }) + sse('[DONE]') + sse({ n: 3 })]), new Headers(), d => (seen.push(d), false));
  assert.equal(all, false);
  assert.deepEqual(seen, [{ n: 1 }, { n: 2 }]);
});

test('stopping early cancels the rest of the body', async () => {
  let cancelled = false;
  const seen: SseJson[] = [];
  const stopped = await readSseJson(body([sse({ n: 1 }) + sse({ n: 2 }), sse({ n: 3 })], () => (cancelled = true)), new Headers(), d => (seen.push(d), d.n === 2));
  assert.equal(stopped, true);
  assert.deepEqual(seen, [{ n: 1 }, { n: 2 }]);
  await new Promise(r => setImmediate(r));
  assert.equal(cancelled, true);
});

test('an error event, or a payload with an error, throws the APIError the SDK would', async () => {
  const headers = new Headers({ 'x-request-id': 'req_1' });
  const errorEvent = { type: 'error', code: 'server_error', message: 'The server had an error' };
  await assert.rejects(readSseJson(body([sse(errorEvent, 'error')]), headers, () => false), (e: unknown) =>
    e instanceof APIError && e.status === undefined && e.code === 'server_error' && /The server had an error/.test(e.message));
  await assert.rejects(readSseJson(body([sse({ error: { message: 'boom', code: 'x' } })]), headers, () => false), (e: unknown) =>
    e instanceof APIError && e.code === 'x' && /boom/.test(e.message));
});

test('malformed JSON, or JSON that is not an object, is an error, and a throw from the caller stops the read', async () => {
  await assert.rejects(readSseJson(body([sse('{"cut')]), new Headers(), () => false), SseJsonError);
  await assert.rejects(readSseJson(body([sse('[1,2]')]), new Headers(), () => false), SseJsonError);
  let cancelled = false;
  await assert.rejects(readSseJson(body([sse({ n: 1 }), sse({ n: 2 })], () => (cancelled = true)), new Headers(), () => {
    throw new Error('the model failed');
  }), /the model failed/);
  await new Promise(r => setImmediate(r));
  assert.equal(cancelled, true);
});
