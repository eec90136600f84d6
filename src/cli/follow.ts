// Following one session in this process until it settles (run, resume): its progress on stderr, its end
// on stdout (a line, or one JSON object), and the exit status of the contract. Ctrl-C pauses it.
import { FINISHED_UNCHANGED } from '../protocol/sessions';
import type { TranscriptEvent } from '../protocol/records';
import { ACTIVE_STATUSES, type ServedTier, type SessionInfo, type Tier } from '../protocol/types';
import type { Engine } from '../host/engine';
import { CapReachedError, InterruptedError } from '../host/errors';
import { onEndSignals, type EndSignal } from './endSignals';
import { costCell, estimateLegend } from './reportTable';

export interface FollowOptions {
  json: boolean;
  quiet: boolean;
  /** A new session: its warnings from before it was followed (a checkout with uncommitted changes) are shown too. */
  fresh?: boolean;
}

type Out = (s: string) => void;

/** Exit statuses of the contract: 0 done, 1 failed or stopped, 3 paused (over budget, stuck or waiting). */
export function exitStatusOf(s: SessionInfo): number {
  if (s.status === 'done' || s.status === 'merged') return 0;
  // Stopped by the user in VS Code while this process ran it: the task did not finish.
  if (s.status === 'failed' || s.status === 'stopped' || s.status === 'discarded') return 1;
  return 3;
}

