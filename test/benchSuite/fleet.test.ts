// Inside a real VS Code extension host: 100 sessions created through the command, while they stream the
// extension host's event-loop delay is measured next to its idle delay, with the notifications it
// receives and how long a usage record takes to reach the sidebar. Figures go to a JSON file for
// bench/extensionHost.ts; the suite fails only when sessions do not run, not when a target is missed.
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import * as vscode from 'vscode';
import { FreshnessTracker, lagsOf, loopDelayOf } from '../../bench/fleet/freshness';
import { summariseProfile, type CpuProfile } from '../../bench/fleet/profile';
import { WindowProfiler } from '../../bench/fleet/sampler';
import { FLEET_SCRIPT, fleetTask } from '../../bench/fleet/script';
import type { SwitchyardApi } from '../../src/extension/extension';
import { homeLayout } from '../../src/host/home';
import { LEDGER_FILE } from '../../src/host/ledger/ledger';
import { HELPER_NAME } from '../../src/host/util/launcher';
import type { HostReady } from '../../src/protocol/host';
import type { SessionInfo } from '../../src/protocol/types';
import { EXTENSION_ID, settled, until } from '../integration/kit';
import { LedgerTail } from './ledgerTail';
import { LatenessProbe, type Lateness } from './lateness';
import { loadBetween, snapshot, snapshotAsync, type Load } from './machineLoad';
import { PhasePeaks, procStats } from './procStats';
import { RESULTS_FILE, type ExtensionHostBench } from './results';

const SESSIONS = Number(process.env.SWITCHYARD_BENCH_SESSIONS || 100);
const LOOP_RESOLUTION_MS = 5;
/** The event-loop target: ticks later than this are the ones the probe explains. */
const LATE_MS = 5;
const IDLE_WINDOW_MS = 3_000;
const FLEET_TIMEOUT_MS = 20 * 60_000;
/** Coarse enough to cost next to nothing, fine enough to say where a busy minute went. */
const PROFILE_INTERVAL_US = 10_000;

