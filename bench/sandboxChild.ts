// The sandbox start-up measurement, built as dist/host.js is (esbuild.mjs, out/shipped): the sandbox
// library bundled, with the host's own replacements in it, so the figures are those of the shipped host.
// Prints one JSON line (SandboxStartupTimes) on stdout.
import { measureSandboxStartup } from '../src/host/sandbox/bench';
import { disposeSandboxRuntime } from '../src/host/sandbox/runtime';

const RUNS = Number(process.argv[2] ?? 25);

measureSandboxStartup(RUNS)
  .then(t => process.stdout.write(`${JSON.stringify(t)}\n`))
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  })
  .finally(() => void disposeSandboxRuntime());
