// Reads a V8 CPU profile (node --cpu-prof) into the few lines worth printing: where the busy time went,
// by area (our bundled code, the openai SDK, Node's HTTP client, GC…) and by the hottest functions.

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
  samples?: number[];
}

export interface Share {
  name: string;
  /** Percent of the non-idle samples. */
  pct: number;
}

export interface ProfileSummary {
  busySamples: number;
  areas: Share[];
  functions: Share[];
}

/** Which part of the process a frame belongs to, from its script URL. */
export function areaOf(url: string, functionName: string): string {
  // fork/exec happens inside the synchronous spawn call, so its self time is the cost of starting a child.
  if (url.includes('internal/child_process') || (!url && (functionName === 'spawn' || functionName === 'spawnSync'))) return 'starting child processes (git, sandbox)';
  if (!url) {
    if (functionName === '(garbage collector)') return 'garbage collection';
    if (functionName === '(program)') return 'V8/native (program)';
    return `native ${functionName || '(anonymous)'}`;
  }
  if (url.includes('/out/test/benchSuite/')) return 'benchmark suite (measuring)';
  if (url.includes('/dist/extension.js')) return 'Switchyard extension';
  if (/\/out\/vs\/|extensionHostProcess/.test(url)) return 'VS Code extension host';
  if (url.includes('/node_modules/openai/')) return 'openai SDK';
  if (url.includes('undici')) return 'fetch (undici)';
  if (url.startsWith('node:internal/streams') || url.includes('/webstreams/')) return 'Node streams';
  if (url.startsWith('node:') || url.startsWith('internal/')) return 'Node core (other)';
  if (url.includes('/node_modules/')) return `package ${/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? '?'}`;
  return 'Switchyard (bundled src/host)';
}

export function summariseProfile(p: CpuProfile, top = 12): ProfileSummary {
  const hits = new Map<number, number>();
  if (p.samples?.length) for (const id of p.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  else for (const n of p.nodes) hits.set(n.id, n.hitCount ?? 0);
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  for (const n of p.nodes) {
    const h = hits.get(n.id) ?? 0;
    if (!h || n.callFrame.functionName === '(idle)') continue;
    busy += h;
    const { functionName, url, lineNumber } = n.callFrame;
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + h);
    const where = url ? `${url.replace(/^.*\/(node_modules\/|out\/|dist\/)/, '$1')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    functions.set(key, (functions.get(key) ?? 0) + h);
  }
  const shares = (m: Map<string, number>, n: number): Share[] =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, h]) => ({ name, pct: busy ? (100 * h) / busy : 0 }));
  return { busySamples: busy, areas: shares(areas, 10), functions: shares(functions, top) };
}

/** Percent of busy time in functions whose name matches `pattern` (among the summary's hottest). */
export function shareOf(s: ProfileSummary, pattern: RegExp): number {
  return s.functions.filter(f => pattern.test(f.name)).reduce((sum, f) => sum + f.pct, 0);
}

export function profileMarkdown(s: ProfileSummary, topFunctions = 15): string {
  const rows = (xs: Share[]) => xs.map(x => `| ${x.name.replace(/\|/g, '\\|')} | ${x.pct.toFixed(1)} % |`);
  return [
    `Busy samples: ${s.busySamples}.`,
    '',
    '| area (self time) | share |',
    '| --- | ---: |',
    ...rows(s.areas),
    '',
    '| hottest functions (self time) | share |',
    '| --- | ---: |',
    ...rows(s.functions.slice(0, topFunctions)),
  ].join('\n');
}
