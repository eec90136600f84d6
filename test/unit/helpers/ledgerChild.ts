// Child process for ledger tests: appends records with ids `<prefix>-<n>`, `concurrency` at a time.
// With `acks`, prints "ack <id>" as soon as each append has resolved (the record is durable).
import { Ledger } from '../../../src/host/ledger/ledger';
import { makeRecord } from './records';

interface Args { dir: string; prefix: string; count: number; concurrency: number; acks?: boolean }

async function main(a: Args): Promise<void> {
  const ledger = await Ledger.open(a.dir, { log: (level, m) => process.stderr.write(`${level}: ${m}\n`) });
  let next = 0;
  const worker = async () => {
    while (next < a.count) {
      const id = `${a.prefix}-${next++}`;
      await ledger.append(makeRecord(id, { sessionId: a.prefix, ts: new Date().toISOString() }));
      if (a.acks) process.stdout.write(`ack ${id}\n`);
    }
  };
  await Promise.all(Array.from({ length: a.concurrency }, worker));
  await ledger.close();
  process.stdout.write('done\n');
}

main(JSON.parse(process.argv[2]!) as Args).then(
  () => process.exit(0),
  e => { process.stderr.write(String((e as Error).stack ?? e)); process.exit(1); },
);
