// The real engine (sessions, worktrees, built-in agent, gateway, ledger) running N scripted
// sessions at once on one repository against the test upstream, measured from the first create to the
// moment the sidebar and meter notifications show the last record.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Engine } from '../../src/host/engine';
import { sandboxAvailability } from '../../src/host/sandbox/availability';
import { withDefaults } from '../../src/host/settings';
import { commitInitial } from '../../test/unit/helpers/engineKit';
import { launcherPid, launcherUsage } from '../../src/host/util/launcher';
import type { SessionInfo } from '../../src/protocol/types';
import { FreshnessTracker, lagsOf, loopDelayOf } from './freshness';
import { MeasuringSink } from './measuringSink';
import type { HostRunFigures, RunConfig } from './protocol';
import { collectGarbage, cpuSince, PrivateMemorySampler, RssSampler, rssMb, WindowProfiler } from './sampler';
import { FLEET_TURNS, fleetTask, WARMUP_SCRIPT } from './script';

const noProgress = { report: () => {} };
const NOTIFY_TIMEOUT_MS = 10_000;
const LOOP_RESOLUTION_MS = 5;

/** `events` says how many events the upstream has streamed so far (to every client). */
export async function hostRun(c: RunConfig, events: () => Promise<number>): Promise<HostRunFigures> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'sy-fleet-'));
  try {
    const repo = makeRepo(path.join(root, 'repo'));
    const sink = new MeasuringSink(() => performance.now());
    const engine = await Engine.start({
      home: path.join(root, 'home'),
      settings: withDefaults({
        baseURL: c.upstreamUrl,
        model: 'gpt-5.4',
        maxConcurrentSessions: Math.max(c.sessions, c.warmup),
        budgets: { sessionUsd: null, dayUsd: null, monthUsd: null },
      }),
      apiKey: 'sk-bench-fleet',
      headless: true,
      sink,
    });
    try {
      if (c.warmup) await runSessions(engine, repo, WARMUP_SCRIPT, c.warmup, 'Warm-up', c.timeoutMs);
      collectGarbage();
      return await measured(engine, sink, repo, c, events);
    } finally {
      await engine.shutdown();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function measured(engine: Engine, sink: MeasuringSink, repo: string, c: RunConfig, upstreamEvents: () => Promise<number>): Promise<HostRunFigures> {
  const rssBaselineMb = rssMb();
  const heapBaselineMb = process.memoryUsage().heapUsed / 2 ** 20;
  const tracker = new FreshnessTracker(engine.spend.summary().today.usage.requests);
  // performance.now() and the records' wall-clock stamps on one time base.
  const sub = engine.ledger.onRecords(records => {
    const at = performance.now();
    for (const r of records) tracker.recorded(r.sessionId, at, Date.parse(r.ts) - performance.timeOrigin);
  });
  const rss = new RssSampler();
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  const profiler = new WindowProfiler();
  if (c.profileFile) await profiler.start();
  const events0 = await upstreamEvents();
  rss.start();
  loop.enable();
  sink.measure(tracker);
  const launcherMemory = new PrivateMemorySampler(launcherPid);
  const cpu0 = process.cpuUsage();
  const launcher0 = launcherUsage().cpuUs;
  const t0 = performance.now();

  const sessions = await runSessions(engine, repo, c.script, c.sessions, 'Fleet', c.timeoutMs);
  await tracker.caughtUp(NOTIFY_TIMEOUT_MS);

  // Processes a big fleet starts are forked by the launcher process: its CPU is the host's too.
  const launcherCpuUs = launcherUsage().cpuUs - launcher0;
  const cpuUs = cpuSince(cpu0) + launcherCpuUs;
  const launcherRssPeakMb = launcherUsage().maxRssKb / 1024;
  const launcherPrivatePeakMb = launcherMemory.stop();
  const seconds = (performance.now() - t0) / 1000;
  const rssPeakMb = rss.stop();
  loop.disable();
  const events = (await upstreamEvents()) - events0;
  if (c.profileFile) writeFileSync(c.profileFile, JSON.stringify(await profiler.stop()));
  sub.dispose();
  collectGarbage();
  const heapRetainedMb = process.memoryUsage().heapUsed / 2 ** 20;

  const problems = sessions.flatMap(s => {
    const files = ['notes/fleet.md', 'src/fleet.txt'].filter(f => !existsSync(path.join(s.worktree, f)));
    if (s.status === 'done' && s.usage.requests === FLEET_TURNS && !files.length) return [];
    return [`${s.title}: ${s.status} after ${s.usage.requests} requests${files.length ? `, missing ${files.join(', ')}` : ''}${s.statusReason ? ` (${s.statusReason})` : ''}`];
  });
  const sandbox = await sandboxAvailability();
  return {
    kind: 'host',
    sessions: c.sessions,
    done: c.sessions - problems.length,
    problems: problems.slice(0, 5),
    warnings: sink.warnings,
    logged: sink.messages,
    events,
    requests: sessions.reduce((n, s) => n + s.usage.requests, 0),
    seconds,
    cpuUs,
    launcherCpuUs,
    rssBaselineMb,
    rssPeakMb,
    launcherRssPeakMb,
    launcherPrivatePeakMb,
    heapBaselineMb,
    heapRetainedMb,
    loopDelay: loopDelayOf(loop, LOOP_RESOLUTION_MS),
    sessionsChangedCalls: sink.sessionCalls.total,
    sessionEntries: sink.sessionEntries,
    notificationBytes: sink.notificationBytes,
    spendChangedCalls: sink.spendCalls.total,
    sessionsChangedMaxPerSecond: sink.sessionCalls.maxPerSecond(),
    spendChangedMaxPerSecond: sink.spendCalls.maxPerSecond(),
    treeLag: lagsOf(tracker.treeLags),
    meterLag: lagsOf(tracker.meterLags),
    durableLag: lagsOf(tracker.durableLags),
    sandbox: sandbox.ok ? 'commands ran in the OS sandbox' : `no OS sandbox here (${sandbox.reason}); commands ran after the sink approved them`,
  };
}

/** Creates `count` sessions at once and waits until each has settled and its last response is metered. */
async function runSessions(engine: Engine, repo: string, script: string, count: number, label: string, timeoutMs: number): Promise<SessionInfo[]> {
  const started = performance.now();
  const created = await Promise.all(Array.from({ length: count }, (_, i) => engine.sessions.create(
    { repo, task: fleetTask(script, i + 1), title: `${label} ${String(i + 1).padStart(3, '0')}` },
    noProgress,
  )));
  const createdS = (performance.now() - started) / 1000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const open = created.map(s => engine.sessions.info(engine.sessions.get(s.id))).filter(s => ['queued', 'running', 'waiting'].includes(s.status));
      reject(new Error(`${label}: ${open.length} of ${count} sessions still ${open[0]?.status ?? 'open'} after ${timeoutMs} ms (e.g. ${open.slice(0, 3).map(s => `${s.title}: ${s.usage.requests} requests`).join('; ')})`));
    }, timeoutMs);
  });
  try {
    const done = await Promise.race([
      Promise.all(created.map(async s => {
        await engine.sessions.waitUntilSettled(s.id);
        await engine.gateway.drain(s.id);
        return engine.sessions.info(engine.sessions.get(s.id));
      })),
      timeout,
    ]);
    console.error(`[fleet] ${label}: ${count} sessions created in ${createdS.toFixed(1)} s, all settled after ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return done;
  } finally {
    clearTimeout(timer);
  }
}

function makeRepo(dir: string): string {
  mkdirSync(path.join(dir, 'src'), { recursive: true });
  writeFileSync(path.join(dir, 'README.md'), '# Fleet benchmark repository\n');
  writeFileSync(path.join(dir, 'src', 'module.ts'), 'export const answer = 42;\n');
  return commitInitial(dir, { name: 'Fleet Bench', email: 'fleet@example.com' });
}
