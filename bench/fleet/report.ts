// Turns the fleet runs into the BenchResult printed by bench/run.mjs and written to BENCHMARKS.md.
import { atMost, type BenchResult, type Figure } from '../types';
import { profileMarkdown, type ProfileSummary } from './profile';
import type { HostRunFigures, Lags, SdkRunFigures } from './protocol';
import { FLEET_TURNS } from './script';

export interface FleetParams {
  wordsPerTurn: number;
  eventDelayMs: number;
  warmup: number;
  cpuRatioTarget: number;
  freshTargetMs: number;
  /** "A few per second": the busiest second may carry at most this many notifications of one kind. */
  notifyMaxPerSecond: number;
  profileSessions: number;
}

/** The engine and the SDK floor on the same conversations. */
export interface Pair {
  host: HostRunFigures;
  sdk: SdkRunFigures;
  /** Host / floor CPU per event of every round at this size, when there were several (this pair is their median). */
  roundRatios?: number[];
}

/** Of several rounds at one size, the one whose host / floor ratio is the median (its figures stay whole), knowing the others'. */
export function medianRound(rounds: Pair[]): Pair {
  if (!rounds.length) throw new Error('medianRound: no rounds');
  const ratio = (r: Pair) => perEvent(r.host) / perEvent(r.sdk);
  const sorted = [...rounds].sort((a, b) => ratio(a) - ratio(b));
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return rounds.length > 1 ? { ...median, roundRatios: rounds.map(ratio) } : median;
}

export const perEvent = (f: { cpuUs: number; events: number }): number => f.cpuUs / Math.max(1, f.events);
const perSecond = (n: number, seconds: number): number => n / Math.max(1e-9, seconds);

/** CPU split into a part per streamed event and a part per turn, from two runs that differ only in text. */
export interface Split {
  perEventUs: number;
  perTurnMs: number;
}

export function splitCpu(long: { cpuUs: number; events: number }, short: { cpuUs: number; events: number }, turns: number): Split | undefined {
  const dEvents = long.events - short.events;
  if (dEvents <= 0 || turns <= 0) return undefined;
  const perEventUs = (long.cpuUs - short.cpuUs) / dEvents;
  return { perEventUs, perTurnMs: (long.cpuUs - perEventUs * long.events) / turns / 1000 };
}

export function fleetResult(p: FleetParams, scales: Pair[], short: Pair, profile?: { summary: ProfileSummary; perEventUs: number }): BenchResult {
  const figures: Figure[] = [];
  for (const { host, sdk } of scales) {
    const n = host.sessions;
    const ratio = perEvent(host) / perEvent(sdk);
    const busiest = Math.max(host.sessionsChangedMaxPerSecond, host.spendChangedMaxPerSecond);
    figures.push(
      { name: `${n} sessions: sessions finished as scripted`, value: host.done, unit: `of ${n}`, target: `${n}`, ok: host.done === n },
      { name: `${n} sessions: host CPU per streamed event`, value: perEvent(host), unit: 'µs' },
      { name: `${n} sessions: SDK floor CPU per event`, value: perEvent(sdk), unit: 'µs' },
      { name: `${n} sessions: host / floor CPU per event`, value: ratio, unit: '×', ...atMost(ratio, p.cpuRatioTarget, '×') },
      ...rssFigures(host, n),
      { name: `${n} sessions: notifications in the busiest second (sessions or spend)`, value: busiest, unit: '/s', ...atMost(busiest, p.notifyMaxPerSecond, '/s') },
      { name: `${n} sessions: streamed events per second`, value: perSecond(host.events, host.seconds), unit: '/s' },
      { name: `${n} sessions: sidebar freshness p99 (response end → sessionsChanged)`, value: host.treeLag.p99, unit: 'ms', ...atMost(host.treeLag.p99, p.freshTargetMs, 'ms') },
      { name: `${n} sessions: meter freshness p99 (response end → spendChanged)`, value: host.meterLag.p99, unit: 'ms', ...atMost(host.meterLag.p99, p.freshTargetMs, 'ms') },
    );
  }
  const base = scales[0]!;
  const turns = base.host.sessions * FLEET_TURNS;
  const splits = plausibleSplits(splitCpu(base.host, short.host, turns), splitCpu(base.sdk, short.sdk, turns));
  const [hostSplit, sdkSplit] = splits ?? [undefined, undefined];
  if (hostSplit && sdkSplit) {
    figures.push(
      { name: `streaming alone (${base.host.sessions} sessions, per extra event): host / floor`, value: hostSplit.perEventUs / sdkSplit.perEventUs, unit: '×' },
      { name: `per turn whatever it streams (${base.host.sessions} sessions): host`, value: hostSplit.perTurnMs, unit: 'ms CPU' },
      { name: `per turn whatever it streams (${base.host.sessions} sessions): floor`, value: sdkSplit.perTurnMs, unit: 'ms CPU' },
    );
  }
  return {
    title: 'Fleet: concurrent sessions of the built-in agent',
    method: method(p, base.host.sessions, Math.max(1, ...scales.map(x => x.roundRatios?.length ?? 1))),
    figures,
    extra: [
      detailTable(scales, short),
      roundsText(scales),
      splits ? splitText(hostSplit, sdkSplit, base.host.sessions) : `No split at ${base.host.sessions} sessions this run: the two runs disagree beyond what a difference of them can bear (a part came out below the bare SDK's, which the host includes, or below zero).`,
      findings(scales, base, hostSplit, sdkSplit, profile?.summary),
      notes(scales),
      profile ? profileText(p, profile) : '',
    ].filter(Boolean).join('\n\n'),
  };
}

