// The prompt cache on a scripted 40-turn session: the share of input served from cache by Switchyard's
// cache-first prompts, next to the theoretical maximum for that conversation and to a naive prompt
// builder (a timestamp and re-rendered environment details in the instructions), run through the same
// agent loop, gateway and ledger against the test upstream's implementation of the provider's rule.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runAgentLoop } from '../src/host/agent/agentLoop';
import { Conversation } from '../src/host/agent/conversation';
import { ModelClient } from '../src/host/agent/modelClient';
import { buildInstructions, taskMessage, toolDefsFor, toolsFor } from '../src/host/agent/prompt';
import { BUILT_IN_ROLES } from '../src/host/agent/roles';
import { localRunner } from '../src/host/agent/tools/localRunner';
import { DEFAULT_TOOL_LIMITS } from '../src/host/agent/tools/types';
import { cacheableTokens } from '../src/host/gateway/cacheInsight';
import { startTestUpstream, type RecordedRequest, type Script } from '../test/upstream/server';
import { makeTempRepo, newGatewayFor } from './support';
import { atLeast, type BenchResult } from './types';

const TURNS = 40;
// gpt-5.5 standard, USD per million tokens (API-FACTS.md).
const PRICE = { input: 5, cached: 0.5, output: 30 };

function script(files: string[]): Script {
  const steps: Script['steps'] = [];
  for (let i = 0; i < TURNS - 1; i++) {
    const f = files[i % files.length];
    if (i % 4 === 0) steps.push({ text: `Looking at ${f} next.`, calls: [{ name: 'read_file', arguments: { path: f } }] });
    else if (i % 4 === 1) steps.push({ calls: [{ name: 'search', arguments: { query: 'export function' } }] });
    else if (i % 4 === 2) steps.push({ calls: [{ name: 'write_file', arguments: { path: `notes/turn-${i}.md`, content: `Findings after turn ${i}:\n${'- the handler validates input before writing\n'.repeat(12)}` } }] });
    else steps.push({ calls: [{ name: 'run_command', arguments: { command: `wc -l ${f} && head -c 1500 ${f}` } }] });
  }
  steps.push({ calls: [{ name: 'finish', arguments: { summary: 'reviewed the modules' } }] });
  return { steps };
}

/** A project whose files give tool outputs of realistic size (2-6 KB). */
function project(root: string): string[] {
  const files: string[] = [];
  mkdirSync(path.join(root, 'src'), { recursive: true });
  for (let i = 0; i < 12; i++) {
    const f = `src/module${i}.ts`;
    const body = Array.from({ length: 40 + i * 8 }, (_, k) => `export function handler${i}_${k}(input: string): string {\n  return input.trim() + '${k}';\n}`).join('\n');
    writeFileSync(path.join(root, f), body);
    files.push(f);
  }
  return files;
}

async function runVariant(naive: boolean): Promise<RecordedRequest[]> {
  const repo = makeTempRepo(project);
  const up = await startTestUpstream({ scripts: { bench: script(repo.files) } });
  const { gateway, link, close } = await newGatewayFor(up.url, 'gpt-5.5');
  try {
    const token = gateway.register(link);
    const role = BUILT_IN_ROLES[0];
    const conversation = await Conversation.open(path.join(repo.state, 'conversation.jsonl'));
    await conversation.append(taskMessage('[script:bench] Review the modules and write notes.', 'switchyard/bench', 'main'));
    const base = buildInstructions(role);
    const started = Date.now();
    // What a naive builder does: render the time and the environment into the instructions each turn.
    const naiveInstructions = (turn: number) =>
      `Current time: ${new Date(started + turn * 7000).toISOString()}\nWorking directory: ${repo.dir}\nTurn: ${turn}\nOpen files: ${repo.files.slice(0, turn % 5 + 1).join(', ')}\n\n${base}`;
    const outcome = await runAgentLoop({
      model: new ModelClient({ baseURL: 'http://switchyard-gateway.invalid/v1', apiKey: token, headers: {}, api: 'responses', fetch: gateway.fetch as typeof fetch }),
      modelName: 'gpt-5.5',
      instructions: naive ? naiveInstructions : base,
      tools: toolsFor(role),
      toolDefs: toolDefsFor(role),
      conversation,
      toolContext: { worktree: repo.dir, tempDir: repo.state, signal: new AbortController().signal, approval: 'auto', requestApproval: async () => true, runCommand: localRunner, limits: DEFAULT_TOOL_LIMITS },
      maxTurns: TURNS + 2,
      maxOutputTokens: 4096,
      cacheKey: 'switchyard-bench',
      signal: new AbortController().signal,
      emit: () => {},
      onTurn: () => {},
      takeNotes: () => [],
      compactAtTokens: 10_000_000,
      onCompacted: () => {},
    });
    if (outcome.kind !== 'finished') throw new Error(`the benchmark session ended ${outcome.kind}`);
    await gateway.drain(link.id);
    return up.requests.filter(r => r.usage);
  } finally {
    await close();
    await up.close();
    repo.remove();
  }
}

