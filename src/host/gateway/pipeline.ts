// One model request through the gateway: guard, refusal, policy, budget, rate limits, upstream, meter.
import { randomUUID } from 'node:crypto';
import type { ReserveResult } from '../budgets/budgetKeeper';
import { DEFAULT_MIN_OUTPUT_TOKENS } from '../budgets/fit';
import { routingOf } from './cacheInsight';
import { conversationId, type ChainContexts } from './chainContexts';
import type { GatewayOptions, Metered } from './gateway';
import { meterResponse, presumedRecord, type MeterInput } from './meter';
import { applySessionPolicy, asksForUsage, requestedMaxOutput } from './policy';
import type { RateLimitGate } from './rateLimiter';
import { responseActivity, viewRequest, reserveInputTokens, type Endpoint, type RequestView } from './requestView';
import { apiUrl, errorResponse, passThroughHeaders, shownUrl } from './responses';
import { SseScanner, type StreamOutcome } from './streamMeter';
import { UsageChunkFilter } from './usageChunkFilter';
import { bodyStream, FLEX_IDLE_TIMEOUT_MS, IDLE_TIMEOUT_MS, readText, UpstreamRequestError, type UpstreamClient, type UpstreamReply } from './upstreamClient';
import { sleepUnlessAborted } from '../util/sleep';

/** A wait for the rate limit this long is said in the session's transcript. */
const RATE_WAIT_SAID_MS = 2000;
/** A model server silent this long after a request is said in the session's transcript. */
const SILENCE_SAID_MS = 30_000;

/** What a request needs from the gateway: its options, with the clock, the shared rate-limit gate, its client and what chains carry. */
export type PipelineDeps = Omit<GatewayOptions, 'now'> & { now(): number; rateLimits: RateLimitGate; client: UpstreamClient; chains: ChainContexts };

/**
 * How long a request waits for headroom held by requests in flight before the session pauses over budget:
 * under the 5 minutes an HTTP client (Node's fetch, under the openai SDK) waits for response headers, so
 * an agent hears the pause rather than a connection failure.
 */
export const HELD_WAIT_MS = 4 * 60_000;
/** Between two asks for held headroom (jittered, so a waiting fleet does not ask in step). */
const HELD_RETRY_MS = 1000;

