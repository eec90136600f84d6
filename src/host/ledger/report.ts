// Spend reports (by session, day, model or tier) and their CSV export, computed from the rollups.
import type { ReportGroup, ReportRow } from '../../protocol/spend';
import { sortByCost, sumInto } from './monthView';
import type { Agg, Keyed, Rollups } from './rollups';
import { totalsOf } from './rollups';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * `since` is a local date (YYYY-MM-DD), inclusive. `labelFor` names a key for people (a session's
 * title); without it the label is the key.
 */
export function report(rollups: Rollups, by: ReportGroup, since?: string, labelFor?: (key: string) => string): ReportRow[] {
  if (since !== undefined && !DAY.test(since)) throw new RangeError(`--since must be a date (YYYY-MM-DD), got "${since}"`);
  const inRange = (day: string) => since === undefined || day >= since;
  let rows: [string, Readonly<Agg>][];
  if (by === 'day') {
    rows = [...rollups.byDay].filter(([day]) => inRange(day)).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  } else if (since === undefined) {
    rows = sortByCost(whole(rollups, by));
  } else {
    const sums = new Map<string, Agg>();
    for (const day of rollups.byDay.keys()) if (inRange(day)) sumInto(sums, perDay(rollups, by, day));
    rows = sortByCost(sums);
  }
  return rows.map(([key, a]) => {
    const t = totalsOf(a);
    return {
      key,
      label: labelFor?.(key) ?? key,
      usage: t.usage,
      costUsd: t.costUsd,
      unpricedRequests: t.unpricedRequests,
      estimatedRequests: t.estimatedRequests,
      priorityPremiumUsd: t.priorityPremiumUsd,
    };
  });
}

function whole(r: Rollups, by: Exclude<ReportGroup, 'day'>): Keyed {
  return by === 'session' ? r.bySession : by === 'model' ? r.byModel : r.byTier;
}

function perDay(r: Rollups, by: Exclude<ReportGroup, 'day'>, day: string): Keyed {
  return by === 'session' ? r.daySessions(day) : by === 'model' ? r.dayModels(day) : r.dayTiers(day);
}

// New columns go last: spreadsheets and scripts that read the older columns by position keep working.
const CSV_HEADER = [
  'key', 'label', 'requests', 'input', 'cached', 'cache_write', 'output', 'reasoning', 'cost_usd', 'unpriced_requests', 'priority_premium_usd',
  'estimated_requests',
];

/** RFC 4180 CSV (CRLF line ends), safe to open in a spreadsheet. */
export function toCsv(rows: readonly ReportRow[]): string {
  const lines = [CSV_HEADER.join(',')];
  for (const r of rows) {
    const u = r.usage;
    lines.push(
      [cell(r.key), cell(r.label), u.requests, u.input, u.cached, u.cacheWrite, u.output, u.reasoning, r.costUsd.toFixed(6), r.unpricedRequests, r.priorityPremiumUsd.toFixed(6), r.estimatedRequests].join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}

function cell(text: string): string {
  // Session titles are user text: a leading = + - @ would run as a formula in a spreadsheet.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
