// The floor under the overhead benchmark: the same script played by the thinnest agent there is, the
// `openai` SDK alone in a loop (its own stream reader, no gateway, no ledger, no records), sending the
// same instructions and tool schemas, reading the same files. Its time between one response and the next
// request is what any client on this machine spends; the engine's overhead above it is the engine's own.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import OpenAI from 'openai';
import { buildInstructions, taskMessage, toolsFor } from '../src/host/agent/prompt';
import { BUILT_IN_ROLES } from '../src/host/agent/roles';

export interface BareTurns {
  /** Per model turn, in order: the time the loop spent in the tool (the file read), ms. */
  toolMs: number[];
}

class BareClientError extends Error {
  override readonly name = 'BareClientError';
}

type InputItem = OpenAI.Responses.ResponseInputItem;

/** Plays `[script:scriptName]` to its finish call against `baseURL`, reading each file or folder the calls name from `root`. */
export async function runBareClient(baseURL: string, root: string, scriptName: string, maxTurns: number): Promise<BareTurns> {
  const client = new OpenAI({ apiKey: 'sk-bench', baseURL, maxRetries: 0 });
  const coder = BUILT_IN_ROLES.find(r => r.name === 'coder')!;
  const instructions = buildInstructions(coder);
  const tools = toolsFor(coder) as OpenAI.Responses.Tool[];
  const input: InputItem[] = [taskMessage(`[script:${scriptName}] Look around the project.`, 'bench/bare', 'main') as InputItem];
  const toolMs: number[] = [];
  for (let turn = 0; turn < maxTurns; turn++) {
    const stream = await client.responses.create({
      model: 'gpt-5.4', instructions, tools, input, stream: true, store: false, parallel_tool_calls: true,
      prompt_cache_key: 'bench-bare', max_output_tokens: 8_192,
    });
    const calls: OpenAI.Responses.ResponseFunctionToolCall[] = [];
    for await (const event of stream) {
      if (event.type === 'response.output_item.done' && event.item.type === 'function_call') calls.push(event.item);
    }
    if (!calls.length) throw new BareClientError(`turn ${turn + 1} of the bare client got no tool call`);
    const t0 = performance.now();
    const outputs: InputItem[] = [];
    for (const call of calls) {
      if (call.name === 'finish') return { toolMs };
      const args = JSON.parse(call.arguments) as { path: string };
      const output = call.name === 'read_file'
        ? await readFile(path.join(root, args.path), 'utf8')
        : (await readdir(path.join(root, args.path))).join('\n');
      outputs.push({ type: 'function_call_output', call_id: call.call_id, output });
    }
    toolMs.push(performance.now() - t0);
    input.push(...calls.map(c => ({ type: 'function_call', call_id: c.call_id, name: c.name, arguments: c.arguments }) as InputItem), ...outputs);
  }
  throw new BareClientError(`the bare client did not reach the finish call in ${maxTurns} turns`);
}