function dollars(input: number, cached: number, output: number): number {
  return ((input - cached) * PRICE.input + cached * PRICE.cached + output * PRICE.output) / 1e6;
}

export default async function cache(): Promise<BenchResult> {
  const first = await runVariant(false);
  const naive = await runVariant(true);
  const sum = (rs: RecordedRequest[], k: 'input' | 'cached' | 'output') => rs.reduce((n, r) => n + (r.usage?.[k] ?? 0), 0);
  const input = sum(first, 'input');
  const cached = sum(first, 'cached');
  const output = sum(first, 'output');
  // Everything but the newly appended items: the previous request's whole prompt, under the provider's rule.
  const ideal = first.reduce((n, r, i) => n + (i === 0 ? 0 : cacheableTokens(Math.min(first[i - 1].usage!.input, r.usage!.input))), 0);
  const naiveInput = sum(naive, 'input');
  const naiveCached = sum(naive, 'cached');
  const share = cached / input;
  const idealShare = ideal / input;
  const ofIdeal = cached / ideal;
  const rows = [
    ['Switchyard (cache-first)', input, cached, share, dollars(input, cached, output)],
    ['theoretical maximum', input, ideal, idealShare, dollars(input, ideal, output)],
    ['naive builder (timestamp + environment in the instructions)', naiveInput, naiveCached, naiveCached / naiveInput, dollars(naiveInput, naiveCached, sum(naive, 'output'))],
  ] as const;
  const table = [
    '| prompt builder | input tokens | cached | cached share | cost at gpt-5.5 standard |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows.map(([n, i, c, s, d]) => `| ${n} | ${i.toLocaleString('en-US')} | ${c.toLocaleString('en-US')} | ${(s * 100).toFixed(1)}% | $${d.toFixed(4)} |`),
  ].join('\n');
  return {
    title: 'Prompt cache: a 40-turn session',
    method:
      `A scripted ${TURNS}-turn session (reads of 2-6 KB files, searches, writes, commands) runs through the real agent loop, ` +
      'gateway and ledger against the test upstream, which applies the provider\'s documented rule (exact prefix, ' +
      '1024-token minimum, 128-token steps, per cache key). The theoretical maximum caches, for every request, the whole ' +
      'previous prompt (everything but the newly appended items). The naive builder renders the time and environment ' +
      'details into the instructions each turn, through the same loop. Token counts are the upstream\'s; deterministic.',
    figures: [
      { name: 'cached share (Switchyard)', value: share * 100, unit: '%' },
      { name: 'cached share (theoretical maximum)', value: idealShare * 100, unit: '%' },
      { name: 'Switchyard as a share of the maximum', value: ofIdeal * 100, unit: '%', ...atLeast(ofIdeal * 100, 97, '%') },
      { name: 'cached share (naive builder)', value: (naiveCached / naiveInput) * 100, unit: '%' },
      { name: 'cost ratio naive / Switchyard', value: rows[2][4] / rows[0][4], unit: '×' },
    ],
    extra: table,
  };
}