/** Starts the session with `start` (a create or a resume), follows it to its end, and shuts the engine down. */
export async function followSession(engine: Engine, start: () => Promise<SessionInfo>, o: FollowOptions, out: Out, err: Out): Promise<number> {
  let stopping = false;
  /** The session has settled: a signal now does not pause it. */
  let ended = false;
  /** Its end is printed, with this exit status: a second signal exits with it rather than 130. */
  let reported: number | undefined;
  let session: SessionInfo | undefined;
  let why: string | undefined;
  const pause = (s: SessionInfo) => {
    // Settled meanwhile (done, failed): there is nothing to pause, and saying so would be wrong.
    const status = engine.sessions.find(s.id)?.record.status;
    if (status && !ACTIVE_STATUSES.includes(status)) return;
    err(`Interrupted: pausing the session (\`switchyard resume ${s.id}\` goes on with it; VS Code can too).`);
    void engine.sessions.pause(s.id, why);
  };
  const onSignal = (signal: EndSignal) => {
    if (stopping) process.exit(reported ?? 130);
    stopping = true;
    if (ended) return;
    if (signal === 'SIGTERM') why = 'Paused: the run was told to end (SIGTERM).';
    if (signal === 'SIGHUP') why = "Paused: the run's terminal was closed (SIGHUP).";
    // Still being made (its worktree and branch exist before its record does): exiting now would leave
    // them to no session. It is paused as soon as it is there; a second Ctrl-C exits all the same.
    if (!session) err('Interrupted: the session is paused as soon as it has started (Ctrl-C again to exit now).');
    else pause(session);
  };
  const offSignals = onEndSignals(onSignal);
  try {
    const began = new Date().toISOString();
    session = await start().catch((e: unknown) => {
      // A terminal's Ctrl-C also reaches what a new session's start runs in this process's group (the
      // sandbox's probe and its bridges), which then fail for it: what stopped the start is the interrupt,
      // not a fault to fix (the sandbox's is refused as a bad request), and a start that fails undoes what it
      // made. A cap reached is said as it is.
      if (stopping && o.fresh && !(e instanceof InterruptedError) && !(e instanceof CapReachedError)) {
        throw new InterruptedError('Stopped while the session was being made, before anything was made or changed.', { cause: e });
      }
      throw e;
    });
    if (stopping) pause(session);
    if (!o.quiet) {
      err(`Session ${session.id} on ${session.branch} (worktree ${session.worktree})`);
      // What starting it said (a warning about the checkout, more turns allowed) came before the listener.
      const print = eventPrinter(err);
      for (const e of (await engine.sessions.transcript(session.id, 0)).events) if (e.kind === 'notice' && (o.fresh || e.ts >= began)) print(e);
      engine.sessions.watch(session.id, true);
      engine.sessions.find(session.id)?.transcript.setListener((_from, events) => events.forEach(print));
    }
    const final = await engine.sessions.waitUntilSettled(session.id);
    ended = true;
    await engine.gateway.drain(final.id);
    const settled = engine.sessions.info(engine.sessions.get(final.id));
    const elsewhere = servedElsewhere((await engine.sessions.transcript(final.id, 0)).events, (model, tier) => engine.spend.isPricedAt(model, tier));
    if (o.json) {
      out(JSON.stringify({
        id: settled.id,
        status: settled.status,
        branch: settled.branch,
        worktree: settled.worktree,
        usage: { input: settled.usage.input, cached: settled.usage.cached, output: settled.usage.output, reasoning: settled.usage.reasoning, requests: settled.usage.requests },
        costUsd: settled.costUsd,
        // Requests of a model without a price are in usage but not in costUsd: never shown as free.
        ...(settled.unpricedRequests ? { unpricedRequests: settled.unpricedRequests } : {}),
        // Usage that never came or could not be read, or a tier without a price: costUsd holds estimates.
        ...(settled.estimatedRequests ? { estimatedRequests: settled.estimatedRequests } : {}),
        tier: settled.tier,
        // The provider may serve another tier than asked, and cost follows the one served.
        ...(elsewhere.requests ? { servedAtOtherTier: elsewhere.byTier } : {}),
        ...(settled.statusReason ? { reason: settled.statusReason } : {}),
        // For a script's next step: which cap to raise, or that the turns ran out.
        ...(settled.statusCause ? { cause: settled.statusCause } : {}),
      }));
    } else {
      out(`${settled.status}: ${settled.title} (${settled.branch})`);
      if (settled.statusReason) out(`  ${settled.statusReason}`);
      if (settled.summary) out(settled.summary.trim().split('\n').map(l => `  | ${l}`).join('\n'));
      const unpriced = settled.unpricedRequests && settled.unpricedRequests < settled.usage.requests ? ` (+ ${settled.unpricedRequests} unpriced ${settled.unpricedRequests === 1 ? 'request' : 'requests'})` : '';
      out(`  ${settled.usage.requests} requests, ${settled.usage.input} input (${settled.usage.cached} cached), ${settled.usage.output} output tokens, ${costCell({ ...settled, requests: settled.usage.requests })}${unpriced} on ${settled.tier}`);
      if (settled.estimatedRequests) out(`  ${estimateLegend(settled.estimatedRequests)}`);
      if (elsewhere.requests) {
        const tiers = Object.entries(elsewhere.byTier).map(([tier, n]) => `${n} ${tier === 'unpricedTier' ? 'at a tier without a price here' : tier}`).join(', ');
        out(`  ${elsewhere.requests} of ${settled.usage.requests} requests served at another tier than asked (${tiers}); cost follows the tier served`);
      }
      const next = nextStep(settled);
      if (next) out(`  next: ${next}`);
    }
    reported = exitStatusOf(settled);
    return reported;
  } finally {
    // Kept until the engine is down: a signal meanwhile would otherwise end the process by Node's default,
    // with its exit status, not the session's.
    try {
      await engine.shutdown();
    } finally {
      offSignals();
    }
  }
}

/**
 * Requests a response says were served at another tier than they asked for, by the tier served; one served
 * at a tier without a price here (whose name the record does not keep) under `unpricedTier`.
 */
export function servedElsewhere(events: readonly TranscriptEvent[], pricedAt: (model: string, tier: Tier) => boolean): { requests: number; byTier: Partial<Record<Exclude<ServedTier, 'unknown'> | 'unpricedTier', number>> } {
  const byTier: Partial<Record<Exclude<ServedTier, 'unknown'> | 'unpricedTier', number>> = {};
  let requests = 0;
  for (const e of events) {
    if (e.kind !== 'usage') continue;
    // A tier not known here is said by the record only as unknown, with its cost bound (meter.ts); so is none
    // named when the tier asked has no price, which is not said to be another.
    const r = e.record;
    const served = r.costBound && r.servedTier === 'unknown' && pricedAt(r.model, r.requestedTier) ? 'unpricedTier' : r.servedTier;
    if (served === 'unknown' || served === e.record.requestedTier) continue;
    byTier[served] = (byTier[served] ?? 0) + 1;
    requests++;
  }
  return { requests, byTier };
}

