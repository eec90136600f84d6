// `switchyard report`'s text form: aligned rows, a TOTAL under several, and a legend under the table for
// what a cost cannot say by itself: that it includes estimates, or leaves out unpriced requests. `sessions`
// shows its costs the same way.
import type { ReportGroup, ReportRow } from '../protocol/spend';
import { cutKeepingId, fitTable, type FitColumn } from './fitTable';
import { wrapLine } from './helpWrap';

/** Follows a cost that includes estimated requests (streams cut before the provider reported usage). */
export const ESTIMATE_MARK = '~';

interface Figures {
  requests: number;
  input: number;
  cached: number;
  output: number;
  costUsd: number;
  priorityPremiumUsd: number;
  unpricedRequests: number;
  estimatedRequests: number;
}

const SUMMED: readonly (keyof Figures)[] = ['requests', 'input', 'cached', 'output', 'costUsd', 'priorityPremiumUsd', 'unpricedRequests', 'estimatedRequests'];

/** The table; `width`, a terminal's, fits it there (labels cut, the legend wrapped). */
export function reportTable(rows: readonly ReportRow[], by: ReportGroup, since?: string, width?: number): string {
  if (!rows.length) return since ? `No spend recorded since ${since}.` : 'No spend recorded.';
  const figures = rows.map((r): Figures => ({
    ...r.usage,
    costUsd: r.costUsd,
    priorityPremiumUsd: r.priorityPremiumUsd,
    unpricedRequests: r.unpricedRequests,
    estimatedRequests: r.estimatedRequests,
  }));
  const total = Object.fromEntries(SUMMED.map(k => [k, figures.reduce((n, f) => n + f[k], 0)])) as unknown as Figures;
  // Titles repeat across sessions (and repositories): a session's row also names its id, as `sessions` does.
  const table = rows.map((r, i) => cells(by === 'session' && r.label !== r.key ? `${r.label} [${r.key}]` : r.label, figures[i]!));
  if (rows.length > 1) table.push(cells('TOTAL', total));
  const head = [by.toUpperCase(), 'REQS', 'INPUT', 'CACHED', 'OUTPUT', 'COST', 'PRIORITY+', 'UNPRICED'];
  // On a terminal, PRIORITY+ and UNPRICED show only when some row has one: the label gets their room.
  // A session's label is cut before its id, never into it: the id is what `resume` and `trace` take.
  const idRoom = by === 'session' ? Math.max(0, ...rows.map(r => r.key.length + 3)) + 2 : 0;
  const label: FitColumn = { min: Math.max(12, idRoom), cut: cutKeepingId };
  const blank: FitColumn = { drop: 'when-blank' };
  const lines = fitTable([head, ...table], [label, {}, {}, {}, {}, {}, blank, blank], width);
  return [...lines, ...legendLines(legend(total), width)].join('\n');
}

function cells(label: string, f: Figures): string[] {
  return [
    label,
    String(f.requests),
    String(f.input),
    String(f.cached),
    String(f.output),
    costCell(f),
    f.priorityPremiumUsd ? `$${f.priorityPremiumUsd.toFixed(4)}` : '-',
    f.unpricedRequests ? String(f.unpricedRequests) : '-',
  ];
}

/** A COST cell, here and in `sessions`: dollars (or `unpriced` when no request had a price), `~` when it includes estimates. */
export function costCell(f: Pick<Figures, 'requests' | 'costUsd' | 'unpricedRequests' | 'estimatedRequests'>): string {
  // Unpriced is never shown as $0: a row of nothing but unpriced requests has no dollar figure at all.
  const dollars = f.requests > 0 && f.unpricedRequests === f.requests ? 'unpriced' : `$${f.costUsd.toFixed(4)}`;
  return f.estimatedRequests ? dollars + ESTIMATE_MARK : dollars;
}

/** The line under a table (here and in `sessions`) that says what `~` means and how many requests it covers. */
export function estimateLegend(estimated: number): string {
  // Cut streams, requests of processes that died mid-request (recorded by the next one), servers that send no
  // usage or usage that cannot be read, and responses served at a tier without a price here.
  const one = estimated === 1;
  return `${ESTIMATE_MARK} includes ${estimated} estimated ${one ? 'request' : 'requests'} (${one ? 'its' : 'their'} usage never came or could not be read, as when a stream is cut; or ${one ? 'it was' : 'they were'} served at a tier without a price here)`;
}

/** A table's legend, each line wrapped to a terminal's `width` (continuations indented two). */
export function legendLines(lines: readonly string[], width?: number): string[] {
  return width === undefined ? [...lines] : lines.flatMap(l => wrapLine(l, 2, width));
}

/** One line per qualifier present in the table; none when every figure is exact and priced. */
function legend(total: Figures): string[] {
  const out: string[] = [];
  if (total.estimatedRequests) out.push(estimateLegend(total.estimatedRequests));
  if (total.unpricedRequests) out.push('UNPRICED: requests to a model without a price, counted in tokens but not in COST');
  return out;
}
