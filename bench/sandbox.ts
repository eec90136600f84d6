// What confining a command costs: starting `true` in the OS sandbox next to starting it unconfined.
import { measureSandboxStartup } from '../src/host/sandbox/bench';
import { disposeSandboxRuntime } from '../src/host/sandbox/runtime';
import type { BenchResult } from './types';

export default async function sandbox(): Promise<BenchResult> {
  try {
    const t = await measureSandboxStartup(25);
    return {
      title: 'Sandboxed commands: start-up cost',
      method:
        `Median wall time of ${t.runs} runs of \`true\` through the sandboxed command runner (bubblewrap with seccomp and ` +
        'the network proxy, as every agent command runs) and through the unconfined runner, on the same machine in the ' +
        'same run. Both include spawning /bin/sh in its own process group.',
      figures: [
        { name: 'sandboxed start', value: t.sandboxedMedianMs, unit: 'ms' },
        { name: 'unconfined start', value: t.unconfinedMedianMs, unit: 'ms' },
        { name: 'added per command', value: t.overheadMs, unit: 'ms' },
      ],
      extra: 'About half of the added time prepares the sandbox (policy, proxy rules) and half starts bubblewrap. Next to an agent turn (seconds) and to the commands agents run (builds, tests), it is small; a burst of tiny commands feels it most.',
    };
  } finally {
    await disposeSandboxRuntime();
  }
}
