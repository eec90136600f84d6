// Child process for fileLock tests.
//   { mode: 'count', lockPath, counter, trace, iterations }: increment a counter file under the lock
//   { mode: 'hold', lockPath, staleMs? }: take the lock, print "locked", and hold it until killed
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { withFileLock } from '../../../src/host/util/fileLock';

interface Args { mode: 'count' | 'hold'; lockPath: string; counter?: string; trace?: string; iterations?: number; staleMs?: number }

async function main(a: Args): Promise<void> {
  if (a.mode === 'hold') {
    await withFileLock(a.lockPath, async () => {
      process.stdout.write('locked\n');
      // A pending timer keeps the process alive (a bare unresolved promise would let it exit).
      await new Promise(() => setInterval(() => undefined, 1 << 30));
    }, a.staleMs === undefined ? {} : { staleMs: a.staleMs });
    return;
  }
  for (let i = 0; i < (a.iterations ?? 0); i++) {
    await withFileLock(a.lockPath, async () => {
      appendFileSync(a.trace!, `B ${process.pid}\n`);
      const n = Number(readFileSync(a.counter!, 'utf8'));
      await yieldToLoop();
      writeFileSync(a.counter!, String(n + 1));
      appendFileSync(a.trace!, `E ${process.pid}\n`);
    }, { timeoutMs: 30_000 });
  }
}

main(JSON.parse(process.argv[2]!) as Args).then(
  () => process.exit(0),
  e => { process.stderr.write(String((e as Error).stack ?? e)); process.exit(1); },
);