function method(p: FleetParams, splitSessions: number, rounds: number): string {
  return [
    'Each size runs in fresh child processes: first the engine (sessions, worktrees, built-in agent, in-process gateway, ledger) with',
    'N sessions created at once through `engine.sessions.create` on one repository (maxConcurrentSessions = N), each playing a',
    `${FLEET_TURNS}-turn script: about ${p.wordsPerTurn} streamed text deltas per turn, then a real tool call (write_file, read_file, a cheap`,
    'run_command in the sandbox, write_file, finish); then the `openai` SDK alone (the floor) plays the same N conversations, so the',
    'upstream streams exactly the same events, and only iterates them. The test upstream runs in the parent process,',
    `${p.eventDelayMs} ms between events (up to ${Math.round(1000 / p.eventDelayMs)} events/s per stream), and counts every server-sent event it writes. CPU is`,
    '`process.cpuUsage` of the measured process from the first create to the notification showing the last record, divided by',
    'the events streamed to it: everything the host does is in it (git worktrees and fingerprints, tools, sandbox, ledger fsyncs,',
    'serialising notifications as the IPC transport would). Above 50 sessions running or being created (and for 10 s after) the host starts its processes from a launcher',
    'process (src/host/util/launcher.ts): its CPU over the window is added to the host\'s, and its peak memory of its own (RssAnon,',
    'sampled every 100 ms; the rest of its RSS is the Node binary\'s pages, which the host maps too) to the host\'s peak. The RSS peak is the kernel high-water mark over the window (VmHWM, reset at its start through /proc/self/clear_refs), as the editor benchmark reads that of the agent host; the event-loop delay with',
    'perf_hooks.monitorEventLoopDelay. Freshness: from the end of a response (the timestamp the host writes into its usage record',
    'when it meters it) to the first sessionsChanged (sidebar) / spendChanged (meter) whose totals include it. The last column is',
    'how long the same records took to be durable and read back from the ledger, which the display does not wait for. A second pair of runs at',
    `${splitSessions} sessions with a quarter of the text splits CPU into a cost per event and a cost per turn. ${p.warmup} unmeasured`,
    'sessions warm each process up first. Both children are built as the VSIX\'s host is (bundled with their packages, minified,',
    'no source map; esbuild.mjs, out/shipped) and start with the host\'s V8 flags and environment (src/protocol/host.ts); the profile',
    'below runs a build whose functions keep their names and whose packages keep their paths, with the sandbox library bundled as',
    'the host ships it (out/profiled in esbuild.mjs). The machine is shared and its load varies (a floor read at 100 sessions',
    `moved from 58 to 73 µs an event between two runs): each size runs ${rounds === 1 ? 'once' : `${rounds} rounds (the engine, then the floor, in each), and its figures are those of the round whose ratio is the median; the rounds' ratios are listed below the table`}.`,
    'Read ratios, not absolute µs.',
  ].join(' ');
}