/**
 * A cap already spent when a run would start (`run`: no session is made; `resume`: the session is left as it
 * is): the run ends as one that reached the cap mid-run does (exit 3), its --json object that one's without
 * the fields of a session.
 */
export function capReachedAtStart(e: CapReachedError, json: boolean, out: Out, err: Out, command: 'run' | 'resume' = 'run'): number {
  if (json) out(JSON.stringify({ status: 'over-budget', reason: e.message, cause: e.statusCause }));
  else err(`switchyard ${command}: ${e.message}`);
  return 3;
}

/** What the user can do with a session that ended this way, as the command to type. */
export function nextStep(s: SessionInfo): string | undefined {
  const resume = `switchyard resume ${s.id}`;
  switch (s.status) {
    case 'done':
      return s.statusReason === FINISHED_UNCHANGED
        ? `nothing to merge; \`switchyard discard ${s.id} --delete-branch\` removes its worktree and branch`
        : `review the worktree, then \`switchyard merge ${s.id}\` (or \`switchyard discard ${s.id}\`)`;
    case 'paused': return `\`${resume}\``;
    case 'stuck': return `\`${resume} --hint "what to do differently"\``;
    case 'over-budget': {
      if (s.statusCause === 'session-budget') return `\`${resume} --budget USD\` with a larger budget`;
      const cap = s.statusCause === 'month-budget' ? 'monthUsd' : s.statusCause === 'day-budget' ? 'dayUsd' : undefined;
      return cap
        ? `raise the ${cap === 'dayUsd' ? 'daily' : 'monthly'} cap (switchyard.budget.${cap} in VS Code, "budgets": {"${cap}": …} in ${'$'}SWITCHYARD_HOME/config.json), then \`${resume}\``
        : `raise the cap (switchyard.budget.* in VS Code, "budgets" in ${'$'}SWITCHYARD_HOME/config.json), then \`${resume}\``;
    }
    case 'stopped': return s.guard?.level === 'stop' ? `\`${resume} --hint "what to do differently"\` if it should go on` : undefined;
    case 'failed':
      if (s.statusCause === 'turn-limit') return `\`${resume} --max-turns N\` to allow N more turns`;
      if (s.statusCause === 'api-key') return `set OPENAI_API_KEY to a key the server takes, then \`${resume}\``;
      return `\`${resume}\` once the cause is fixed`;
    default: return undefined;
  }
}

/** Prints a session's transcript events as they come; a status whose reason the guard's line just gave is not said again. */
function eventPrinter(err: Out): (e: TranscriptEvent) => void {
  let guardSaid: string | undefined;
  return e => {
    if (e.kind === 'status' && guardSaid && e.reason?.includes(guardSaid)) err(`  [${e.status}] (the loop guard's reason above)`);
    else printEvent(e, err);
    // Until the next status: a notice or a tool's output may come between the guard's line and it.
    if (e.kind === 'guard') guardSaid = e.reason;
    else if (e.kind === 'status') guardSaid = undefined;
  };
}

function printEvent(e: TranscriptEvent, err: Out): void {
  switch (e.kind) {
    case 'assistant': err(`  agent: ${oneLine(e.text)}`); break;
    case 'tool-call': err(`  → ${e.name} ${oneLine(e.args)}`); break;
    case 'tool-result': if (!e.ok) err(`    ✗ ${oneLine(e.output)}`); break;
    case 'status': err(`  [${e.status}]${e.reason ? ` ${e.reason}` : ''}`); break;
    case 'guard': err(`  ! loop guard (${e.level}): ${e.reason}`); break;
    case 'cache-break': err(`  ! cache break: ${e.reason}`); break;
    // Info too: a command agent's own output, a compaction, more turns allowed are what a user watching wants to see.
    case 'notice': err(e.stream === 'stderr' ? `  stderr: ${e.text}` : e.level === 'info' ? `  ${e.text}` : `  ${e.level}: ${e.text}`); break;
    default: break;
  }
}

function oneLine(s: string): string {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > 160 ? `${line.slice(0, 157)}…` : line;
}
