// Defaults for the host's settings; the same values the extension's manifest declares.
import { DEFAULT_DENY_READ, type GuardSettings, type HostSettings } from '../protocol/host';
import { DEFAULT_GUARD_SETTINGS } from './guard/settings';

/** The loop guard's own defaults (one source of truth; the guard-only knobs ride along unused). */
export const DEFAULT_GUARD: GuardSettings = DEFAULT_GUARD_SETTINGS;

export const DEFAULT_SETTINGS: HostSettings = {
  baseURL: '',
  api: 'auto',
  model: 'gpt-5.4',
  extraHeaders: {},
  defaultTier: 'standard',
  defaultRole: 'coder',
  defaultApproval: 'auto',
  maxOutputTokens: 8192,
  maxTurns: 60,
  compactAtTokens: 0,
  commandTimeoutSec: 300,
  worktreesDir: '',
  maxConcurrentSessions: 8,
  budgets: { sessionUsd: 5, dayUsd: 50, monthUsd: 500 },
  prices: {},
  guard: DEFAULT_GUARD,
  sandbox: {
    enabled: true,
    allowedDomains: [],
    denyRead: [...DEFAULT_DENY_READ],
  },
  codexPath: '',
  workspaceTrusted: true,
};

/**
 * Where the base URL is set, in a reason both clients show: the editor names only its setting in its place
 * (src/extension/commands/startRefusal.ts) and offers to open it.
 */
export const BASE_URL_WHERE = '(switchyard.baseUrl in VS Code; --base-url or OPENAI_BASE_URL for the CLI)';

/** The OpenAI endpoint when no base URL is configured. */
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

export function effectiveBaseURL(settings: HostSettings): string {
  return resolvedBaseURL(settings.baseURL);
}

/** A base URL as requests go to it: '' is OpenAI, and a trailing slash is none. */
export function resolvedBaseURL(baseURL: string): string {
  return (baseURL.trim() || OPENAI_BASE_URL).replace(/\/+$/, '');
}

/** Query parameters that carry credentials (`?key=`, `?api_key=`, `?access_token=`, `?sig=`). */
const SECRET_PARAM = /(^|[-_])(key|token|secret|password|sig|signature)$/i;

/**
 * A model API's address as a session record keeps it: without a user name, password or a query parameter
 * that carries a credential, none of which go into records (the key does not either). Other query
 * parameters (`api-version`) stay. Empty (OpenAI) stays empty.
 */
export function recordedBaseURL(baseURL: string): string {
  try {
    const u = new URL(baseURL);
    const secrets = [...u.searchParams.keys()].filter(k => SECRET_PARAM.test(k));
    if (!u.username && !u.password && secrets.length === 0) return baseURL;
    u.username = '';
    u.password = '';
    for (const k of secrets) u.searchParams.delete(k);
    return u.toString().replace(/\/$/, baseURL.endsWith('/') ? '/' : '');
  } catch {
    return baseURL;
  }
}

export function withDefaults(partial: Partial<HostSettings>): HostSettings {
  return {
    ...DEFAULT_SETTINGS,
    ...partial,
    budgets: { ...DEFAULT_SETTINGS.budgets, ...partial.budgets },
    guard: { ...DEFAULT_GUARD, ...partial.guard },
    sandbox: { ...DEFAULT_SETTINGS.sandbox, ...partial.sandbox },
  };
}
