// Messages between the fleet benchmark (which owns the test upstream and counts the events it streams)
// and the child processes it measures (the engine with N sessions, or the bare SDK with N streams). Each
// measured side runs in its own process so its CPU time and RSS are its own.

import { FLEET_SCRIPTS, type FleetScriptName } from './script';

export interface RunConfig {
  sessions: number;
  /** Which scripted conversation each session (or stream) plays. */
  script: FleetScriptName;
  upstreamUrl: string;
  /** Sessions (or streams) run first and not measured, so the JIT is warm. */
  warmup: number;
  /** Give up (and say which sessions were still running) after this long. */
  timeoutMs: number;
  /** Write a CPU profile of the measured window (not start-up or warm-up) to this file. */
  profileFile?: string;
}

export interface Lags {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface HostRunFigures {
  kind: 'host';
  sessions: number;
  done: number;
  /** Status and reason of sessions that did not finish as scripted (at most a few). */
  problems: string[];
  /** Warnings the engine logged during the window, and the first message of each kind (warn or error). */
  warnings: number;
  logged: string[];
  events: number;
  requests: number;
  seconds: number;
  /** This process's CPU and the launcher process's (src/host/util/launcher.ts), which starts the processes of big fleets. */
  cpuUs: number;
  /** The launcher process's part of cpuUs (0 when it did not run). */
  launcherCpuUs: number;
  rssBaselineMb: number;
  rssPeakMb: number;
  /** The launcher process's peak RSS, the Node binary's pages it shares with this process included (0 when it did not run). */
  launcherRssPeakMb: number;
  /** Its peak memory of its own (RssAnon, sampled every 100 ms): what it adds to this process's. The RSS target is judged on the sum. */
  launcherPrivatePeakMb: number;
  sessionsChangedCalls: number;
  /** Session entries carried by those calls, and their JSON size (what the IPC transport sends). */
  sessionEntries: number;
  notificationBytes: number;
  spendChangedCalls: number;
  /** Most calls of either kind seen in any one second. */
  sessionsChangedMaxPerSecond: number;
  spendChangedMaxPerSecond: number;
  /** Event-loop delay of the host over the window (perf_hooks histogram), in ms. */
  loopDelay: Lags;
  /** V8 heap in use at the end of the window after a full GC: what the sessions keep. */
  heapRetainedMb: number;
  heapBaselineMb: number;
  /** Response end (the record's own timestamp, taken when the host metered it) -> sessionsChanged carrying it, in ms. */
  treeLag: Lags;
  /** Response end -> spendChanged whose totals include it, in ms. */
  meterLag: Lags;
  /** Response end -> the record durable and read back from the ledger, in ms (the display does not wait for it). */
  durableLag: Lags;
  sandbox: string;
}

export interface SdkRunFigures {
  kind: 'sdk';
  streams: number;
  events: number;
  seconds: number;
  cpuUs: number;
  rssPeakMb: number;
}

export type RunFigures = HostRunFigures | SdkRunFigures;

export type ChildMessage =
  | { kind: 'count'; id: number }
  | { kind: 'result'; figures: RunFigures }
  | { kind: 'error'; message: string };

export type ParentMessage = { kind: 'count'; id: number; events: number };

export function isChildMessage(v: unknown): v is ChildMessage {
  if (typeof v !== 'object' || v === null) return false;
  const kind = (v as { kind?: unknown }).kind;
  return kind === 'count' || kind === 'result' || kind === 'error';
}

export function isParentMessage(v: unknown): v is ParentMessage {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'count' && typeof (v as { events?: unknown }).events === 'number';
}

export function parseRunConfig(text: string | undefined): RunConfig {
  let v: unknown;
  try {
    v = JSON.parse(text ?? '');
  } catch {
    throw new Error('fleet child: expected a JSON run configuration as the first argument');
  }
  const c = v as Partial<RunConfig>;
  const positive = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  if (!positive(c.sessions) || c.sessions < 1 || !positive(c.warmup) || !positive(c.timeoutMs) || typeof c.upstreamUrl !== 'string') {
    throw new Error(`fleet child: bad run configuration ${text}`);
  }
  if (c.profileFile !== undefined && typeof c.profileFile !== 'string') throw new Error(`fleet child: bad profileFile in ${text}`);
  if (!FLEET_SCRIPTS.includes(c.script as FleetScriptName)) throw new Error(`fleet child: unknown script ${String(c.script)} (known: ${FLEET_SCRIPTS.join(', ')})`);
  return {
    sessions: c.sessions, script: c.script as FleetScriptName, warmup: c.warmup, timeoutMs: c.timeoutMs, upstreamUrl: c.upstreamUrl,
    ...(c.profileFile ? { profileFile: c.profileFile } : {}),
  };
}
