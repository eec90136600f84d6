// A small external agent for `command` sessions: it talks to whatever OPENAI_BASE_URL / OPENAI_API_KEY
// point at (the gateway, in a session) with the `openai` SDK, the way third-party agents do. For each
// API (Responses, Chat Completions), streaming and not, it asks the model, runs the one tool the model
// may call (write_file, in its working directory) itself, and sends the result back.
//
//   node sdkAgent.mjs '<task>'
//
// It writes what it saw (usage, served tier, response ids, per request) to $TMPDIR/sdk-agent.json and
// its own environment to $TMPDIR/sdk-agent-env.json, so tests can compare them with the ledger.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';

const task = process.argv[2] ?? '';
const outDir = process.env.TMPDIR ?? process.cwd();
writeFileSync(path.join(outDir, 'sdk-agent-env.json'), JSON.stringify(process.env, null, 1));

const model = process.env.SDK_AGENT_MODEL ?? 'gpt-5.4';
// Retries would hide what the gateway answered; the tests want each request to count once.
const client = new OpenAI({ maxRetries: 0 });
const seen = [];

const writeFileTool = {
  name: 'write_file',
  description: 'Write a text file of the project.',
  parameters: {
    type: 'object',
    properties: { path: { type: 'string' }, content: { type: 'string' } },
    required: ['path', 'content'],
    additionalProperties: false,
  },
};

function runTool(name, args) {
  if (name !== 'write_file') return `unknown tool ${name}`;
  const { path: file, content } = JSON.parse(args);
  const full = path.resolve(process.cwd(), file);
  if (!full.startsWith(process.cwd() + path.sep)) return 'refused: outside the project';
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, content);
  return `wrote ${Buffer.byteLength(content)} bytes to ${file}`;
}

const textOf = response =>
  response.output.filter(item => item.type === 'message').flatMap(item => item.content).map(part => part.text ?? '').join('');

async function responsesTurn(input, stream) {
  const params = { model, input, tools: [{ type: 'function', strict: true, ...writeFileTool }], store: false };
  let response;
  if (stream) {
    let events = 0;
    for await (const event of await client.responses.create({ ...params, stream: true })) {
      events++;
      if (event.type === 'response.completed') response = event.response;
    }
    if (!response) throw new Error('the Responses stream ended without response.completed');
    seen.push({ api: 'responses', stream, id: response.id, usage: response.usage, serviceTier: response.service_tier, events });
  } else {
    response = await client.responses.create(params);
    seen.push({ api: 'responses', stream, id: response.id, usage: response.usage, serviceTier: response.service_tier });
  }
  return response;
}

async function responsesConversation(stream) {
  const input = [{ role: 'user', content: task }];
  for (let turn = 0; turn < 4; turn++) {
    const response = await responsesTurn(input, stream);
    const calls = response.output.filter(item => item.type === 'function_call');
    if (!calls.length) return textOf(response);
    input.push(...response.output);
    for (const call of calls) {
      console.log(`responses${stream ? ' (stream)' : ''}: ${call.name} ${call.arguments}`);
      input.push({ type: 'function_call_output', call_id: call.call_id, output: runTool(call.name, call.arguments) });
    }
  }
  throw new Error('no answer after 4 turns');
}

async function chatTurn(messages, stream) {
  const params = { model, messages, tools: [{ type: 'function', function: writeFileTool }] };
  if (!stream) {
    const completion = await client.chat.completions.create(params);
    seen.push({ api: 'chat', stream, id: completion.id, usage: completion.usage, serviceTier: completion.service_tier });
    return completion.choices[0].message;
  }
  const message = { role: 'assistant', content: '', tool_calls: [] };
  let usage;
  let id;
  let serviceTier;
  let events = 0;
  // Asked for, as a client that reads the usage does: the gateway gives the usage chunk only to those.
  for await (const chunk of await client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } })) {
    events++;
    id = chunk.id;
    serviceTier = chunk.service_tier ?? serviceTier;
    if (chunk.usage) usage = chunk.usage;
    const delta = chunk.choices[0]?.delta;
    if (!delta) continue;
    if (delta.content) message.content += delta.content;
    for (const tc of delta.tool_calls ?? []) {
      const slot = (message.tool_calls[tc.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
      if (tc.id) slot.id = tc.id;
      if (tc.function?.name) slot.function.name += tc.function.name;
      if (tc.function?.arguments) slot.function.arguments += tc.function.arguments;
    }
  }
  seen.push({ api: 'chat', stream, id, usage, serviceTier, events });
  if (!message.tool_calls.length) delete message.tool_calls;
  return message;
}

async function chatConversation(stream) {
  const messages = [{ role: 'user', content: task }];
  for (let turn = 0; turn < 4; turn++) {
    const message = await chatTurn(messages, stream);
    messages.push(message);
    if (!message.tool_calls?.length) return message.content;
    for (const call of message.tool_calls) {
      console.log(`chat${stream ? ' (stream)' : ''}: ${call.function.name} ${call.function.arguments}`);
      messages.push({ role: 'tool', tool_call_id: call.id, content: runTool(call.function.name, call.function.arguments) });
    }
  }
  throw new Error('no answer after 4 turns');
}

try {
  const answers = [];
  for (const stream of [true, false]) {
    answers.push(await responsesConversation(stream));
    answers.push(await chatConversation(stream));
  }
  writeFileSync(path.join(outDir, 'sdk-agent.json'), JSON.stringify({ seen, answers }, null, 1));
  console.log(`answers: ${answers.join(' | ')}`);
} catch (err) {
  writeFileSync(path.join(outDir, 'sdk-agent.json'), JSON.stringify({ seen, error: String(err?.message ?? err), status: err?.status }, null, 1));
  console.error(`sdk agent failed: ${err?.status ?? ''} ${err?.message ?? err}`);
  process.exit(1);
}
