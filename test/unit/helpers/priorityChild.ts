// Starts as the agent host does (its priority from its start arguments, given here as the JSON list runHelper
// passes), then reports the nice value of this process, of each of its threads, and of commands it starts,
// in place and through the launcher process.
import { readdirSync } from 'node:fs';
import * as os from 'node:os';
import { hostPriorityOf } from '../../../src/protocol/host';
import { applyHostPriority } from '../../../src/host/util/priority';
import { launch, useLauncherProcess } from '../../../src/host/util/launcher';
import { localRunner } from '../../../src/host/agent/tools/localRunner';

/** The nice value of the autogroup a command in a group of its own runs in (Linux with autogroups), or null. */
async function autogroupOfCommand(): Promise<number | null> {
  const r = await localRunner('cat /proc/self/autogroup 2>/dev/null || true', { cwd: os.tmpdir(), timeoutMs: 10_000, signal: new AbortController().signal, outputCapBytes: 4096 });
  const m = / nice (-?\d+)/.exec(r.output);
  return m ? Number(m[1]) : null;
}

function niceOfChild(): Promise<number> {
  return new Promise((resolve, reject) => {
    // coreutils' `nice` without a command prints the niceness it runs at.
    const p = launch('nice', [], { cwd: os.tmpdir(), env: process.env });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.on('error', reject);
    p.on('close', code => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`nice exited ${code}`))));
  });
}

async function main(): Promise<void> {
  const problem = applyHostPriority(hostPriorityOf(JSON.parse(process.argv[2]) as string[]));
  const self = os.getPriority(0);
  // Every thread, V8's own included: on Linux each has a nice value of its own (elsewhere, the process's).
  const tids = process.platform === 'linux' ? readdirSync('/proc/self/task').map(Number) : [0];
  const threads = [...new Set(tids.map(tid => os.getPriority(tid)))];
  const inPlace = await niceOfChild();
  const groupInPlace = await autogroupOfCommand();
  await useLauncherProcess(true);
  const fromLauncher = await niceOfChild();
  const groupFromLauncher = await autogroupOfCommand();
  await useLauncherProcess(false);
  console.log(JSON.stringify({ problem: problem ?? null, self, threads, inPlace, fromLauncher, groups: [groupInPlace, groupFromLauncher] }));
}

void main().catch(err => {
  console.error(err);
  process.exit(1);
});
