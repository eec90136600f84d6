// What confining a command costs: starting `true` in the OS sandbox next to starting it unconfined, in a
// child built as the shipped host is (bench/sandboxChild.ts), with the host's V8 flags and environment.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { SandboxStartupTimes } from '../src/host/sandbox/bench';
import { HOST_NODE_FLAGS, hostEnv } from '../src/protocol/host';
import type { BenchResult } from './types';

const RUNS = 25;

export default async function sandbox(): Promise<BenchResult> {
  const child = path.join(__dirname, '..', 'shipped', 'sandboxBench.js');
  const out = execFileSync(process.execPath, [...HOST_NODE_FLAGS, child, String(RUNS)], {
    env: { ...process.env, ...hostEnv(process.env) },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 300_000,
  });
  const t = JSON.parse(out.trim().split('\n').pop() ?? '') as SandboxStartupTimes;
  return {
    title: 'Sandboxed commands: start-up cost',
    method:
      `Median of ${t.runs} runs of \`true\` through the sandboxed command runner (bubblewrap with seccomp and ` +
      'the network proxy, as every agent command runs) and through the unconfined runner, on the same machine in the ' +
      'same run, in a child process built as the shipped host is (bundled with its packages, minified; esbuild.mjs, ' +
      'out/shipped). Both include spawning /bin/sh in its own process group. Wall time is the agent\'s wait; CPU is the ' +
      'host process\'s own (process.cpuUsage: preparing the sandbox, forking, reading the output), not the command\'s.',
    figures: [
      { name: 'sandboxed start', value: t.sandboxedMedianMs, unit: 'ms' },
      { name: 'unconfined start', value: t.unconfinedMedianMs, unit: 'ms' },
      { name: 'added per command', value: t.overheadMs, unit: 'ms' },
      { name: 'host CPU per sandboxed command', value: t.sandboxedCpuMedianMs, unit: 'ms' },
      { name: 'host CPU per unconfined command', value: t.unconfinedCpuMedianMs, unit: 'ms' },
    ],
    extra: [
      'Preparing the sandbox is the library\'s work in the host: it resolves the policy\'s paths (most of it: realpath, lstat and readlink of each one), lists the working folder for files to protect and builds the bubblewrap command.',
      'Upstream, it also starts two processes for every command, each a fork of the host: `which` through spawnSync to find the shell, and ripgrep for that listing. The host\'s bundles answer both in process (src/host/sandbox/which.ts and ripgrep.ts).',
      'Next to an agent turn (seconds) and to the commands agents run (builds, tests), it is small; a burst of tiny commands feels it most.',
    ].join(' '),
  };
}
