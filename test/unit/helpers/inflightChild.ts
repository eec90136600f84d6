// Child process for the in-flight recovery tests: notes `records` in its journal as the gateway does before
// sending them, appends those listed in `appended` to the ledger (as if their responses ended, the process
// then dying before it could end their notes), optionally saves a rollup snapshot, prints "noted", and
// waits to be killed.
import path from 'node:path';
import type { UsageRecord } from '../../../src/protocol/records';
import { INFLIGHT_DIR, InflightJournal } from '../../../src/host/ledger/inflightJournal';
import { Ledger } from '../../../src/host/ledger/ledger';

interface Args { dir: string; records: UsageRecord[]; appended?: string[]; snapshot?: boolean }

async function main(a: Args): Promise<void> {
  const ledger = await Ledger.open(a.dir);
  const journal = new InflightJournal({ dir: path.join(a.dir, INFLIGHT_DIR), ledgerOffset: () => ledger.offset, log: (_, m) => process.stderr.write(`${m}\n`) });
  for (const r of a.records) journal.begin(r);
  for (const r of a.records) if (a.appended?.includes(r.id)) await ledger.append(r);
  if (a.snapshot) await ledger.snapshot();
  process.stdout.write('noted\n');
  setInterval(() => undefined, 60_000);
}

main(JSON.parse(process.argv[2]!) as Args).catch(e => {
  process.stderr.write(String((e as Error).stack ?? e));
  process.exit(1);
});
