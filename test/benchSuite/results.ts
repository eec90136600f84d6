// What the extension-host benchmark suite writes to $SWITCHYARD_RESULTS/extension-host-bench.json, and
// bench/extensionHost.ts reads. Times in milliseconds.
import { readFileSync } from 'node:fs';
import type { ProfileSummary } from '../../bench/fleet/profile';
import type { Lags } from '../../bench/fleet/protocol';
import type { Lateness } from './lateness';
import type { Load } from './machineLoad';

export const RESULTS_FILE = 'extension-host-bench.json';

export interface ExtensionHostBench {
  sessions: number;
  /** Sessions that ended done, and what happened to the others (a few). */
  done: number;
  problems: string[];
  activationMs: number;
  activationCpuMs: number;
  /** From ext.activate() to the host's ready notification; null when the extension was already active. */
  firstReadyMs: number | null;
  /** From the restart command to the new host's ready notification. */
  restartReadyMs: number;
  /** Extension host event-loop delay with no session, and while the fleet ran. */
  idleLoop: Lags;
  busyLoop: Lags;
  /** The busy figures split at the last create: while the sessions were being created, and after. */
  busyLoopByPhase?: { creating: Lags; streaming: Lags };
  /** From the first create to the last. */
  creatingSeconds?: number;
  /** The extension host's CPU, and the machine's, over the same span. */
  creatingExtensionHostCpuSeconds?: number;
  creatingLoad?: Load[];
  loopResolutionMs: number;
  /** From the first create to the last session settled. */
  seconds: number;
  sessionNotifications: number;
  sessionEntries: number;
  notificationsMaxPerSecond: number;
  /** The same after the last session was created: the host's notifications alone. */
  streamingMaxPerSecond: number;
  /** Response end (the usage record's own timestamp) -> onDidChangeSessions carrying it, in the extension host. */
  treeLag: Lags;
  extensionHostCpuSeconds: number;
  /** The agent host process over the run (Linux /proc), when readable. */
  agentHost?: { cpuSeconds: number; rssPeakMb: number };
  /** The agent host's launcher process (it starts the processes of fleets above 50 sessions), sampled every 100 ms. */
  launcher?: { cpuSeconds: number; rssPeakMb: number; privatePeakMb: number };
  /** The agent host's RSS peak (sampled every 100 ms) while the sessions were being created, and after. */
  agentHostRssByPhase?: Record<string, number>;
  /** Where the extension host's busy time went while the fleet ran (sampled every 10 ms). */
  profile?: ProfileSummary;
  /** Why the extension host's event loop was late while the fleet ran (Linux). */
  lateTicks?: Lateness;
  /** CPU seconds of the machine's processes over the same window, busiest first (Linux). */
  machineLoad?: Load[];
  /** The agent host's nice value (switchyard.agentHost.priority). */
  agentHostPriority?: number;
  at: string;
}

export function readResults(file: string): ExtensionHostBench {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`the extension host suite wrote no readable results at ${file}: ${(err as Error).message}`);
  }
  const r = v as Partial<ExtensionHostBench>;
  for (const key of ['sessions', 'done', 'activationMs', 'activationCpuMs', 'restartReadyMs', 'seconds', 'sessionNotifications', 'streamingMaxPerSecond'] as const) {
    if (typeof r[key] !== 'number') throw new Error(`${file}: ${key} is missing or not a number`);
  }
  if (!r.busyLoop || !r.idleLoop || !r.treeLag) throw new Error(`${file}: loop delay or freshness figures are missing`);
  return r as ExtensionHostBench;
}
