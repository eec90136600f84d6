// One model request, from the parsed body to the last byte: script, faults, rate limits, tier,
// prompt cache, output budget, then the answer as a stream or a JSON body.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { parseChatRequest, renderChat } from './chatApi';
import type { FaultBook } from './faults';
import { cacheNamespace, type PromptCache } from './promptCache';
import type { RateLimiter } from './rateLimit';
import { parseResponsesRequest, type ResponseStore } from './responsesRequest';
import { renderResponse } from './responsesStream';
import { chooseScript, DEFAULT_SCRIPT, pickStep, planTurn, renderStep, type Conversation, type TurnOutcome } from './script';
import { pause, streamEvents, write, type WireEvent } from './sse';
import { tokenizePrompt } from './tokens';
import type { Fault, RecordedRequest, Script, UpstreamOptions } from './types';
import { defaultFaultBody, errorBody, invalidRequest, UpstreamHttpError, type JsonObject } from './wire';

export interface TurnEnv {
  options(): UpstreamOptions;
  script(name: string): Script | undefined;
  scriptNames(): string[];
  faults: FaultBook;
  cache: PromptCache;
  limiter: RateLimiter;
  responses: ResponseStore;
  now(): number;
}

export interface TurnRequest {
  record: RecordedRequest;
  res: ServerResponse;
  /** Aborts when the client goes away or the server closes. */
  signal: AbortSignal;
}

interface ModelCall {
  body: JsonObject;
  model: string;
  stream: boolean;
  promptParts: unknown[];
  maxOutputTokens: number | undefined;
  conversation: Conversation;
  render(outcome: TurnOutcome): RenderedTurn;
}

interface RenderedTurn {
  events: WireEvent[];
  final: JsonObject;
  errorEvent(afterEvents: number): WireEvent;
}

export function serveResponses(env: TurnEnv, req: TurnRequest, body: JsonObject): Promise<void> {
  const parsed = parseResponsesRequest(body, env.responses);
  return serveTurn(env, req, {
    ...parsed,
    render: outcome => {
      const rendered = renderResponse(parsed, outcome);
      if (parsed.store) env.responses.save(String(rendered.final.id), [...parsed.items, ...rendered.output], rendered.final);
      return rendered;
    },
  });
}

export function serveChat(env: TurnEnv, req: TurnRequest, body: JsonObject): Promise<void> {
  const parsed = parseChatRequest(body);
  return serveTurn(env, req, { ...parsed, render: outcome => renderChat(parsed, outcome) });
}

const SERVICE_TIERS = ['auto', 'default', 'flex', 'scale', 'priority', 'fast', 'ultrafast'];

/** The tier a request is served at. "fast" is the newer name of priority; scale and ultrafast need access this org lacks. */
export function servedTierFor(requested: string | undefined): string {
  if (requested === 'priority' || requested === 'fast') return 'priority';
  if (requested === 'flex') return 'flex';
  return 'default';
}

async function serveTurn(env: TurnEnv, req: TurnRequest, call: ModelCall): Promise<void> {
  const { record, res, signal } = req;
  const options = env.options();
  const requestedTier = call.body.service_tier;
  if (requestedTier !== undefined && requestedTier !== null && (typeof requestedTier !== 'string' || !SERVICE_TIERS.includes(requestedTier))) {
    throw invalidRequest(`Invalid value: '${String(requestedTier)}'. Supported values are: ${SERVICE_TIERS.map(t => `'${t}'`).join(', ')}.`,
      'service_tier', 'invalid_value');
  }
  const choice = chooseScript(call.conversation);
  record.script = choice.name;
  const script = env.script(choice.name) ?? (choice.name === DEFAULT_SCRIPT ? { steps: [] } : undefined);
  if (!script) {
    throw invalidRequest(`test upstream: no script named '${choice.name}' (known: ${env.scriptNames().join(', ') || 'none'}).`);
  }

  const fault = env.faults.take({ path: record.path, n: record.n, script: choice.name });
  const prompt = tokenizePrompt(call.promptParts);
  const limit = env.limiter.take(prompt.tokens + (call.maxOutputTokens ?? 0));
  for (const [name, value] of Object.entries(limit.headers)) res.setHeader(name, value);
  if (fault) record.fault = true;
  if (fault?.delayMs && !(await pause(fault.delayMs, signal))) return;
  if (fault?.status !== undefined) {
    throw new UpstreamHttpError(fault.status, fault.body ?? defaultFaultBody(fault.status),
      fault.retryAfterSec !== undefined ? { 'retry-after': String(fault.retryAfterSec) } : {});
  }
  if (limit.exceeded) {
    const kind = limit.exceeded;
    throw new UpstreamHttpError(429, errorBody(
      `Rate limit reached for ${call.model} on ${kind} per min (${kind === 'requests' ? 'RPM' : 'TPM'}): `
        + `Limit ${limit.headers[`x-ratelimit-limit-${kind}`]}. Please try again in ${limit.retryAfterSec}s.`, kind, null, 'rate_limit_exceeded'),
      { 'retry-after': String(limit.retryAfterSec) });
  }

  const servedTier = options.servedTier ?? servedTierFor(typeof requestedTier === 'string' ? requestedTier : undefined);
  const promptCacheKey = typeof call.body.prompt_cache_key === 'string' ? call.body.prompt_cache_key : undefined;
  const cached = env.cache.lookupAndStore(cacheNamespace(call.model, servedTier, promptCacheKey, prompt.routingHash), prompt);

  const { step, index } = pickStep(script, call.conversation.priorTurns);
  const rendered = renderStep(step, { task: choice.task, turn: call.conversation.priorTurns + 1, n: record.n });
  const plan = planTurn(rendered, call.maxOutputTokens);
  const usage = { input: prompt.tokens, cached, output: plan.outputTokens, reasoning: plan.reasoningTokens };
  Object.assign(record, { step: index, usage, servedTier, ...(plan.truncated ? { incomplete: true } : {}) });
  const out = call.render({ plan, usage, servedTier, tag: randomBytes(8).toString('hex'), createdAt: env.now() });

  await answer(req, out, fault, fault?.eventDelayMs ?? options.eventDelayMs ?? 0, call.stream);
}

/** Writes the turn as a stream or as one JSON body, applying the fault's cut or error if any. */
async function answer(req: TurnRequest, out: RenderedTurn, fault: Fault | undefined, eventDelayMs: number, stream: boolean): Promise<void> {
  const { record, res, signal } = req;
  if (stream) {
    record.status = 200;
    const end = await streamEvents(res, out.events, {
      eventDelayMs,
      ...(fault?.cutAfterEvents !== undefined ? { cutAfterEvents: fault.cutAfterEvents } : {}),
      ...(fault?.errorAfterEvents !== undefined ? { errorAfterEvents: fault.errorAfterEvents } : {}),
      errorEvent: out.errorEvent,
    }, signal);
    if (end === 'cut' || end === 'client-closed') record.cut = true;
    return;
  }
  // Without streaming the whole turn is generated before the first byte: the same time, paid up front.
  if (!(await pause(eventDelayMs * Math.max(0, out.events.length - 1), signal))) {
    record.cut = true;
    return;
  }
  if (fault?.errorAfterEvents !== undefined) throw new UpstreamHttpError(500, defaultFaultBody(500));
  const json = JSON.stringify(out.final);
  record.status = 200;
  res.writeHead(200, { 'content-type': 'application/json' });
  if (fault?.cutAfterEvents !== undefined) {
    await write(res, json.slice(0, Math.floor(json.length / 2)), signal);
    res.destroy();
    record.cut = true;
    return;
  }
  res.end(json);
}
