// Child process for the budget race: reserve against a shared day cap, spend the whole worst case
// (the most a reservation allows), record it, settle; until refused. Prints "ready" once set up, starts
// when the `go` file exists (so that every process races from the same moment), and prints "done <requests>".
import { existsSync } from 'node:fs';
import { BudgetKeeper } from '../../../src/host/budgets/budgetKeeper';
import { Ledger } from '../../../src/host/ledger/ledger';
import { costOf } from '../../../src/host/pricing/cost';
import { loadPriceTable } from '../../../src/host/pricing/priceTable';
import { makeRecord } from './records';

interface Args { dir: string; prefix: string; dayUsd: number; now: string; model: string; go: string }

async function main(a: Args): Promise<void> {
  const table = loadPriceTable();
  const now = new Date(a.now);
  const ledger = await Ledger.open(a.dir);
  const keeper = new BudgetKeeper({ ledger, dir: a.dir, prices: () => table, now: () => now, lock: { timeoutMs: 30_000 } });
  process.stdout.write('ready\n');
  while (!existsSync(a.go)) await new Promise(resolve => setTimeout(resolve, 5));
  let requests = 0;
  for (;;) {
    const estimatedInputTokens = 2_000 + Math.floor(Math.random() * 1_000);
    const r = await keeper.reserve(
      { sessionId: a.prefix, model: a.model, estimatedInputTokens, maxOutputTokens: 500 + Math.floor(Math.random() * 500), minOutputTokens: 100 },
      { sessionUsd: null, dayUsd: a.dayUsd, monthUsd: null },
    );
    if (!r.ok) break;
    const usage = { input: estimatedInputTokens, cached: 0, cacheWrite: 0, output: r.maxOutputTokens, reasoning: 0 };
    const cost = costOf(table, a.model, 'priority', usage);
    await ledger.append(makeRecord(`${a.prefix}-${requests}`, {
      sessionId: a.prefix, model: a.model, ts: now.toISOString(), requestedTier: 'flex', servedTier: 'priority', ...usage, ...cost,
    }));
    await keeper.settle(r.reservationId);
    requests++;
  }
  await ledger.close();
  process.stdout.write(`done ${requests}\n`);
}

main(JSON.parse(process.argv[2]!) as Args).then(
  () => process.exit(0),
  e => { process.stderr.write(String((e as Error).stack ?? e)); process.exit(1); },
);
