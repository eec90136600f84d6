// What the sandbox costs per command: the median wall time of running `true` through the sandboxed
// runner next to the unconfined one (the proxies are started before timing, as in a running host).
import { promises as fs, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { localRunner } from '../agent/tools/localRunner';
import type { CommandRunner, CommandRunOptions } from '../agent/tools/types';
import { sandboxAvailability } from './availability';
import { SandboxUnavailableError } from './errors';
import { sessionPolicy } from './policy';
import { type SandboxRuntime, sandboxRuntime } from './runtime';
import { createSandboxRunner } from './sandboxRunner';

export interface SandboxStartupTimes {
  runs: number;
  sandboxedMedianMs: number;
  unconfinedMedianMs: number;
  /** sandboxed minus unconfined. */
  overheadMs: number;
  /** This process's own CPU per command (the command's processes not counted): what the host pays. */
  sandboxedCpuMedianMs: number;
  unconfinedCpuMedianMs: number;
}

export async function measureSandboxStartup(n: number, runtime: SandboxRuntime = sandboxRuntime()): Promise<SandboxStartupTimes> {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`measureSandboxStartup needs a positive number of runs, got ${n}`);
  const available = await sandboxAvailability({ runtime });
  if (!available.ok) throw new SandboxUnavailableError(available.reason, available.install);
  const root = realpathSync(await fs.mkdtemp(path.join(os.tmpdir(), 'switchyard-sandbox-bench-')));
  try {
    const worktree = path.join(root, 'wt');
    await fs.mkdir(worktree);
    const policy = sessionPolicy({ worktree, tempDir: path.join(root, 'tmp'), switchyardHome: path.join(root, 'home'), denyRead: [] });
    const opts: CommandRunOptions = { cwd: worktree, timeoutMs: 30_000, signal: new AbortController().signal, outputCapBytes: 4096 };
    const sandboxed = await timeRuns(createSandboxRunner({ policy, runtime }), opts, n);
    const unconfined = await timeRuns(localRunner, opts, n);
    return {
      runs: n,
      sandboxedMedianMs: sandboxed.wallMs,
      unconfinedMedianMs: unconfined.wallMs,
      overheadMs: sandboxed.wallMs - unconfined.wallMs,
      sandboxedCpuMedianMs: sandboxed.cpuMs,
      unconfinedCpuMedianMs: unconfined.cpuMs,
    };
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

async function timeRuns(runner: CommandRunner, opts: CommandRunOptions, n: number): Promise<{ wallMs: number; cpuMs: number }> {
  // One untimed run first: it pays for loading and starting whatever is started once per host.
  await mustSucceed(runner, opts);
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await mustSucceed(runner, opts);
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wallMs: median(times), cpuMs: median(cpu) };
}

async function mustSucceed(runner: CommandRunner, opts: CommandRunOptions): Promise<void> {
  const r = await runner('true', opts);
  if (r.exitCode !== 0) throw new Error(`\`true\` failed while measuring (exit ${r.exitCode}): ${r.output.trim()}`);
}

export function median(values: readonly number[]): number {
  if (!values.length) throw new RangeError('median of no values');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