suite('extension host under a fleet', () => {
  test(`${SESSIONS} sessions stream while the extension host stays responsive`, async function () {
    this.timeout(FLEET_TIMEOUT_MS + 120_000);
    const results = process.env.SWITCHYARD_RESULTS;
    assert.ok(results, 'SWITCHYARD_RESULTS must name the folder for the figures');

    const ext = vscode.extensions.getExtension<SwitchyardApi>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is not installed`);
    const wasActive = ext.isActive;
    const t0 = performance.now();
    const a = ext.isActive ? ext.exports : await ext.activate();
    await a.hostReady();
    const firstReadyMs = wasActive ? null : performance.now() - t0;
    await until(() => a.repo() !== undefined, 'the host to find the workspace repository', a.onDidChangeSessions);

    const restartReadyMs = await timeRestart(a);
    const host = await a.hostReady();
    // As a user watching the fleet would have it: the Sessions view open, so the tree is really rendered.
    await vscode.commands.executeCommand('workbench.view.extension.switchyard');
    await vscode.commands.executeCommand('switchyard.sessions.focus');

    // Idle is a window of time by nature: there is no event to wait for.
    const idle = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    idle.enable();
    await delay(IDLE_WINDOW_MS);
    idle.disable();

    const tracker = new FreshnessTracker(0);
    const tail = new LedgerTail(path.join(homeLayout().ledgerDir, LEDGER_FILE), (r, at) => tracker.recorded(r.sessionId, at, Date.parse(r.ts) - performance.timeOrigin), 'end', () => performance.now());
    const perSecond = new Map<number, number>();
    let notifications = 0;
    let entries = 0;
    const busy = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    const profiler = new WindowProfiler(PROFILE_INTERVAL_US);
    await profiler.start();
    const phases = new PhasePeaks(host.pid, 'creating', HELPER_NAME);
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    const sub = a.onDidChangeSessions(list => {
      const at = performance.now();
      notifications++;
      entries += list.length;
      const second = Math.floor((at - start) / 1000);
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
      tail.read();
      tracker.sessionsShown(list, at);
    });
    const lateness = new LatenessProbe(LOOP_RESOLUTION_MS, LATE_MS);
    const loadBefore = snapshot();
    // The same delay split at the last create: which phase the late ticks belong to.
    const creating = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    const streaming = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    busy.enable();
    creating.enable();
    lateness.start();
    let finished: SessionInfo[];
    let profiled: Promise<CpuProfile> | undefined;
    let createdAt = Infinity;
    let rssByPhase: Record<string, number> = {};
    let lateTicks: Lateness | undefined;
    let machineLoad: Load[] = [];
    let creatingLoad: Load[] = [];
    let creatingCpu: NodeJS.CpuUsage | undefined;
    try {
      const created = await Promise.all(Array.from({ length: SESSIONS }, (_, i) => vscode.commands.executeCommand<SessionInfo | undefined>(
        'switchyard.newSession', { task: fleetTask(FLEET_SCRIPT, i + 1), title: `Fleet ${String(i + 1).padStart(3, '0')}` },
      )));
      createdAt = performance.now();
      creating.disable();
      streaming.enable();
      creatingCpu = process.cpuUsage(cpu0);
      // Read without holding up the loop, whose delay is still being measured.
      creatingLoad = loadBetween(loadBefore, await snapshotAsync(), (pid, cmdline) => processName(pid, cmdline, host.pid));
      phases.enter('streaming');
      const ids = created.map((s, i) => {
        assert.ok(s, `session ${i + 1} was not created`);
        return s.id;
      });
      // One look at the list per check: the measuring must not be what loads the extension host.
      finished = await until(() => {
        const byId = new Map(a.sessions().map(s => [s.id, s]));
        const now = ids.map(id => byId.get(id));
        return now.every(s => s && settled(s)) ? (now as SessionInfo[]) : undefined;
      }, `all ${SESSIONS} sessions to settle`, a.onDidChangeSessions, FLEET_TIMEOUT_MS);
    } finally {
      busy.disable();
      creating.disable();
      streaming.disable();
      lateTicks = lateness.stop();
      machineLoad = loadBetween(loadBefore, snapshot(), (pid, cmdline) => processName(pid, cmdline, host.pid));
      profiled = profiler.stop();
      rssByPhase = phases.stop();
    }
    const profile = summariseProfile(await profiled, 40);
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpu0);
    tail.read();
    await tracker.caughtUp(10_000, 'sidebar').catch(err => console.warn(`freshness: ${(err as Error).message}`));
    sub.dispose();
    tail.dispose();

    const agentHost = procStats(host.pid);
    const launcher = phases.helperStats();
    const problems = finished.filter(s => s.status !== 'done').map(s => `${s.title}: ${s.status}${s.statusReason ? ` (${s.statusReason})` : ''}`);
    const figures: ExtensionHostBench = {
      sessions: SESSIONS,
      done: SESSIONS - problems.length,
      problems: problems.slice(0, 5),
      activationMs: a.activationMs,
      activationCpuMs: a.activationCpuMs,
      firstReadyMs,
      restartReadyMs,
      idleLoop: loopDelayOf(idle, LOOP_RESOLUTION_MS),
      busyLoop: loopDelayOf(busy, LOOP_RESOLUTION_MS),
      busyLoopByPhase: { creating: loopDelayOf(creating, LOOP_RESOLUTION_MS), streaming: loopDelayOf(streaming, LOOP_RESOLUTION_MS) },
      creatingSeconds: Number.isFinite(createdAt) ? (createdAt - start) / 1000 : undefined,
      ...(creatingCpu ? { creatingExtensionHostCpuSeconds: (creatingCpu.user + creatingCpu.system) / 1e6 } : {}),
      ...(creatingLoad.length ? { creatingLoad } : {}),
      loopResolutionMs: LOOP_RESOLUTION_MS,
      seconds,
      sessionNotifications: notifications,
      sessionEntries: entries,
      notificationsMaxPerSecond: Math.max(0, ...perSecond.values()),
      // Each create also fires the event once from the command itself; after the last create, only the host does.
      streamingMaxPerSecond: Math.max(0, ...[...perSecond.entries()].filter(([second]) => second * 1000 > createdAt - start).map(([, n]) => n)),
      treeLag: lagsOf(tracker.treeLags),
      extensionHostCpuSeconds: (cpu.user + cpu.system) / 1e6,
      ...(agentHost ? { agentHost } : {}),
      ...(launcher ? { launcher } : {}),
      ...(Object.keys(rssByPhase).length ? { agentHostRssByPhase: rssByPhase } : {}),
      profile,
      ...(lateTicks ? { lateTicks } : {}),
      ...(machineLoad.length ? { machineLoad } : {}),
      agentHostPriority: os.getPriority(host.pid),
      at: new Date().toISOString(),
    };
    fs.writeFileSync(path.join(results, RESULTS_FILE), JSON.stringify(figures, null, 2));
    assert.strictEqual(problems.length, 0, `sessions did not finish: ${problems.slice(0, 5).join('; ')}`);
  });
});

/** Names the processes whose CPU the run reports (the rest is "other"). */
function processName(pid: number, cmdline: string, agentHost: number): string | undefined {
  if (pid === agentHost) return 'agent host';
  if (pid === process.pid) return 'extension host';
  if (cmdline.split(' ').includes(HELPER_NAME)) return "agent host's launcher process";
  if (/upstream\/cli\.js/.test(cmdline)) return 'test upstream (stands in for the provider)';
  if (/chromium.*--type=renderer/.test(cmdline)) return "browser: the window's renderer";
  if (/--type=gpu-process/.test(cmdline)) return 'browser: GPU process (software rendering)';
  if (/chromium/.test(cmdline)) return 'browser: other processes';
  if (/code-server/.test(cmdline)) return 'code-server';
  return undefined;
}

/** Restarts the agent host through its command; ms until the new host says it is ready. */
async function timeRestart(a: SwitchyardApi): Promise<number> {
  const t = performance.now();
  const ready = new Promise<HostReady>(resolve => {
    const sub = a.onDidHostReady(r => {
      sub.dispose();
      resolve(r);
    });
  });
  await vscode.commands.executeCommand('switchyard.restartHost');
  await ready;
  return performance.now() - t;
}
