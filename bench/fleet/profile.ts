// Reads a V8 CPU profile (node --cpu-prof) into the few lines worth printing: where the busy time went,
// by area (our bundled code, the openai SDK, Node's HTTP client, GC…) and by the hottest functions.

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }[];
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
  /** Busy time by whose code asked for it: the nearest extension (or the benchmark) on the stack. */
  origins?: Share[];
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
  const ext = extensionOf(url);
  if (ext) return ext;
  if (/\/out\/vs\/|extensionHostProcess/.test(url)) return 'VS Code extension host';
  if (url.includes('/node_modules/openai/')) return 'openai SDK';
  if (url.includes('undici')) return 'fetch (undici)';
  if (url.startsWith('node:internal/streams') || url.includes('/webstreams/')) return 'Node streams';
  if (url.startsWith('node:') || url.startsWith('internal/')) return 'Node core (other)';
  if (url.includes('/node_modules/')) return `package ${/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? '?'}`;
  return 'Switchyard (bundled src/host)';
}

const NO_ORIGIN = 'no extension on the stack (VS Code itself, GC, timers)';

/** The extension (or the benchmark suite) a frame's script belongs to, if any. Other extensions ship a
 *  dist/extension.js too: they are told apart by their folder (Switchyard's, installed, is switchyard.*). */
function extensionOf(url: string): string | undefined {
  if (url.includes('/out/test/benchSuite/')) return 'benchmark suite (measuring)';
  const folder = /\/extensions\/([^/]+)\/(?:dist|out)\//.exec(url)?.[1];
  if (folder) return folder.startsWith('switchyard.') ? 'Switchyard extension' : `another extension (${folder})`;
  return url.endsWith('/dist/extension.js') ? 'Switchyard extension' : undefined;
}

/** Like extensionOf, and the benchmark's own host-side code. */
export function originOf(url: string): string | undefined {
  return url.includes('/out/bench/') ? 'benchmark suite (measuring)' : extensionOf(url);
}

/** Each sample goes to the nearest frame on its stack that belongs to an extension; native work (a write, a
 *  spawn) then counts for whoever called it, which self time alone cannot say. */
function origins(p: CpuProfile, hits: Map<number, number>, busy: number): Share[] {
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  if (!parent.size) return [];
  const byId = new Map(p.nodes.map(n => [n.id, n]));
  const memo = new Map<number, string>();
  const originAt = (id: number): string => {
    const seen: number[] = [];
    let at: number | undefined = id;
    let found = NO_ORIGIN;
    while (at !== undefined) {
      const known = memo.get(at);
      if (known) {
        found = known;
        break;
      }
      seen.push(at);
      const o = originOf(byId.get(at)?.callFrame.url ?? '');
      if (o) {
        found = o;
        break;
      }
      at = parent.get(at);
    }
    for (const s of seen) memo.set(s, found);
    return found;
  };
  const totals = new Map<string, number>();
  for (const [id, h] of hits) {
    const n = byId.get(id);
    if (!h || !n || n.callFrame.functionName === '(idle)') continue;
    const o = originAt(id);
    totals.set(o, (totals.get(o) ?? 0) + h);
  }
  return [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([name, h]) => ({ name, pct: busy ? (100 * h) / busy : 0 }));
}

/** Work whose leaf frame cannot say what it is for (a native write, a spawn): named by a frame above it. */
const CALLED_FROM: { frame: (f: CpuProfile['nodes'][number]['callFrame']) => boolean; area: string }[] = [
  // A remote window's connection (code-server's, here) compresses every message to the window.
  { frame: f => f.url === 'node:zlib', area: 'compressing messages to the window (zlib)' },
  // ...and looks for ports to forward, starting processes to do it.
  { frame: f => f.functionName === 'findCandidatePorts', area: "VS Code's port finder (remote port forwarding)" },
];

function calledFrom(p: CpuProfile): (id: number) => string | undefined {
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(p.nodes.map(n => [n.id, n]));
  return id => {
    for (let at = parent.get(id), depth = 0; at !== undefined && depth < 12; at = parent.get(at), depth++) {
      const f = byId.get(at)?.callFrame;
      const hit = f && CALLED_FROM.find(c => c.frame(f));
      if (hit) return hit.area;
    }
    return undefined;
  };
}

export function summariseProfile(p: CpuProfile, top = 12): ProfileSummary {
  const hits = new Map<number, number>();
  if (p.samples?.length) for (const id of p.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  else for (const n of p.nodes) hits.set(n.id, n.hitCount ?? 0);
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  const caller = calledFrom(p);
  let busy = 0;
  for (const n of p.nodes) {
    const h = hits.get(n.id) ?? 0;
    if (!h || n.callFrame.functionName === '(idle)') continue;
    busy += h;
    const { functionName, url, lineNumber } = n.callFrame;
    const area = (!url && caller(n.id)) || areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + h);
    const where = url ? `${url.replace(/^.*\/(node_modules\/|out\/|dist\/)/, '$1')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    functions.set(key, (functions.get(key) ?? 0) + h);
  }
  const shares = (m: Map<string, number>, n: number): Share[] =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, h]) => ({ name, pct: busy ? (100 * h) / busy : 0 }));
  const byOrigin = origins(p, hits, busy);
  return { busySamples: busy, areas: shares(areas, 10), functions: shares(functions, top), ...(byOrigin.length ? { origins: byOrigin } : {}) };
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
    ...(s.origins?.length ? ['', '| on whose behalf (nearest extension on the stack) | share |', '| --- | ---: |', ...rows(s.origins)] : []),
  ].join('\n');
}
