// Fleet scale: 10, 50 and 100 sessions of the built-in agent at once, each a multi-turn scripted agent doing
// real tool calls in its own worktree, through the real engine, gateway and ledger, against the test
// upstream streaming at a realistic pace. Measures the host's CPU per streamed event next to the `openai`
// SDK's own cost of parsing the same streams (the floor, measured in the same run), its RSS, how often
// the sidebar and meter are notified, and how fresh those notifications are.
//   FLEET_SCALES=10,50 FLEET_PROFILE=1 node bench/run.mjs fleet
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestUpstream } from '../test/upstream/server';
import { countServerSentEvents, type EventCounter } from './fleet/eventCounter';
import { runChild } from './fleet/ipc';
import { profileMarkdown, summariseProfile, type CpuProfile } from './fleet/profile';
import type { HostRunFigures, RunConfig, RunFigures, SdkRunFigures } from './fleet/protocol';
import { FLEET_TURNS, fleetScripts } from './fleet/script';
import { atMost, type BenchResult, type Figure } from './types';

const SCALES = (process.env.FLEET_SCALES ?? '10,50,100').split(',').map(Number).filter(n => Number.isInteger(n) && n > 0);
const WORDS_PER_TURN = 200;
const EVENT_DELAY_MS = 25;
const WARMUP_SESSIONS = 3;
const RUN_TIMEOUT_MS = 10 * 60_000;
const CPU_RATIO_TARGET = 1.5;
const FRESH_TARGET_MS = 250;
/** "A few per second": the busiest second may carry at most this many notifications of one kind. */
const NOTIFY_MAX_PER_S = 10;
const PROFILE_SESSIONS = 10;

interface Scale {
  host: HostRunFigures;
  sdk: SdkRunFigures;
}

export default async function fleet(): Promise<BenchResult> {
  const counter = countServerSentEvents();
  const up = await startTestUpstream({ scripts: fleetScripts(WORDS_PER_TURN), eventDelayMs: EVENT_DELAY_MS, recordLimit: 200 });
  try {
    const scales: Scale[] = [];
    for (const n of SCALES) {
      const config: RunConfig = { sessions: n, upstreamUrl: up.url, warmup: WARMUP_SESSIONS, timeoutMs: RUN_TIMEOUT_MS };
      const host = expect('host', await runChild(child('hostChild'), config, childOptions(counter)));
      const sdk = expect('sdk', await runChild(child('sdkChild'), config, childOptions(counter)));
      scales.push({ host, sdk });
      console.error(`[fleet] ${n}: host ${perEvent(host).toFixed(1)} µs/event, floor ${perEvent(sdk).toFixed(1)} µs/event, RSS ${host.rssPeakMb.toFixed(0)} MB`);
    }
    const cpuMissed = scales.some(s => perEvent(s.host) > CPU_RATIO_TARGET * perEvent(s.sdk));
    const profile = cpuMissed || process.env.FLEET_PROFILE === '1' ? await profileRun(up.url, counter) : undefined;
    return result(scales, profile);
  } finally {
    await up.close();
    counter.uninstall();
  }
}

const child = (name: string) => path.join(__dirname, 'fleet', `${name}.js`);

function childOptions(counter: EventCounter, extraArgv: string[] = []) {
  return { execArgv: ['--expose-gc', ...extraArgv], events: () => counter.count };
}

function expect<K extends RunFigures['kind']>(kind: K, f: RunFigures): Extract<RunFigures, { kind: K }> {
  if (f.kind !== kind) throw new Error(`fleet: expected ${kind} figures, got ${f.kind}`);
  return f as Extract<RunFigures, { kind: K }>;
}

const perEvent = (f: { cpuUs: number; events: number }) => f.cpuUs / Math.max(1, f.events);
const perSecond = (calls: number, seconds: number) => calls / Math.max(1e-9, seconds);