/** The host's peak RSS, with the launcher process's own memory added when it ran (the target holds for both). */
function rssFigures(host: HostRunFigures, n: number): Figure[] {
  if (!host.launcherRssPeakMb) return [{ name: `${n} sessions: host RSS peak`, value: host.rssPeakMb, unit: 'MB', ...atMost(host.rssPeakMb, 100 + n, 'MB') }];
  const both = host.rssPeakMb + host.launcherPrivatePeakMb;
  return [
    { name: `${n} sessions: host RSS peak + launcher process's own memory`, value: both, unit: 'MB', ...atMost(both, 100 + n, 'MB') },
    { name: `${n} sessions: launcher process, own memory peak (RssAnon)`, value: host.launcherPrivatePeakMb, unit: 'MB' },
    { name: `${n} sessions: launcher process, whole RSS peak (the Node binary's pages included, which the host maps too)`, value: host.launcherRssPeakMb, unit: 'MB' },
    { name: `${n} sessions: launcher process's share of the host CPU`, value: (100 * host.launcherCpuUs) / Math.max(1, host.cpuUs), unit: '%' },
  ];
}

const lag = (l: Lags): string => `${l.p50.toFixed(0)} / ${l.p99.toFixed(0)} / ${l.max.toFixed(0)}`;

function roundsText(scales: Pair[]): string {
  const withRounds = scales.filter(x => x.roundRatios);
  if (!withRounds.length) return '';
  return `Host / floor CPU per event, each round in order: ${withRounds.map(x => `${x.host.sessions} sessions ${x.roundRatios!.map(r => r.toFixed(2)).join(', ')}`).join('; ')} (×).`;
}

function detailTable(scales: Pair[], short: Pair): string {
  const row = ({ host: h, sdk: s }: Pair, label: string) => [
    label,
    `${h.events.toLocaleString('en-US')} / ${s.events.toLocaleString('en-US')}`,
    perSecond(h.events, h.seconds).toFixed(0),
    `${h.seconds.toFixed(1)} / ${s.seconds.toFixed(1)}`,
    `${(h.cpuUs / 1e6).toFixed(2)} / ${(s.cpuUs / 1e6).toFixed(2)}`,
    `${perEvent(h).toFixed(1)} / ${perEvent(s).toFixed(1)}`,
    `${h.rssBaselineMb.toFixed(0)} → ${h.rssPeakMb.toFixed(0)}${h.launcherRssPeakMb ? ` + ${h.launcherPrivatePeakMb.toFixed(0)}` : ''} (floor ${s.rssPeakMb.toFixed(0)})`,
    `${h.heapBaselineMb.toFixed(0)} → ${h.heapRetainedMb.toFixed(0)}`,
    lag(h.loopDelay),
    `${perSecond(h.sessionsChangedCalls, h.seconds).toFixed(1)} (max ${h.sessionsChangedMaxPerSecond}; ${(h.sessionEntries / Math.max(1, h.sessionsChangedCalls)).toFixed(1)} sessions each)`,
    `${perSecond(h.spendChangedCalls, h.seconds).toFixed(1)} (max ${h.spendChangedMaxPerSecond})`,
    (h.notificationBytes / 1024 / h.seconds).toFixed(0),
    lag(h.treeLag),
    lag(h.meterLag),
    lag(h.durableLag),
  ].join(' | ');
  return [
    '| run | events host / floor | events/s | seconds host / floor | CPU s host / floor | µs/event host / floor | host RSS MB start → peak (+ the launcher process\'s own) | host heap MB start → retained | host loop delay ms p50 / p99 / max | sessionsChanged /s | spendChanged /s | notifications KiB/s | sidebar lag ms p50 / p99 / max | meter lag ms p50 / p99 / max | response end → durable in the ledger ms p50 / p99 / max |',
    '| --- | --- | ---: | --- | --- | --- | --- | --- | --- | --- | --- | ---: | --- | --- | --- |',
    ...scales.map(s => `| ${row(s, `${s.host.sessions} sessions`)} |`),
    `| ${row(short, `${short.host.sessions} sessions, ¼ text`)} |`,
  ].join('\n');
}

/**
 * Both splits, if they can be true: no part is negative, and an event costs each something. Otherwise noise
 * made them up. (The host may pay less than the SDK per event: it reads the events in one pass, where the
 * SDK stacks iterators.)
 */
export function plausibleSplits(host: Split | undefined, sdk: Split | undefined): [Split, Split] | undefined {
  if (!host || !sdk) return undefined;
  if (sdk.perEventUs <= 0 || host.perEventUs <= 0 || sdk.perTurnMs < 0 || host.perTurnMs < 0) return undefined;
  return [host, sdk];
}

function splitText(host: Split | undefined, sdk: Split | undefined, sessions: number): string {
  if (!host || !sdk) return '';
  return `Split at ${sessions} sessions: each extra streamed event costs the host ${host.perEventUs.toFixed(1)} µs and the bare SDK ${sdk.perEventUs.toFixed(1)} µs`
    + ` (${(host.perEventUs / sdk.perEventUs).toFixed(2)}×); each turn costs the host ${host.perTurnMs.toFixed(1)} ms of CPU whatever it streams, the SDK`
    + ` ${sdk.perTurnMs.toFixed(1)} ms. (A difference of two noisy runs: indicative.)`;
}

