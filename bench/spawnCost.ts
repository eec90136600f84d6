// What starting one child process costs: spawn() on the calling thread (a fork of the whole process, whose
// cost grows with its resident memory) against launch() through the host's launcher process (a message to
// it; the fork happens there). For each: how long the calling thread is held up, and the CPU time spent,
// the launcher process's included. Measured at this process's size and with 100 MB more resident.
import { spawn } from 'node:child_process';
import { launch, launcherUsage, useLauncherProcess } from '../src/host/util/launcher';
import { median } from './types';

export interface SpawnCost {
  rssMb: number;
  spawnMs: number;
  launchMs: number;
  /** CPU per process started in place, and through the launcher (this process's and the launcher's). */
  spawnCpuMs: number;
  launchCpuMs: number;
}

const SAMPLES = 30;

interface Started {
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

async function measured(start: () => Started): Promise<{ blockedMs: number; cpuMs: number }> {
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  const helper0 = launcherUsage().cpuUs;
  for (let i = 0; i < SAMPLES; i++) {
    const t = performance.now();
    const child = start();
    times.push(performance.now() - t);
    await new Promise<void>(resolve => {
      child.on('error', () => {});
      child.on('close', resolve);
    });
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuUs = cpu.user + cpu.system + launcherUsage().cpuUs - helper0;
  return { blockedMs: median(times), cpuMs: cpuUs / 1000 / SAMPLES };
}

async function measure(cwd: string): Promise<SpawnCost> {
  const here = await measured(() => spawn('git', ['--version'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] }));
  // As a big fleet runs: from the launcher process (the host starts it above 50 running sessions).
  await useLauncherProcess(true);
  const there = await measured(() => launch('git', ['--version'], { cwd, env: process.env })).finally(() => useLauncherProcess(false));
  return { rssMb: process.memoryUsage().rss / 2 ** 20, spawnMs: here.blockedMs, launchMs: there.blockedMs, spawnCpuMs: here.cpuMs, launchCpuMs: there.cpuMs };
}

/** [as the process is, with 100 MB more resident] */
export async function spawnCosts(cwd: string): Promise<[SpawnCost, SpawnCost]> {
  const asIs = await measure(cwd);
  // Touched, so it is resident: the page tables a fork copies.
  const ballast = Array.from({ length: 100 }, () => Buffer.alloc(2 ** 20, 1));
  const bigger = await measure(cwd);
  ballast.length = 0;
  return [asIs, bigger];
}
