// How long starting one child process holds up the thread that starts it: spawn() on that thread (a fork
// of the whole process, whose cost grows with its resident memory) against launch() through the host's
// launcher thread (a message to it). Measured at this process's size and with 100 MB more resident.
import { spawn } from 'node:child_process';
import { launch, useLauncherThread } from '../src/host/util/launcher';
import { median } from './types';

export interface SpawnCost {
  rssMb: number;
  spawnMs: number;
  launchMs: number;
}

const SAMPLES = 30;

interface Started {
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

async function blockedMs(start: () => Started): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t = performance.now();
    const child = start();
    times.push(performance.now() - t);
    await new Promise<void>(resolve => {
      child.on('error', () => {});
      child.on('close', resolve);
    });
  }
  return median(times);
}

async function measure(cwd: string): Promise<SpawnCost> {
  const spawnMs = await blockedMs(() => spawn('git', ['--version'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] }));
  // As a big fleet runs: from the launcher thread (the host turns it on above 50 running sessions).
  useLauncherThread(true);
  const launchMs = await blockedMs(() => launch('git', ['--version'], { cwd, env: process.env })).finally(() => useLauncherThread(false));
  return { rssMb: process.memoryUsage().rss / 2 ** 20, spawnMs, launchMs };
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
