// switchyard report: spend from the shared ledger, grouped, as a table, JSON or CSV.
import type { ReportGroup } from '../../protocol/spend';
import type { CommandSpec, ParsedFlags } from '../args';
import { UsageError } from '../args';
import { toCsv } from '../../host/ledger/report';
import { noHomeYet, startCliEngine } from '../engineForCli';
import { reportTable } from '../reportTable';
import { terminalColumns } from '../fitTable';

export const reportSpec: CommandSpec = {
  name: 'report',
  summary: 'Spend by session, day, model or tier, from the ledger every window and CLI run shares.',
  usage: 'switchyard report [--since YYYY-MM-DD] [--by session|day|model|tier] [--json|--csv]',
  flags: {
    since: { type: 'string', help: 'only from this day on (local date)' },
    by: { type: 'string', values: ['session', 'day', 'model', 'tier'], help: 'grouping (default: day)' },
    json: { type: 'boolean', help: 'print JSON' },
    csv: { type: 'boolean', help: 'print CSV' },
  },
};

export async function reportCommand(flags: ParsedFlags, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const since = flags.since as string | undefined;
  if (since !== undefined && !isCalendarDate(since)) throw new UsageError(`--since must be a date like 2026-11-01, not "${since}"`);
  if (flags.json && flags.csv) throw new UsageError('choose one of --json and --csv');
  // Warnings (a damaged ledger line skipped) go to stderr: the figures on stdout would otherwise differ
  // from what the sessions show, with no word why.
  const by = (flags.by as ReportGroup | undefined) ?? 'day';
  if (await noHomeYet()) {
    out(flags.csv ? toCsv([]).trimEnd() : flags.json ? '[]' : reportTable([], by, since));
    return 0;
  }
  const engine = await startCliEngine({ passive: true, verbose: err });
  try {
    if (flags.csv) {
      out((await engine.spend.reportCsv({ by, since })).trimEnd());
      return 0;
    }
    const rows = await engine.spend.report({ by, since });
    out(flags.json ? JSON.stringify(rows, null, 2) : reportTable(rows, by, since, terminalColumns()));
    return 0;
  } finally {
    await engine.shutdown();
  }
}

/** YYYY-MM-DD naming a day that exists (2026-02-30 and 2026-13-01 do not). */
function isCalendarDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}
