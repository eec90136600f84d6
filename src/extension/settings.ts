// VS Code settings -> the host's settings. A malformed value is reported once, by name, and replaced by
// its default: a typo in settings.json must never stop the agents or silently lift a budget.
import * as vscode from 'vscode';
import { isBaseUrl, isHostPriority, type GuardSettings, type HostPriority, type HostSettings, type PriceOverride } from '../protocol/host';
import type { ApprovalPolicy, Tier } from '../protocol/types';

const SECTION = 'switchyard';

export interface SettingsProblem {
  key: string;
  message: string;
}

type Reader = <T>(key: string, check: (v: unknown) => v is T, fallback: T, what: string) => T;

const isString = (v: unknown): v is string => typeof v === 'string';
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;
const isNonNeg = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isCap = (v: unknown): v is number | null => v === null || isNonNeg(v);
const oneOf = <T extends string>(...values: T[]) => (v: unknown): v is T => typeof v === 'string' && (values as string[]).includes(v);
const isStringMap = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(isString);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);

function isPriceOverrides(v: unknown): v is Record<string, PriceOverride> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  return Object.values(v).every(model => {
    if (typeof model !== 'object' || model === null) return false;
    return Object.entries(model).every(([tier, p]) =>
      ['standard', 'priority', 'flex'].includes(tier) && typeof p === 'object' && p !== null &&
      isNonNeg((p as Record<string, unknown>).input) && isNonNeg((p as Record<string, unknown>).cachedInput) &&
      isNonNeg((p as Record<string, unknown>).output));
  });
}

export function readSettings(): { settings: HostSettings; problems: SettingsProblem[] } {
  const config = vscode.workspace.getConfiguration(SECTION);
  const problems: SettingsProblem[] = [];
  const read: Reader = (key, check, fallback, what) => {
    const value = config.get<unknown>(key);
    if (value === undefined) return fallback;
    if (check(value)) return value;
    problems.push({ key: `${SECTION}.${key}`, message: `should be ${what}; using ${JSON.stringify(fallback)}` });
    return fallback;
  };
  const guard: GuardSettings = {
    enabled: read('loopGuard.enabled', isBool, true, 'true or false'),
    repeatedCall: read('loopGuard.repeatedCall', isPosInt, 3, 'a whole number'),
    repeatedError: read('loopGuard.repeatedError', isPosInt, 2, 'a whole number'),
    alternation: read('loopGuard.alternation', isPosInt, 4, 'a whole number'),
    noProgressTurns: read('loopGuard.noProgressTurns', isPosInt, 5, 'a whole number'),
    noProgressUsd: read('loopGuard.noProgressUsd', isNonNeg, 2, 'a number of dollars'),
    sameFailure: read('loopGuard.sameFailure', isPosInt, 3, 'a whole number'),
    textLoop: read('loopGuard.textLoop', isPosInt, 3, 'a whole number'),
    escalateAfter: read('loopGuard.escalateAfter', isPosInt, 2, 'a whole number'),
  };
  const settings: HostSettings = {
    baseURL: readBaseUrl(config, problems),
    api: read('api', oneOf('auto', 'responses', 'chat'), 'auto', '"auto", "responses" or "chat"'),
    model: read('model', (v): v is string => isString(v) && v.trim() !== '', 'gpt-5.4', 'a model name'),
    extraHeaders: read('extraHeaders', isStringMap, {}, 'an object of header names to strings'),
    defaultTier: read<Tier>('defaultTier', oneOf('standard', 'priority', 'flex'), 'standard', '"standard", "priority" or "flex"'),
    defaultRole: read('defaultRole', isString, 'coder', 'a role name'),
    defaultApproval: read<ApprovalPolicy>('approvalPolicy', oneOf('auto', 'ask', 'read-only'), 'auto', '"auto", "ask" or "read-only"'),
    maxOutputTokens: read('maxOutputTokens', isPosInt, 8192, 'a whole number'),
    maxTurns: read('maxTurns', isPosInt, 60, 'a whole number'),
    compactAtTokens: read('compactAtTokens', (v): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0, 0, 'a whole number of tokens (0: automatic)'),
    commandTimeoutSec: read('commandTimeoutSeconds', isPosInt, 300, 'a whole number of seconds'),
    worktreesDir: read('worktreesFolder', isString, '', 'a folder path'),
    maxConcurrentSessions: read('maxConcurrentSessions', isPosInt, 8, 'a whole number'),
    budgets: {
      sessionUsd: read('budget.sessionUsd', isCap, 5, 'a number of dollars or null'),
      dayUsd: read('budget.dayUsd', isCap, 50, 'a number of dollars or null'),
      monthUsd: read('budget.monthUsd', isCap, 500, 'a number of dollars or null'),
    },
    prices: read('prices', isPriceOverrides, {}, 'model -> tier -> {input, cachedInput, output}'),
    guard,
    sandbox: {
      enabled: read('sandbox.enabled', isBool, true, 'true or false'),
      allowedDomains: read('sandbox.allowedDomains', isStringArray, [], 'a list of domains'),
      denyRead: read('sandbox.denyRead', isStringArray, ['~/.ssh', '~/.aws', '~/.config/gcloud', '~/.azure', '~/.kube', '~/.gnupg', '~/.switchyard'], 'a list of folders'),
    },
    codexPath: read('codexPath', isString, '', 'a path'),
    workspaceTrusted: vscode.workspace.isTrusted,
  };
  // Not the engine's: the host reads it when it starts (readHostPriority); checked here to be reported with the rest.
  read(PRIORITY_KEY, isHostPriority, DEFAULT_PRIORITY, '"background" or "normal"');
  return { settings, problems };
}

/**
 * Unlike the other settings, a malformed base URL is not replaced by its default: the default is OpenAI,
 * and someone who typed `localhost:11434` meant a server of their own. It is passed on as it is, and the
 * host starts no session until it is fixed.
 */
function readBaseUrl(config: vscode.WorkspaceConfiguration, problems: SettingsProblem[]): string {
  const value = config.get<unknown>('baseUrl');
  if (value === undefined || isBaseUrl(value)) return value ?? '';
  problems.push({ key: `${SECTION}.baseUrl`, message: 'should be an http(s) URL, or empty for OpenAI; no session starts until it is one' });
  return typeof value === 'string' && value.trim() !== '' ? value : String(JSON.stringify(value));
}

const PRIORITY_KEY = 'agentHost.priority';
const DEFAULT_PRIORITY: HostPriority = 'background';

/** The agent host's CPU priority, passed to it when it starts (a malformed value: the default). */
export function readHostPriority(): HostPriority {
  const value = vscode.workspace.getConfiguration(SECTION).get<unknown>(PRIORITY_KEY);
  return isHostPriority(value) ? value : DEFAULT_PRIORITY;
}

export function affectsHostPriority(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration(`${SECTION}.${PRIORITY_KEY}`);
}

export function affectsHost(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration(SECTION);
}
