// The floor. The `openai` SDK alone plays the same conversations as the fleet's sessions
// (same instructions, tools and scripted turns, so the upstream streams exactly the same events), N at
// once, iterating each stream and doing nothing else. Its CPU per event is what parsing costs at least.
import { performance } from 'node:perf_hooks';
import OpenAI from 'openai';
import { buildInstructions, toolsFor } from '../../src/host/agent/prompt';
import { BUILT_IN_ROLES } from '../../src/host/agent/roles';
import type { RunConfig, SdkRunFigures } from './protocol';
import { collectGarbage, cpuSince, RssSampler } from './sampler';
import { FLEET_TURNS, fleetTask, WARMUP_SCRIPT } from './script';

/** `events` says how many events the upstream has streamed so far (to every client). */
export async function sdkRun(c: RunConfig, events: () => Promise<number>): Promise<SdkRunFigures> {
  const client = new OpenAI({ apiKey: 'sk-bench-floor', baseURL: c.upstreamUrl, maxRetries: 0 });
  if (c.warmup) await playAll(client, WARMUP_SCRIPT, c.warmup);
  collectGarbage();
  const rss = new RssSampler();
  const events0 = await events();
  rss.start();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await withTimeout(playAll(client, c.script, c.sessions), c.timeoutMs, `the SDK floor's ${c.sessions} conversations`);
  const cpuUs = cpuSince(cpu0);
  const seconds = (performance.now() - t0) / 1000;
  const rssPeakMb = rss.stop();
  const streamed = (await events()) - events0;
  return { kind: 'sdk', streams: c.sessions * FLEET_TURNS, events: streamed, seconds, cpuUs, rssPeakMb };
}

async function playAll(client: OpenAI, script: string, count: number): Promise<void> {
  const started = performance.now();
  await Promise.all(Array.from({ length: count }, (_, i) => play(client, script, i + 1)));
  console.error(`[fleet] SDK floor ${script}: ${count} conversations in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

const ROLE = BUILT_IN_ROLES[0]!;
const INSTRUCTIONS = buildInstructions(ROLE);
const TOOLS = toolsFor(ROLE) as OpenAI.Responses.Tool[];

/** One conversation of FLEET_TURNS streamed turns, answering each call with a short tool output. */
async function play(client: OpenAI, script: string, index: number): Promise<void> {
  const input: OpenAI.Responses.ResponseInputItem[] = [{ type: 'message', role: 'user', content: fleetTask(script, index) }];
  for (let turn = 0; turn < FLEET_TURNS; turn++) {
    const stream = await client.responses.create({
      model: 'gpt-5.4',
      instructions: INSTRUCTIONS,
      tools: TOOLS,
      input,
      stream: true,
      store: false,
      prompt_cache_key: `floor-${script}-${index}`,
      max_output_tokens: 8192,
    });
    let final: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      if (event.type === 'response.completed') final = event.response;
    }
    if (!final) throw new Error(`SDK floor: conversation ${index} turn ${turn + 1} ended without response.completed`);
    for (const item of final.output) {
      input.push(item as OpenAI.Responses.ResponseInputItem);
      if (item.type === 'function_call') input.push({ type: 'function_call_output', call_id: item.call_id, output: 'ok' });
    }
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not finish in ${ms} ms`)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}