/** The host again at a small scale under --cpu-prof; where its time went. */
async function profileRun(upstreamUrl: string, counter: EventCounter): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-fleet-prof-'));
  try {
    const config: RunConfig = { sessions: PROFILE_SESSIONS, upstreamUrl, warmup: WARMUP_SESSIONS, timeoutMs: RUN_TIMEOUT_MS };
    const host = expect('host', await runChild(child('hostChild'), config, childOptions(counter, ['--cpu-prof', '--cpu-prof-dir', dir])));
    const file = readdirSync(dir).find(f => f.endsWith('.cpuprofile'));
    if (!file) return 'The profiled run wrote no .cpuprofile.';
    const summary = summariseProfile(JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile);
    // The profile covers the whole child (start-up and warm-up too), so shares are indicative.
    return [
      `**Profile** (${PROFILE_SESSIONS} sessions under \`node --cpu-prof\`, whole process; ${perEvent(host).toFixed(1)} µs/event with the profiler on):`,
      '',
      profileMarkdown(summary),
    ].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function result(scales: Scale[], profile: string | undefined): BenchResult {
  const figures: Figure[] = [];
  for (const { host, sdk } of scales) {
    const n = host.sessions;
    const ratio = perEvent(host) / perEvent(sdk);
    const maxPerSecond = Math.max(host.sessionsChangedMaxPerSecond, host.spendChangedMaxPerSecond);
    figures.push(
      { name: `${n} sessions: sessions finished as scripted`, value: host.done, unit: `of ${n}`, target: `${n}`, ok: host.done === n },
      { name: `${n} sessions: host CPU per streamed event`, value: perEvent(host), unit: 'µs' },
      { name: `${n} sessions: SDK floor CPU per event`, value: perEvent(sdk), unit: 'µs' },
      { name: `${n} sessions: host / floor CPU per event`, value: ratio, unit: '×', ...atMost(ratio, CPU_RATIO_TARGET, '×') },
      { name: `${n} sessions: host RSS peak`, value: host.rssPeakMb, unit: 'MB', ...atMost(host.rssPeakMb, 100 + n, 'MB') },
      { name: `${n} sessions: notifications in the busiest second (sessions / spend)`, value: maxPerSecond, unit: '/s', ...atMost(maxPerSecond, NOTIFY_MAX_PER_S, '/s') },
      { name: `${n} sessions: sidebar freshness p99 (record → sessionsChanged)`, value: host.treeLag.p99, unit: 'ms', ...atMost(host.treeLag.p99, FRESH_TARGET_MS, 'ms') },
      { name: `${n} sessions: meter freshness p99 (record → spendChanged)`, value: host.meterLag.p99, unit: 'ms', ...atMost(host.meterLag.p99, FRESH_TARGET_MS, 'ms') },
    );
  }
  return {
    title: 'Fleet: concurrent sessions of the built-in agent',
    method: [
      `Each size runs in fresh child processes: first the engine (sessions, worktrees, built-in agent, in-process gateway, ledger) with`,
      `N sessions created at once through \`engine.sessions.create\` on one repository (maxConcurrentSessions = N), each playing a`,
      `${FLEET_TURNS}-turn script: about ${WORDS_PER_TURN} streamed text deltas per turn, then a real tool call (write_file, read_file, a cheap`,
      `run_command, write_file, finish); then the \`openai\` SDK alone (the floor) plays the same N conversations, so the upstream`,
      `streams exactly the same events, and only iterates them. The test upstream runs in the parent process at ${EVENT_DELAY_MS} ms between`,
      `events (about ${Math.round(1000 / EVENT_DELAY_MS)} events/s per stream) and counts every server-sent event it writes. CPU is`,
      `\`process.cpuUsage\` of the measured process from the first create to the notification showing the last record, divided by`,
      `the events streamed to it; it includes everything the host does (git worktrees, tools, ledger fsyncs, serialising`,
      `notifications as IPC would). RSS is sampled every 50 ms. Freshness: from the moment the ledger announces a record`,
      `(durable and applied) to the first sessionsChanged (sidebar) / spendChanged (meter) whose totals include it. ${WARMUP_SESSIONS}`,
      `unmeasured sessions warm each process up first. Single run per size on a shared, noisy machine: compare the ratio, not the µs.`,
    ].join(' '),
    figures,
    extra: [detailTable(scales), notes(scales), profile].filter(Boolean).join('\n\n'),
  };
}

function detailTable(scales: Scale[]): string {
  const lag = (l: HostRunFigures['treeLag']) => `${l.p50.toFixed(0)} / ${l.p99.toFixed(0)} / ${l.max.toFixed(0)}`;
  const rows = scales.map(({ host: h, sdk: s }) => [
    h.sessions,
    h.events.toLocaleString('en-US'),
    s.events.toLocaleString('en-US'),
    perSecond(h.events, h.seconds).toFixed(0),
    `${h.seconds.toFixed(1)} / ${s.seconds.toFixed(1)}`,
    `${(h.cpuUs / 1e6).toFixed(2)} / ${(s.cpuUs / 1e6).toFixed(2)}`,
    `${perEvent(h).toFixed(1)} / ${perEvent(s).toFixed(1)}`,
    `${h.rssBaselineMb.toFixed(0)} → ${h.rssPeakMb.toFixed(0)} (floor ${s.rssPeakMb.toFixed(0)})`,
    `${perSecond(h.sessionsChangedCalls, h.seconds).toFixed(1)} (max ${h.sessionsChangedMaxPerSecond}), ${(h.sessionEntries / Math.max(1, h.sessionsChangedCalls)).toFixed(1)} sessions each`,
    `${perSecond(h.spendChangedCalls, h.seconds).toFixed(1)} (max ${h.spendChangedMaxPerSecond})`,
    `${(h.notificationBytes / 1024 / h.seconds).toFixed(0)}`,
    lag(h.treeLag),
    lag(h.meterLag),
    lag(h.endToTreeLag),
  ].join(' | '));
  return [
    '| sessions | events (host) | events (floor) | events/s | seconds host / floor | CPU s host / floor | µs/event host / floor | host RSS MB (start → peak) | sessionsChanged /s | spendChanged /s | notification KiB/s | sidebar lag ms p50 / p99 / max | meter lag ms p50 / p99 / max | response end → sidebar ms |',
    '| ---: | ---: | ---: | ---: | --- | --- | --- | --- | --- | --- | ---: | --- | --- | --- |',
    ...rows.map(r => `| ${r} |`),
  ].join('\n');
}

function notes(scales: Scale[]): string {
  const lines = [`Commands: ${scales[0]?.host.sandbox ?? 'n/a'}.`];
  for (const { host } of scales) if (host.problems.length) lines.push(`${host.sessions} sessions: ${host.problems.join('; ')}`);
  return lines.join('\n\n');
}
