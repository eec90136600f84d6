// The gateway meters a stream while passing it through: whatever line endings the server uses and however
// the bytes are cut into chunks, it finds the usage, the served tier, the response id and the text length.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SseScanner, type StreamOutcome } from '../../src/host/gateway/streamMeter';
import { responseActivity, type Endpoint } from '../../src/host/gateway/requestView';

const enc = new TextEncoder();
const usage = { input_tokens: 1200, input_tokens_details: { cached_tokens: 1024 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 0 } };

const responsesStream = [
  ': keep-alive',
  '',
  'event: response.created',
  `data: ${JSON.stringify({ type: 'response.created', response: { id: 'resp_1', status: 'in_progress' } })}`,
  '',
  'event: response.output_text.delta',
  `data: ${JSON.stringify({ type: 'response.output_text.delta', delta: 'héllo ' })}`,
  '',
  'event: response.output_text.delta',
  `data: ${JSON.stringify({ type: 'response.output_text.delta', delta: 'wörld ✓' })}`,
  '',
  'event: response.completed',
  `data: ${JSON.stringify({ type: 'response.completed', response: { id: 'resp_1', service_tier: 'flex', usage } })}`,
  '',
  '',
].join('\n');

const chatStream = [
  `data: ${JSON.stringify({ id: 'c1', choices: [{ index: 0, delta: { content: 'hi there' } }] })}`,
  '',
  `data: ${JSON.stringify({ id: 'c1', choices: [], service_tier: 'default', usage: { prompt_tokens: 50, completion_tokens: 2 } })}`,
  '',
  'data: [DONE]',
  '',
  '',
].join('\n');

function scan(endpoint: Endpoint, chunks: readonly Uint8Array[]): StreamOutcome {
  const s = new SseScanner(endpoint);
  for (const c of chunks) s.push(c);
  s.end();
  return s.outcome;
}

/** The stream whole, and cut in two at every byte (inside a line ending, inside a character). */
function everyCut(text: string): Uint8Array[][] {
  const bytes = enc.encode(text);
  return [[bytes], ...Array.from({ length: bytes.length - 1 }, (_, i) => [bytes.slice(0, i + 1), bytes.slice(i + 1)])];
}

const endings = { LF: (t: string) => t, CRLF: (t: string) => t.replace(/\n/g, '\r\n'), CR: (t: string) => t.replace(/\n/g, '\r') };

test('a Responses stream is metered the same with LF, CRLF or CR line endings, however it is cut', () => {
  const want = scan('responses', [enc.encode(responsesStream)]);
  assert.deepEqual(
    { completed: want.completed, usage: want.usage, servedTier: want.servedTier, responseId: want.responseId, deltaChars: want.deltaChars },
    { completed: true, usage, servedTier: 'flex', responseId: 'resp_1', deltaChars: 'héllo '.length + 'wörld ✓'.length },
  );
  for (const [name, end] of Object.entries(endings)) {
    for (const chunks of everyCut(end(responsesStream))) assert.deepEqual(scan('responses', chunks), want, name);
  }
});

test('a Chat Completions stream is metered the same with LF, CRLF or CR line endings, however it is cut', () => {
  const want = scan('chat', [enc.encode(chatStream)]);
  assert.equal(want.completed, true);
  assert.deepEqual(want.usage, { prompt_tokens: 50, completion_tokens: 2 });
  assert.equal(want.servedTier, 'default');
  for (const [name, end] of Object.entries(endings)) {
    for (const chunks of everyCut(end(chatStream))) assert.deepEqual(scan('chat', chunks), want, name);
  }
});

test('a stream cut before its final event is not complete, and says how much text it carried', () => {
  const cut = responsesStream.slice(0, responsesStream.indexOf('event: response.completed'));
  const out = scan('responses', [enc.encode(cut)]);
  assert.equal(out.completed, false);
  assert.equal(out.usage, undefined);
  assert.equal(out.deltaChars, 'héllo '.length + 'wörld ✓'.length);
});

test("a response's text and calls are read from its final object, for the trace's last turn", () => {
  const response = {
    id: 'resp_2',
    usage,
    output: [
      { type: 'reasoning', id: 'rs_1', summary: [] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'All done.' }] },
      { type: 'function_call', call_id: 'call_1', name: 'finish', arguments: '{"summary":"ok"}' },
    ],
  };
  const block = `event: response.completed\ndata: ${JSON.stringify({ type: 'response.completed', response })}\n\n`;
  const want = [
    { kind: 'text', body: 'All done.' },
    { kind: 'call', callId: 'call_1', name: 'finish', body: '{"summary":"ok"}' },
  ];
  assert.deepEqual(scan('responses', [enc.encode(block)]).output, want);
  assert.deepEqual(responseActivity('responses', response), want);
  const chat = { id: 'c2', choices: [{ index: 0, message: { role: 'assistant', content: 'All done.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'finish', arguments: '{"summary":"ok"}' } }] } }] };
  assert.deepEqual(responseActivity('chat', chat), want);
  assert.deepEqual(responseActivity('chat', { choices: [] }), []);
  assert.deepEqual(responseActivity('responses', 'not an object'), []);
});

test('a Chat stream whose every chunk names its tier (as OpenAI sends them) counts the text of each when cut', () => {
  const chunk = (content: string) => `data: ${JSON.stringify({ id: 'c3', object: 'chat.completion.chunk', service_tier: 'default', choices: [{ index: 0, delta: { content } }] })}\n\n`;
  const out = scan('chat', [enc.encode(chunk('hello ') + chunk('world') + chunk('!'))]);
  assert.equal(out.completed, false);
  assert.equal(out.deltaChars, 'hello world!'.length);
  assert.equal(out.servedTier, 'default');
  assert.equal(out.responseId, 'c3');
});

test("usage is found in JSON spaced as Python's json.dumps writes it, with or without event lines", () => {
  const spaced = (v: unknown) => JSON.stringify(v).replace(/":/g, '": ').replace(/,"/g, ', "');
  const chat = [
    `data: ${spaced({ id: 'c4', choices: [{ index: 0, delta: { content: 'hi there' } }] })}`,
    '',
    `data: ${spaced({ id: 'c4', choices: [], usage: { prompt_tokens: 2000, completion_tokens: 300 } })}`,
    '',
    'data: [DONE]',
    '',
    '',
  ].join('\n');
  const c = scan('chat', [enc.encode(chat)]);
  assert.deepEqual([c.completed, c.usage, c.deltaChars], [true, { prompt_tokens: 2000, completion_tokens: 300 }, 'hi there'.length]);
  const responses = [
    `data: ${spaced({ type: 'response.output_text.delta', delta: 'héllo' })}`,
    '',
    `data: ${spaced({ type: 'response.completed', response: { id: 'resp_3', service_tier: 'flex', usage } })}`,
    '',
    '',
  ].join('\n');
  const r = scan('responses', [enc.encode(responses)]);
  assert.deepEqual([r.completed, r.usage, r.servedTier, r.deltaChars], [true, usage, 'flex', 'héllo'.length]);
  // Its fields in the order openai-python declares them: the response, whose items have types, first.
  const pythonOrder = `data: ${spaced({ response: { id: 'resp_4', output: [{ type: 'message', content: [{ type: 'output_text', text: 'ok' }] }], usage }, sequence_number: 9, type: 'response.completed' })}\n\n`;
  const p = scan('responses', [enc.encode(pythonOrder)]);
  assert.deepEqual([p.completed, p.usage, p.responseId], [true, usage, 'resp_4']);
});
