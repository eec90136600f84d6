// Fleet scale: 10, 50 and 100 sessions of the built-in agent at once, each a multi-turn scripted agent doing
// real tool calls in its own worktree, through the real engine, gateway and ledger, against the test
// upstream streaming at a realistic pace. Measures the host's CPU per streamed event next to the `openai`
// SDK's own cost of parsing the same streams (the floor, measured in the same run), its RSS, how often
// the sidebar and meter are notified, and how fresh those notifications are.
//   FLEET_SCALES=10,50 FLEET_ROUNDS=1 FLEET_PROFILE=1 node bench/run.mjs fleet
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestUpstream } from '../test/upstream/server';
import { countServerSentEvents, type EventCounter } from './fleet/eventCounter';
import { runChild } from './fleet/ipc';
import { summariseProfile, type CpuProfile, type ProfileSummary } from './fleet/profile';
import type { RunConfig, RunFigures } from './fleet/protocol';
import { fleetResult, medianRound, perEvent, type FleetParams, type Pair } from './fleet/report';
import { FLEET_SCRIPT, fleetScripts, SHORT_SCRIPT, type FleetScriptName } from './fleet/script';
import type { BenchResult } from './types';
import { HOST_NODE_FLAGS, hostEnv } from '../src/protocol/host';

const PARAMS: FleetParams = {
  wordsPerTurn: 200,
  eventDelayMs: 25,
  warmup: 3,
  cpuRatioTarget: 1.5,
  freshTargetMs: 250,
  notifyMaxPerSecond: 10,
  profileSessions: 10,
};
// The V8 flags and environment the extension starts the host with (hostClient.ts), for the floor too: same
// heap and allocator, fair CPU.
const HOST_EXEC_ARGV = ['--expose-gc', ...HOST_NODE_FLAGS];
const HOST_CHILD_ENV = { ...process.env, ...hostEnv(process.env) };
const SCALES = (process.env.FLEET_SCALES ?? '10,50,100').split(',').map(Number).filter(n => Number.isInteger(n) && n > 0);
/** Rounds per size: one run's ratio swings with the machine's load (the floor's most). */
const ROUNDS = Math.max(1, Number(process.env.FLEET_ROUNDS ?? 3) || 1);
const RUN_TIMEOUT_MS = 10 * 60_000;

export default async function fleet(): Promise<BenchResult> {
  if (!SCALES.length) throw new Error(`FLEET_SCALES=${process.env.FLEET_SCALES}: expected session counts such as 10,50,100`);
  const counter = countServerSentEvents();
  const up = await startTestUpstream({ scripts: fleetScripts(PARAMS.wordsPerTurn), eventDelayMs: PARAMS.eventDelayMs, recordLimit: 200 });
  try {
    const run = (n: number, script: FleetScriptName) => pair(up.url, counter, n, script);
    const scales: Pair[] = [];
    for (const n of SCALES) {
      const rounds: Pair[] = [];
      for (let r = 0; r < ROUNDS; r++) rounds.push(await run(n, FLEET_SCRIPT));
      scales.push(medianRound(rounds));
    }
    // The smallest size again with a quarter of the text: the difference is the cost of the extra events
    // alone, the rest is what each turn costs whatever it streams.
    const short = await run(SCALES[0]!, SHORT_SCRIPT);
    const missed = scales.some(s => perEvent(s.host) > PARAMS.cpuRatioTarget * perEvent(s.sdk));
    const profile = missed || process.env.FLEET_PROFILE === '1' ? await profileRun(up.url, counter) : undefined;
    return fleetResult(PARAMS, scales, short, profile);
  } finally {
    await up.close();
    counter.uninstall();
  }
}

// Measured runs use the children built as the VSIX's host is (esbuild.mjs, out/shipped); the profile uses one
// built as the tests are, whose functions keep their names and whose packages keep their paths, with the
// sandbox library bundled as the host ships it (out/profiled).
const shippedChild = (name: 'fleetHost' | 'fleetFloor') => path.join(__dirname, '..', 'shipped', `${name}.js`);
const profiledChild = path.join(__dirname, '..', 'profiled', 'fleetHost.js');

function config(upstreamUrl: string, sessions: number, script: FleetScriptName, profileFile?: string): RunConfig {
  return { sessions, script, upstreamUrl, warmup: PARAMS.warmup, timeoutMs: RUN_TIMEOUT_MS, ...(profileFile ? { profileFile } : {}) };
}

/** The engine, then the bare SDK, each in a fresh process, on the same conversations. */
async function pair(upstreamUrl: string, counter: EventCounter, n: number, script: FleetScriptName): Promise<Pair> {
  const opts = { execArgv: HOST_EXEC_ARGV, env: HOST_CHILD_ENV, events: () => counter.count };
  const host = expectKind('host', await runChild(shippedChild('fleetHost'), config(upstreamUrl, n, script), opts));
  const sdk = expectKind('sdk', await runChild(shippedChild('fleetFloor'), config(upstreamUrl, n, script), opts));
  console.error(`[fleet] ${n} × ${script}: host ${perEvent(host).toFixed(1)} µs/event, floor ${perEvent(sdk).toFixed(1)} µs/event, host RSS ${host.rssPeakMb.toFixed(0)} MB`);
  return { host, sdk };
}

function expectKind<K extends RunFigures['kind']>(kind: K, f: RunFigures): Extract<RunFigures, { kind: K }> {
  if (f.kind !== kind) throw new Error(`fleet: expected ${kind} figures, got ${f.kind}`);
  return f as Extract<RunFigures, { kind: K }>;
}

/** The host again at a small size, with a CPU profile of its measured window only. */
async function profileRun(upstreamUrl: string, counter: EventCounter): Promise<{ summary: ProfileSummary; perEventUs: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-fleet-prof-'));
  try {
    const file = path.join(dir, 'host.cpuprofile');
    const opts = { execArgv: HOST_EXEC_ARGV, env: HOST_CHILD_ENV, events: () => counter.count };
    const host = expectKind('host', await runChild(profiledChild, config(upstreamUrl, PARAMS.profileSessions, FLEET_SCRIPT, file), opts));
    return { summary: summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, 40), perEventUs: perEvent(host) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