export async function forwardModelRequest(deps: PipelineDeps, m: Metered, endpoint: Endpoint, raw: string, signal?: AbortSignal): Promise<Response> {
  // The wall clock, not deps.now (tests hold that one still): the agent's client counts from here.
  const arrivedAt = Date.now();
  let body: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    body = parsed as Record<string, unknown>;
  } catch {
    return errorResponse(400, 'Switchyard gateway: the request body is not a JSON object.', 'invalid_json');
  }
  const link = m.link;

  const view = viewRequest(endpoint, body);
  await observeTurns(m, view, chainedRequest(endpoint, body), body.previous_response_id);

  const refusal = link.refusal();
  if (refusal) return errorResponse(refusal.status, refusal.message, refusal.code, 'switchyard_refusal');

  const model = view.model || link.model;
  body.model = model;
  const tier = link.tier();
  const wantedOut = Math.min(requestedMaxOutput(endpoint, body) ?? deps.maxOutputTokens(), deps.maxOutputTokens());
  // Taken for good only once a request carrying it is answered: one refused or lost sends it again.
  const nudge = link.pendingNudge();
  const usageAsked = endpoint === 'responses' || asksForUsage(body);
  applySessionPolicy(endpoint, body, { tier, cacheKey: `switchyard-${link.id}`, maxOutputTokens: wantedOut, nudge, isOpenAI: deps.upstream().isOpenAI });

  let text = JSON.stringify(body);
  const lastContext = m.lastUsage ? m.lastUsage.input + m.lastUsage.output : 0;
  const carried = deps.chains.carried(endpoint, body, model, reserveInputTokens(Buffer.byteLength(text)), lastContext);
  // Before the reservation: a request waiting for the rate limit must not hold budget headroom that
  // other sessions' requests need meanwhile.
  // What the provider counts against its token window: the input and the output cap.
  const windowTokens = reserveInputTokens(Buffer.byteLength(text)) + carried.likely + wantedOut;
  const server = deps.upstream();
  await deps.rateLimits.catchUp(server.baseURL, server.apiKey);
  const held = deps.rateLimits.delayMs(Date.now(), windowTokens);
  // A wait the user would notice is said: a session silent for a minute looks hung.
  if (held >= RATE_WAIT_SAID_MS) link.onRateLimitWait(held, deps.rateLimits.reason(Date.now(), windowTokens) ?? 'the provider\'s rate limit');
  await deps.rateLimits.wait(signal, windowTokens);
  // Cancelled while it waited (the run paused or stopped): nothing goes out, and nothing is charged.
  if (signal?.aborted) return errorResponse(499, 'Switchyard gateway: the request was cancelled.', 'cancelled');
  // What the provider's rate-limit headers count: the requests sent before this one.
  const sentAt = Date.now();
  let reservation: ReserveResult;
  try {
    const reserve = () => deps.budgets.reserve(
      { sessionId: link.id, model, estimatedInputTokens: reserveInputTokens(Buffer.byteLength(text)) + carried.bound, maxOutputTokens: wantedOut, minOutputTokens: Math.min(DEFAULT_MIN_OUTPUT_TOKENS, wantedOut) },
      link.caps(),
    );
    reservation = await reserve();
    // The previous response may still hold its worst case while its record is written; near a cap,
    // wait for it (its actual cost is usually far less) before giving up.
    if ((!reservation.ok || reservation.shrunk) && m.pending.size) {
      await Promise.allSettled([...m.pending]);
      if (reservation.ok) await deps.budgets.settle(reservation.reservationId);
      reservation = await reserve();
    }
    // Headroom held for requests in flight (this session's own, or other processes') is not spent: it
    // comes back as they finish, so wait for it rather than pause this session over money nobody has
    // spent yet; counted from the request's arrival (a rate-limit wait may have come first), leaving the
    // model server a minute to start answering before the client's 5 minutes are up.
    const giveUpAt = arrivedAt + HELD_WAIT_MS;
    let said = false;
    while (!reservation.ok && reservation.heldInFlight && Date.now() < giveUpAt && !signal?.aborted) {
      if (!said) link.onBudgetWait(reservation.message, reservation.scope);
      said = true;
      await sleepUnlessAborted(HELD_RETRY_MS * (0.5 + Math.random()), signal);
      if (!signal?.aborted) reservation = await reserve();
    }
  } catch (err) {
    // The budget lock is shared by every session on the machine; when it stays busy, the request is
    // refused as retryable (503) rather than sent unreserved.
    deps.log('warn', `Budget reservation for session ${link.id} failed: ${(err as Error).message}`);
    return errorResponse(503, `Switchyard gateway: the budget could not be checked (${(err as Error).message}); try again.`, 'budget_unavailable', 'server_error');
  }
  if (signal?.aborted) {
    // Released as any unsent request's is: never rejecting, and the meter told.
    if (reservation.ok) {
      await deps.budgets.settle(reservation.reservationId).then(
        () => deps.onBudgetChanged?.(),
        err => deps.log('warn', `Releasing the budget reservation of session ${link.id} failed: ${(err as Error).message}`),
      );
    }
    return errorResponse(499, 'Switchyard gateway: the request was cancelled.', 'cancelled');
  }
  if (!reservation.ok) {
    // Its body is small: what it is held at would puzzle anyone not told why, where that is why.
    const withoutChain = carried.unknown ? deps.budgets.smallestRequestUsd(model, reserveInputTokens(Buffer.byteLength(text)), wantedOut) : null;
    const chainBlamed = withoutChain !== null && reservation.capUsd - reservation.spentUsd - reservation.reservedUsd >= withoutChain;
    const why = [
      reservation.message,
      chainBlamed ? "The request goes on from a response or conversation this process has not seen, which the provider bills in full: up to the model's whole context window is held for it. Resend the context, or allow more." : '',
      // Waited out: the headroom is held, not spent; the cap is not what stopped it.
      reservation.heldInFlight ? `It waited ${HELD_WAIT_MS / 60_000} minutes for that headroom, held for requests in flight but not spent: resume it when the other sessions are done, or raise the cap.` : '',
    ].filter(Boolean).join(' ');
    link.onOverBudget(why, reservation.scope, reservation.heldInFlight ? undefined : reservation.neededUsd);
    deps.onBudgetChanged?.();
    return errorResponse(402, `Switchyard: ${why}`, 'switchyard_budget_exceeded', 'switchyard_refusal');
  }
  if (reservation.unpriced && Object.values(link.caps()).some(cap => cap !== null)) link.onUnpriced(model);
  if (reservation.maxOutputTokens < wantedOut) {
    applySessionPolicy(endpoint, body, { tier, cacheKey: `switchyard-${link.id}`, maxOutputTokens: reservation.maxOutputTokens, isOpenAI: deps.upstream().isOpenAI });
    text = JSON.stringify(body);
  }
  const reservationId = reservation.reservationId;
  // Never rejects: it runs after the record is in the ledger, on paths nobody awaits for errors. A
  // reservation left behind only makes caps stricter until its process exits or it ages out.
  const release = () => deps.budgets.settle(reservationId).then(
    () => {
      if (reservationId) deps.onBudgetChanged?.();
    },
    err => deps.log('warn', `Releasing the budget reservation of session ${link.id} failed: ${(err as Error).message}`),
  );

  const up = deps.upstream();
  const started = deps.now();
  // The server too: another one has none of this one's cache.
  const routing = routingOf({ model, tier, cacheKey: body.prompt_cache_key, server: up.baseURL });
  const expectation = m.cache.expect(view, routing, started);
  m.requests++;
  const requestBytes = Buffer.byteLength(text);
  const basis = { deps, m, endpoint, model, requestedTier: tier, requestBytes, carriedTokens: carried.likely, conversation: conversationId(endpoint, body), maxOutputTokens: reservation.maxOutputTokens, recordId: randomUUID() };
  // Written ahead, before anything can reach the provider: if this process dies before the response is
  // metered, the request is still recorded (as an estimate) by the next process that looks.
  deps.inflight?.begin(presumedRecord(basis));
  // Nothing was spent (refused, unreachable, an error status): the note has nothing to recover.
  const unsent = () => deps.inflight?.end(basis.recordId);
  const meter: Omit<MeterInput, 'requestId'> = { ...basis, view, started, routing, expectation, release };
  let upstream: UpstreamReply;
  try {
    const headers = {
      'content-type': 'application/json',
      accept: view.stream ? 'text/event-stream' : 'application/json',
      ...up.headers,
      ...(up.apiKey ? { authorization: `Bearer ${up.apiKey}` } : {}),
    };
    // Flex may queue a request for long before its first byte.
    const idleMs = tier === 'flex' ? deps.upstreamSilenceMs?.flex ?? FLEX_IDLE_TIMEOUT_MS : deps.upstreamSilenceMs?.other ?? IDLE_TIMEOUT_MS;
    // A session silent for minutes looks hung: a server that has not answered yet is said to be waited for.
    const saidAfter = deps.upstreamSilenceMs?.said ?? SILENCE_SAID_MS;
    const silence = setTimeout(() => link.onUpstreamSilent(saidAfter, idleMs, tier), saidAfter);
    try {
      upstream = await deps.client.request('POST', apiUrl(up.baseURL, endpoint === 'responses' ? 'responses' : 'chat/completions'), headers, text, signal, idleMs);
    } finally {
      clearTimeout(silence);
    }
  } catch (err) {
    const sent = err instanceof UpstreamRequestError && err.afterSending;
    if (sent) {
      // The server had the whole request: it may have spent on it, so it is charged as a cut stream is,
      // from an estimate (and the reservation is released with that record).
      track(m, meterResponse(meter, { completed: false, deltaChars: 0 }));
    } else {
      unsent();
      await release();
    }
    if (signal?.aborted) return errorResponse(499, 'Switchyard gateway: the request was cancelled.', 'cancelled');
    if (sent) {
      return errorResponse(502, `Switchyard gateway: the model server at ${shownUrl(up.baseURL)} failed after the request was sent (${(err as Error).message}); it is charged as an estimate.`, 'upstream_failed', 'server_error');
    }
    return errorResponse(502, `Switchyard gateway: the model server at ${shownUrl(up.baseURL)} cannot be reached (${(err as Error).message}).`, 'upstream_unreachable', 'server_error');
  }
  deps.rateLimits.observe(upstream.headers, upstream.status, Date.now(), sentAt);
  const headers = passThroughHeaders(upstream.headers);
  if (upstream.status < 200 || upstream.status > 299) {
    // Errors pass back faithfully; nothing was spent, so the reservation is released.
    const errText = await readText(upstream.body).catch(() => '');
    unsent();
    await release();
    if (upstream.status === 401 && !up.apiKey) {
      // Not a key refused: none was sent. Said as a refusal, so the session pauses until one is set.
      return errorResponse(401, 'Switchyard: the model server asks for an API key, and none is set. Set one with "Switchyard: Set API Key" (OPENAI_API_KEY for the CLI), then resume.', 'switchyard_no_api_key', 'switchyard_refusal');
    }
    return new Response(errText, { status: upstream.status, headers });
  }

  const metered: MeterInput = { ...meter, requestId: upstream.headers.get('x-request-id') ?? undefined };
  // The nudge is taken as said only once the model has answered it whole: a response cut off (a pause, a
  // dropped connection) is sent again without it otherwise, and the agent was never warned.
  const answered = (completed: boolean) => {
    if (nudge && completed) link.nudgeDelivered(nudge);
  };
  const notApi = notAnApiAnswer(upstream.headers.get('content-type'), view.stream);
  if (notApi) {
    const page = await readText(upstream.body).catch(() => '');
    const server = `the model server at ${shownUrl(up.baseURL)}`;
    if (notApi.startsWith('JSON')) {
      // An event stream labelled as JSON is still a stream: passed on whole, metered as any.
      if (/^\s*(data|event|id|retry)?:/.test(page)) {
        const scanner = new SseScanner(endpoint);
        scanner.push(Buffer.from(page));
        scanner.end();
        track(m, meterResponse(metered, scanner.outcome));
        answered(scanner.outcome.completed);
        return new Response(page, { status: upstream.status, headers });
      }
      const whole = parseJson(endpoint, page);
      // A server that ignores `stream: true` answered in full: a model ran, and is paid for.
      if (whole.completed && whole.usage) {
        track(m, meterResponse(metered, whole));
        return errorResponse(502, `Switchyard gateway: ${server} answered with one whole JSON response where an event stream was asked for (it does not stream?); the response is charged. Switch the model server's streaming on, or use one that streams.`, 'upstream_not_an_api', 'server_error');
      }
      unsent();
      await release();
      const said = serverError(page);
      // Some local servers answer a path they do not serve with 200 and an error (a client in `api: auto`
      // then speaks Chat Completions to it): its own code keeps it apart from a page where the API should be.
      if (said) return errorResponse(502, `Switchyard gateway: ${server} answered ${upstream.status} with an error: ${said}`, 'upstream_error_as_success', 'server_error');
    } else {
      unsent();
      await release();
    }
    // A web page or another app where the API should be (a login portal, a base URL missing its /v1): no
    // model answered, so nothing is charged, and retrying would only ask it again.
    return errorResponse(502, `Switchyard gateway: ${server} answered ${upstream.status} with ${notApi}, not the API's ${view.stream ? 'event stream' : 'JSON'}${pageGist(page)}. Check the base URL: it should be the API's address, usually ending in /v1.`, 'upstream_not_an_api', 'server_error');
  }
  if (!view.stream) {
    let json: string;
    try {
      json = await readText(upstream.body);
    } catch (err) {
      // Cut short: metered as an estimate, as a cut stream is, and the reservation released with it.
      track(m, meterResponse(metered, parseJson(endpoint, '')));
      throw err;
    }
    const whole = parseJson(endpoint, json);
    track(m, meterResponse(metered, whole));
    answered(whole.completed);
    return new Response(json, { status: upstream.status, headers });
  }
  const scanner = new SseScanner(endpoint);
  const filter = usageAsked ? undefined : new UsageChunkFilter();
  let done = false;
  // Until its body ends, the response counts as under way: a run's end (drain) waits for its metering.
  let streamed!: () => void;
  const streaming = new Promise<void>(resolve => (streamed = resolve));
  m.forwarding.add(streaming);
  // `whole`: the body came to its end (a server may end a stream without the final event).
  const finish = (whole = false) => {
    if (done) return;
    done = true;
    track(m, meterResponse(metered, scanner.outcome));
    answered(scanner.outcome.completed || whole);
    m.forwarding.delete(streaming);
    streamed();
  };
  const stream = bodyStream(upstream.body, {
    chunk(value) {
      scanner.push(value);
      // Meter as soon as the final event is seen, before the agent reads it: the usage then lands in
      // the transcript ahead of whatever the agent does next, the same way every time.
      if (scanner.outcome.completed) finish();
      return filter?.push(value);
    },
    tail: () => filter?.end(),
    settle(whole) {
      if (whole) scanner.end();
      finish(whole);
    },
  });
  return new Response(stream, { status: upstream.status, headers });
}

