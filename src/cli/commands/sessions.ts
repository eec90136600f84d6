// switchyard sessions: the sessions of a repository (or of every repository), as the sidebar shows them.
import path from 'node:path';
import { percent } from '../../protocol/percent';
import type { SessionInfo } from '../../protocol/types';
import type { CommandSpec, ParsedFlags } from '../args';
import { noHomeYet, startCliEngine } from '../engineForCli';
import { costCell, estimateLegend, legendLines } from '../reportTable';
import { fitTable, terminalColumns } from '../fitTable';
import { isOrphanedQueuedReason } from '../../host/sessions/ownership';

export const sessionsSpec: CommandSpec = {
  name: 'sessions',
  summary: 'List sessions with their status, tier, tokens and cost.',
  usage: 'switchyard sessions [--repo DIR] [--json]',
  flags: {
    repo: { type: 'string', help: 'only this repository (default: every repository with sessions)' },
    json: { type: 'boolean', help: 'print a JSON array' },
  },
};

export async function sessionsCommand(flags: ParsedFlags, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  // Nothing ran here yet (a --repo named is still checked: a wrong one is said as such).
  if (!flags.repo && (await noHomeYet())) {
    out(flags.json ? '[]' : formatTable([]));
    return 0;
  }
  const engine = await startCliEngine({ passive: true, verbose: err });
  try {
    const repo = flags.repo ? await engine.sessions.repoRootOf(path.resolve(flags.repo as string)) : undefined;
    const list = await engine.sessions.list(repo);
    if (flags.json) out(JSON.stringify(list, null, 2));
    else out(formatTable(list, terminalColumns()));
    return 0;
  } finally {
    await engine.shutdown();
  }
}

/** The table; `width`, a terminal's, fits it there (repository, branch and title cut, the legend wrapped). */
export function formatTable(list: readonly SessionInfo[], width?: number): string {
  if (!list.length) return 'No sessions.';
  // Sessions of several repositories can share titles and branch names: say whose each is.
  const repos = new Set(list.map(s => s.repo)).size > 1;
  const rows = list.map(s => [
    s.id,
    s.status === 'running' && s.statusReason ? 'running (retrying)' : isOrphanedQueuedReason(s.statusReason) ? 'queued (its run ended)' : s.status,
    s.tier,
    costOf(s),
    percent(s.usage.input > 0 ? s.usage.cached / s.usage.input : 0),
    String(s.usage.requests),
    ...(repos ? [path.basename(s.repo)] : []),
    s.branch,
    s.title,
  ]);
  const head = ['ID', 'STATUS', 'TIER', 'COST', 'CACHED', 'REQS', ...(repos ? ['REPO'] : []), 'BRANCH', 'TITLE'];
  // The id, status and figures stay whole: the names give, the widest first. Where the title would have fewer
  // than 16 columns even so, the branch goes (it is the title's slug; `--json` and piped output have it).
  const lines = fitTable([head, ...rows], [{}, {}, {}, {}, {}, {}, ...(repos ? [{ min: 8 }] : []), { min: 16, drop: 'when-narrow' }, { min: 16 }], width);
  const estimated = list.reduce((n, s) => n + s.estimatedRequests, 0);
  return [...lines, ...legendLines(estimated ? [estimateLegend(estimated)] : [], width)].join('\n');
}

/** As `report` shows a cost: `unpriced` rather than $0, `~` when it includes estimates. */
function costOf(s: SessionInfo): string {
  const cell = costCell({ requests: s.usage.requests, costUsd: s.costUsd, unpricedRequests: s.unpricedRequests, estimatedRequests: s.estimatedRequests });
  // Priced and unpriced requests both: the dollars leave some out (report counts those in a column of their own).
  const partlyPriced = s.unpricedRequests > 0 && s.unpricedRequests < s.usage.requests;
  return partlyPriced ? `${cell}+unpriced` : cell;
}
