// Ten `switchyard run` processes at once against one provider rate-limit window: how many of their
// requests the provider answers 429 when the processes share what it says of the window (one home, as a
// user's CLI runs and windows do), next to the same fleet where each process hears only its own responses.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeRepo } from '../test/unit/helpers/engineKit';
import { startTestUpstream, type Script } from '../test/upstream/server';
import { median, type BenchResult } from './types';

const RUNS = 10;
const ROUNDS = 3;
/** A window a fleet spends several times over, short so the benchmark sees it reset. */
const LIMIT = { requests: 25, tokens: 100_000_000, windowMs: 4000 };
const EVENT_DELAY_MS = 20;

const SIX_TURNS: Script = {
  steps: [
    { calls: [{ name: 'read_file', arguments: { path: 'README.md' } }] },
    { calls: [{ name: 'list_files', arguments: {} }] },
    { calls: [{ name: 'read_file', arguments: { path: 'src/app.txt' } }] },
    { calls: [{ name: 'list_files', arguments: { path: 'src' } }] },
    { calls: [{ name: 'write_file', arguments: { path: 'out-{{n}}.txt', content: 'done\n' } }] },
    { calls: [{ name: 'finish', arguments: { summary: 'done' } }] },
  ],
};
const TURNS = SIX_TURNS.steps.length;

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path.resolve('dist/cli.js'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', d => (stdout += d));
  child.stderr.on('data', d => (stderr += d));
  return new Promise(resolve => child.on('exit', code => resolve({ code, stdout, stderr })));
}

/** One fleet: requests the provider answered 429 (those beyond the sessions' turns), and the wall time. */
async function fleet(shared: boolean): Promise<{ refused: number; seconds: number }> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'sy-bench-rl-'));
  const up = await startTestUpstream({ scripts: { six: SIX_TURNS }, rateLimit: LIMIT, eventDelayMs: EVENT_DELAY_MS });
  try {
    // Alone, each has a repository of its own too: git's locks across processes are the home's.
    const repos = shared ? [makeRepo(root)] : Array.from({ length: RUNS }, (_, i) => makeRepo(root, `repo-${i}`));
    const t0 = performance.now();
    const runs = await Promise.all(Array.from({ length: RUNS }, (_, i) => runCli(['run', '--repo', repos[shared ? 0 : i]!, '--task', `[script:six] task ${i}`, '--json', '--quiet', '--budget', '1'], {
      SWITCHYARD_HOME: path.join(root, shared ? 'home' : `home-${i}`),
      OPENAI_API_KEY: 'sk-bench',
      OPENAI_BASE_URL: up.url,
    })));
    const seconds = (performance.now() - t0) / 1000;
    for (const r of runs) {
      const status = r.code === 0 ? (JSON.parse(r.stdout) as { status: string }).status : `exit ${r.code}`;
      if (status !== 'done') throw new Error(`a run ended ${status}: ${r.stderr.slice(-400)}`);
    }
    return { refused: up.requests.length - RUNS * TURNS, seconds };
  } finally {
    await up.close();
    rmSync(root, { recursive: true, force: true });
  }
}

export default async function rateLimits(): Promise<BenchResult> {
  const sharedRuns: Array<{ refused: number; seconds: number }> = [];
  const aloneRuns: Array<{ refused: number; seconds: number }> = [];
  // Alternated, so the machine's load falls on both alike.
  for (let round = 0; round < ROUNDS; round++) {
    aloneRuns.push(await fleet(false));
    sharedRuns.push(await fleet(true));
  }
  const shared = median(sharedRuns.map(r => r.refused));
  const alone = median(aloneRuns.map(r => r.refused));
  return {
    title: 'Rate limits: ten CLI runs against one provider window',
    method: `${RUNS} \`switchyard run\` processes started at once on one repository, each a ${TURNS}-turn session of the built-in agent, against the test upstream with a window of ${LIMIT.requests} requests per ${LIMIT.windowMs / 1000} s (answered 429 beyond it, with the x-ratelimit-* headers on every response) and ${EVENT_DELAY_MS} ms between streamed events. The fleet makes ${RUNS * TURNS} requests, about ${Math.round((RUNS * TURNS) / LIMIT.requests * 10) / 10} windows' worth. Requests the provider refused: those the upstream recorded beyond the sessions' turns (each 429 is retried by the agent). Sharing: one Switchyard home, as a user's runs and windows have, where each process publishes what the provider last said of the window and reads what the others heard (gateway/sharedRateLimits.ts). Alone: a home and a repository per process, so each hears only its own responses (as Switchyard did before the word was shared). ${ROUNDS} rounds of each, alternated; medians. Every run must finish done.`,
    figures: [
      { name: 'requests answered 429, processes sharing the window (median)', value: shared, unit: 'requests' },
      { name: 'requests answered 429, each process alone (median)', value: alone, unit: 'requests' },
      { name: 'fleet wall time, sharing (median)', value: Math.round(median(sharedRuns.map(r => r.seconds)) * 10) / 10, unit: 's' },
      { name: 'fleet wall time, alone (median)', value: Math.round(median(aloneRuns.map(r => r.seconds)) * 10) / 10, unit: 's' },
    ],
    extra: `Per round (429s): sharing ${sharedRuns.map(r => r.refused).join(', ')}; alone ${aloneRuns.map(r => r.refused).join(', ')}.`,
  };
}