/** What the figures say about the misses, in words, from this run's own numbers. */
function findings(scales: Pair[], base: Pair, host: Split | undefined, sdk: Split | undefined, profile: ProfileSummary | undefined): string {
  const biggest = scales[scales.length - 1]!;
  const n = biggest.host.sessions;
  const out = ['**What the runs show**', ''];
  if (host && sdk) {
    const eventsPerTurn = base.host.events / (base.host.sessions * FLEET_TURNS);
    const turnShare = (100 * host.perTurnMs * 1000) / (host.perTurnMs * 1000 + host.perEventUs * eventsPerTurn);
    const spawn = profile?.areas.find(a => a.name.startsWith('starting child processes'))?.pct;
    out.push(`- CPU: per streamed event the host pays ${(host.perEventUs / sdk.perEventUs).toFixed(1)}× what the bare SDK pays; the rest of the gap is work done once`
      + ` per turn, ${host.perTurnMs.toFixed(0)} ms of CPU against the SDK's ${Math.max(0, sdk.perTurnMs).toFixed(0)} ms (${turnShare.toFixed(0)} % of the host's CPU at`
      + ` ${eventsPerTurn.toFixed(0)} events per turn).${spawn !== undefined ? ` Starting child processes alone is ${spawn.toFixed(0)} % of the host's busy time in the`
      + ' profile: each command the agents run starts the sandbox (bubblewrap and its helpers), a turn that ran a command is followed by a'
      + ' git fingerprint of the worktree for the loop guard, and creating and finishing a session run git several times; each fork costs'
      + ' milliseconds. That is the agents\' real work (the SDK floor runs no tools), so the per-event ratio includes it; streaming alone'
      + ' is the row "per extra event".' : ''}`);
  }
  out.push(`- Memory: the bare SDK alone peaks at ${biggest.sdk.rssPeakMb.toFixed(0)} MB with ${n} streams, and the host starts at`
    + ` ${biggest.host.rssBaselineMb.toFixed(0)} MB; a finished session keeps ${((1024 * (biggest.host.heapRetainedMb - biggest.host.heapBaselineMb)) / n).toFixed(0)} KiB`
    + ' of heap. The peak is heap headroom under the garbage of streaming, not state the sessions keep.');
  out.push(`- Freshness: notifications are throttled on the leading edge (src/host/util/throttle.ts: the first change goes at once,`
    + ' then at most one batch per 100 ms), so what remains is the throttle window under load and the host\'s event-loop delay'
    + ` (p99 ${biggest.host.loopDelay.p99.toFixed(0)} ms, max ${biggest.host.loopDelay.max.toFixed(0)} ms at ${n} sessions). A response's usage is counted as soon`
    + ' as it is metered, pending until its durable append (write + fdatasync, group-committed) is read back; that append took'
    + ` p50 ${biggest.host.durableLag.p50.toFixed(0)} ms, p99 ${biggest.host.durableLag.p99.toFixed(0)} ms at ${n} sessions, which the sidebar and the meter no longer wait for.`);
  return out.join('\n');
}

function notes(scales: Pair[]): string {
  const lines = [`Commands: ${scales[0]?.host.sandbox ?? 'n/a'}.`];
  for (const { host } of scales) {
    const perSession = (host.heapRetainedMb - host.heapBaselineMb) / host.sessions;
    const logged = host.logged.length ? ` The engine logged ${host.warnings} warning(s); first of each kind: ${host.logged.map(m => `“${m}”`).join('; ')}.` : '';
    lines.push(`${host.sessions} sessions: ${(perSession * 1024).toFixed(0)} KiB of heap retained per finished session.${logged}${host.problems.length ? ` Problems: ${host.problems.join('; ')}` : ''}`);
  }
  return lines.join('\n\n');
}

function profileText(p: FleetParams, profile: { summary: ProfileSummary; perEventUs: number }): string {
  return [
    `**Profile** of the host's measured window at ${p.profileSessions} sessions (V8 sampling profiler through node:inspector, the same`,
    `data as \`node --cpu-prof\` without start-up and warm-up; ${profile.perEventUs.toFixed(1)} µs/event with the profiler on), self time:`,
    '',
    // The engine runs bundled into the benchmark's own file here: no extension to charge samples to.
    profileMarkdown({ ...profile.summary, origins: undefined }),
  ].join('\n');
}