/**
 * What a successful answer is when it cannot be the API's (a web page; JSON where a stream was asked for),
 * in words, or null. A missing or unusual content type is let through: some compatible servers label
 * their streams loosely.
 */
export function notAnApiAnswer(contentType: string | null, stream: boolean): string | null {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (/html/.test(type)) return `a web page (${type})`;
  if (/xml/.test(type)) return `XML (${type})`;
  if (stream && /json/.test(type)) return `JSON (${type})`;
  return null;
}

/** The message of an OpenAI-style error body (`{"error": {"message"}}` or `{"error": "…"}`), if it is one. */
function serverError(text: string): string | undefined {
  try {
    const e = (JSON.parse(text) as { error?: unknown }).error;
    const message = typeof e === 'string' ? e : typeof e === 'object' && e !== null ? (e as { message?: unknown }).message : undefined;
    return typeof message === 'string' && message.trim() ? message.trim().slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}

/** The start of a page's title or text, as plain words. */
function pageGist(page: string): string {
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(page)?.[1];
  const text = (title ?? page.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim().slice(0, 120);
  return text ? `: "${text}"` : '';
}

function track(m: Metered, p: Promise<void>): void {
  m.pending.add(p);
  // meterResponse handles its own errors; the catch keeps a surprise from becoming an unhandled rejection.
  void p.catch(() => undefined).finally(() => m.pending.delete(p));
}

function parseJson(endpoint: Endpoint, text: string): StreamOutcome {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    return {
      usage: v.usage as Record<string, unknown> | undefined,
      servedTier: typeof v.service_tier === 'string' ? v.service_tier : undefined,
      responseId: typeof v.id === 'string' ? v.id : undefined,
      completed: v.usage !== undefined,
      deltaChars: text.length,
      cacheDiagnostics: v.prompt_cache_diagnostics,
      output: responseActivity(endpoint, v),
    };
  } catch {
    return { completed: false, deltaChars: text.length };
  }
}

/** A Responses request that goes on from a response the server keeps, sending only what is new. */
function chainedRequest(endpoint: Endpoint, body: Record<string, unknown>): boolean {
  return endpoint === 'responses' && ((typeof body.previous_response_id === 'string' && body.previous_response_id !== '') || (body.conversation !== undefined && body.conversation !== null));
}

/** New activity since the last request becomes guard turns; decisions go to the session. */
async function observeTurns(m: Metered, view: RequestView, chained: boolean, previousId: unknown): Promise<void> {
  // A chained request holds only what is new (the calls' outputs); the calls are the last response's,
  // which the gateway kept, when it goes on from that response (another chain of the same session, going
  // on from another one, is not paired with it). Together they are the turn. The next request that resends
  // it all starts a new baseline, as after a restart.
  if (chained) {
    m.feed.restart();
    const pairs = m.openTurn !== undefined && (typeof previousId !== 'string' || m.openTurnId === undefined || previousId === m.openTurnId);
    if (!pairs) {
      m.openTurn = undefined;
      return;
    }
  }
  const taken = chained ? [[...m.openTurn!, ...view.activity]] : m.feed.take(view.activity);
  // A response with no output at all (cut off at the output limit while it reasoned) was paid for all the
  // same: it is a turn, and one without progress. (A response whose output the next request leaves out, as
  // an agent that sends each request on its own does, is not judged: its turns cannot be told.)
  const turns = taken?.length === 0 && m.openTurn?.length === 0 && !m.openTurnUnread ? [m.openTurn] : taken ?? [];
  if (!turns.length) return;
  m.openTurn = undefined;
  const fp = await m.link.fingerprint().catch(() => undefined);
  turns.forEach((items, i) => {
    const last = i === turns.length - 1;
    const trace = m.feed.toTrace(items, last ? m.lastUsage : undefined, last && fp ? fp.changed : [], last ? fp?.hash : undefined, m.link.tier());
    m.link.recordTurn(trace);
    m.link.onGuard(m.guard.observe(trace));
  });
}
