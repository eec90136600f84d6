// Host lifecycle and configuration messages.
import { NotificationType, RequestType0 } from 'vscode-languageserver-protocol';
import type { ApprovalPolicy, Tier } from './types';

/** Settings the host runs with. The extension sends them from VS Code settings; the CLI from flags and env. */
export interface HostSettings {
  baseURL: string;
  /** 'auto' uses the Responses API and falls back to Chat Completions when the server answers 404. */
  api: 'auto' | 'responses' | 'chat';
  model: string;
  extraHeaders: Record<string, string>;
  defaultTier: Tier;
  defaultRole: string;
  defaultApproval: ApprovalPolicy;
  maxOutputTokens: number;
  maxTurns: number;
  /** Summarise older turns at this many input tokens; 0: at 80% of the model's context window. */
  compactAtTokens: number;
  commandTimeoutSec: number;
  worktreesDir: string;
  maxConcurrentSessions: number;
  budgets: { sessionUsd: number | null; dayUsd: number | null; monthUsd: number | null };
  /** User price overrides, per model, per tier, USD per million tokens. */
  prices: Record<string, PriceOverride>;
  guard: GuardSettings;
  sandbox: { enabled: boolean; allowedDomains: string[]; denyRead: string[] };
  codexPath: string;
  workspaceTrusted: boolean;
}

export interface PriceOverride {
  standard?: TierPrice;
  priority?: TierPrice;
  flex?: TierPrice;
}

export interface TierPrice {
  input: number;
  cachedInput: number;
  output: number;
  cacheWrite?: number;
}

export interface GuardSettings {
  enabled: boolean;
  repeatedCall: number;
  repeatedError: number;
  alternation: number;
  noProgressTurns: number;
  noProgressUsd: number;
  sameFailure: number;
  textLoop: number;
  /** Escalation after the first warning: how many more suspicious turns before each next step. */
  escalateAfter: number;
}

/**
 * What sandboxed commands may not read unless the user says otherwise: credential folders and files of
 * common tools (cloud, forge, registry, container), and the Switchyard home.
 */
export const DEFAULT_DENY_READ: readonly string[] = Object.freeze([
  '~/.ssh', '~/.aws', '~/.config/gcloud', '~/.azure', '~/.kube', '~/.gnupg', '~/.config/gh', '~/.docker', '~/.git-credentials',
  '~/.netrc', '~/.npmrc', '~/.pypirc', '~/.cargo/credentials', '~/.cargo/credentials.toml', '~/.switchyard',
]);

/** The smallest value of each whole-number threshold that still means what it says (noProgressUsd: above 0). */
export const GUARD_MINIMUMS: Readonly<Record<Exclude<keyof GuardSettings, 'enabled' | 'noProgressUsd'>, number>> = Object.freeze({
  repeatedCall: 2,
  repeatedError: 2,
  // A-B-A is a retry; A-B-A-B is the shortest run that is alternation.
  alternation: 4,
  noProgressTurns: 1,
  sameFailure: 2,
  textLoop: 2,
  escalateAfter: 1,
});

export interface HostReady {
  version: string;
  pid: number;
  home: string;
  gatewayPort: number;
}

/**
 * V8 flags the agent host runs with. With a hundred streams, V8's defaults keep well over 100 MB of garbage
 * headroom resident: a small young generation (2 MB semi-spaces), and an old generation capped at 512 MB,
 * which makes V8 grow it in small steps, keep the peak near what the sessions hold (BENCHMARKS.md). A
 * hundred sessions hold under 100 MB; `--optimize-for-size` did as well on memory but cost CPU.
 */
export const HOST_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--max-old-space-size=512'];

/**
 * Environment the extension starts the agent host with. glibc's malloc gives each thread that allocates an
 * arena of its own (up to eight per core), and the host's threads (libuv's pool, V8's helpers, the
 * launcher) kept megabytes each: two arenas hold the host ~7 MB lower at the same CPU (BENCHMARKS.md).
 * malloc reads it when the process starts; the host then drops it (HOST_ENV_MARKER lists what to drop), so
 * the git, agents and commands it starts get the user's environment unchanged. (An editor whose runtime brings
 * its own allocator ignores it, harmlessly.)
 */
export const HOST_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
export const HOST_ENV_MARKER = 'SWITCHYARD_HOST_ENV';

/**
 * How the agent host is scheduled next to the editor: `background` (the default) lowers its CPU priority, and
 * with it that of everything it starts (git, agents, their commands), so the editor's own processes come
 * first on a busy machine; the agents slow down only while the CPU is contended. It is a start argument
 * because a process may lower its own priority but not raise it again.
 */
export type HostPriority = 'background' | 'normal';
export const HOST_PRIORITIES: readonly HostPriority[] = ['background', 'normal'];
const PRIORITY_ARG = '--priority=';

export const isHostPriority = (v: unknown): v is HostPriority => typeof v === 'string' && (HOST_PRIORITIES as readonly string[]).includes(v);

export function hostPriorityArgs(p: HostPriority): string[] {
  return [`${PRIORITY_ARG}${p}`];
}

/** The priority the host was started with; `normal` when none was given (the CLI, tests). */
export function hostPriorityOf(argv: readonly string[]): HostPriority {
  const given = argv.find(a => a.startsWith(PRIORITY_ARG))?.slice(PRIORITY_ARG.length);
  return isHostPriority(given) ? given : 'normal';
}

/** HOST_ENV, minus what the user already set (theirs wins), with the marker that names what we added. */
export function hostEnv(current: NodeJS.ProcessEnv): Record<string, string> {
  const added = Object.entries(HOST_ENV).filter(([k]) => current[k] === undefined);
  return added.length ? { ...Object.fromEntries(added), [HOST_ENV_MARKER]: added.map(([k]) => k).join(',') } : {};
}

/** In the host, at start: removes what hostEnv added from this process's environment. */
export function dropHostEnv(env: NodeJS.ProcessEnv): void {
  for (const k of env[HOST_ENV_MARKER]?.split(',') ?? []) if (k in HOST_ENV) delete env[k];
  delete env[HOST_ENV_MARKER];
}

export namespace HostProtocol {
  export const ready = new NotificationType<HostReady>('switchyard/host/ready');
  /** Whole settings object; sent once after start and again on every change. */
  export const configure = new NotificationType<{ settings: HostSettings; apiKey?: string }>('switchyard/host/configure');
  export const ping = new RequestType0<{ pid: number; sessions: number }, void>('switchyard/host/ping');
}

/** Why a session is refused (or fails) with no key for OpenAI; the editor offers to set one when it sees it. */
export const NO_API_KEY = 'No API key. Set one with "Switchyard: Set API Key" (or OPENAI_API_KEY for the CLI).';

/** A key goes in the Authorization header: printable ASCII only (a paste can bring curly quotes or a line break). */
export function apiKeyProblem(key: string): string | undefined {
  const bad = /[^\x20-\x7e]/.exec(key);
  if (!bad) return undefined;
  const shown = bad[0] === '\n' || bad[0] === '\r' ? 'a line break' : bad[0] === '\t' ? 'a tab' : `"${bad[0]}" (U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`;
  return `The API key holds ${shown}, which an HTTP header cannot carry (a paste can bring curly quotes or a line break). Set it again with "Switchyard: Set API Key" (or OPENAI_API_KEY for the CLI). Nothing was sent.`;
}

/** A model server's base URL as settings and the CLI take it: http(s), or empty for OpenAI's own. */
export function isBaseUrl(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  if (v === '') return true;
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
