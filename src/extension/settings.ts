// VS Code settings -> the host's settings. A malformed value is reported once, by name, and replaced by
// its default: a typo in settings.json must never stop the agents or silently lift a budget.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { switchyardHome } from '../host/home';
import { DEFAULT_DENY_READ, GUARD_MINIMUMS, isBaseUrl, isHostPriority, type GuardSettings, type HostPriority, type HostSettings, type PriceOverride } from '../protocol/host';
import { usdExact } from '../protocol/money';
import { goodPrices, pricesProblem } from '../protocol/prices';
import type { ApprovalPolicy, Tier } from '../protocol/types';

const SECTION = 'switchyard';

export interface SettingsProblem {
  key: string;
  message: string;
  /** A dollar setting's value now in force, as a notification names it: "$500.00 (the default)". */
  inForce?: string;
}

interface ReadOptions<T> {
  /** A dollar amount: a plain decimal in quotes is read as its number (and reported), not replaced by a default. */
  dollars?: boolean;
  /** The machine cap in force until now, for a malformed value with no good layer beneath. */
  inForce?: () => { value: T } | undefined;
}

type Reader = <T>(key: string, check: (v: unknown) => v is T, fallback: T, what: string, options?: ReadOptions<T>) => T;

const isString = (v: unknown): v is string => typeof v === 'string';
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isIntIn = (min: number, max = Number.MAX_SAFE_INTEGER) => (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isPositive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
const isNonNeg = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isCap = (v: unknown): v is number | null => v === null || isNonNeg(v);
// A session's cap: spend is counted in millionths of a dollar, so a budget below one is $0, which would
// refuse a session's every request (config.json refuses it for CLI runs).
export const MIN_SESSION_BUDGET_USD = 0.000001;
const isSessionCap = (v: unknown): v is number | null => v === null || (isPositive(v) && v >= MIN_SESSION_BUDGET_USD);
const wholeFrom = (min: number, max?: number) => `a whole number from ${min}${max === undefined ? ' up' : ` to ${max}`}`;
const oneOf = <T extends string>(...values: T[]) => (v: unknown): v is T => typeof v === 'string' && (values as string[]).includes(v);
const isStringMap = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(isString);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);

// Digits with at most one point: "100", "0.5", " 25 ". Not "1e9", "100$" or "1,000", whose meaning is a guess.
const PLAIN_DECIMAL = /^\d*\.?\d+$/;
/**
 * A quoted dollar amount ("100") as its number. VS Code's Settings UI shows such a value as an empty box, with
 * no error, and replacing it with the default could lift a cap five times over what the user wrote.
 */
const quotedDollars = (v: unknown): number | undefined => (typeof v === 'string' && PLAIN_DECIMAL.test(v.trim()) ? Number(v.trim()) : undefined);
const usdText = (v: unknown): string => (v === null ? 'no cap' : typeof v === 'number' ? usdExact(v) : JSON.stringify(v));

/** The check a CLI run makes of config.json's prices, so that what the editor saves there is never refused. */
const isPriceOverrides = (v: unknown): v is Record<string, PriceOverride> => pricesProblem(v) === undefined;

export function readSettings(): { settings: HostSettings; problems: SettingsProblem[] } {
  const config = vscode.workspace.getConfiguration(SECTION);
  const problems: SettingsProblem[] = [];
  const read: Reader = (key, check, fallback, what, options = {}) => {
    const value = config.get<unknown>(key);
    if (value === undefined) return fallback;
    const asRead = (v: unknown) => (options.dollars ? quotedDollars(v) ?? v : v);
    const meant = asRead(value);
    if (check(meant)) {
      if (meant !== value) {
        problems.push({ key: `${SECTION}.${key}`, message: `should be a number, not the string ${JSON.stringify(value)}; read as ${String(meant)}`, inForce: `${usdText(meant)} (from the string ${JSON.stringify(value)})` });
      }
      return meant;
    }
    // The value the layer beneath the malformed one gives, if good: a workspace's typo must not replace the
    // user's own cap with the default, which may be higher. With none, a machine cap stays as it was in force
    // when that was lower than the default.
    const beneath = layersBeneath(config.inspect<unknown>(key), value).map(l => ({ ...l, value: asRead(l.value) })).find(l => check(l.value));
    const kept = beneath ? undefined : options.inForce?.();
    const used = beneath ? (beneath.value as typeof fallback) : kept ? kept.value : fallback;
    // A dollar amount's default is said to be one: a cap's may be far above what was meant.
    const from = beneath ? `from ${beneath.name}` : kept ? 'the cap in force until now' : options.dollars ? 'the default' : undefined;
    const message = `should be ${what}; using ${JSON.stringify(used)}${from ? `, ${from}` : ''}`;
    problems.push({ key: `${SECTION}.${key}`, message, ...(options.dollars ? { inForce: `${usdText(used)} (${from})` } : {}) });
    return used;
  };
  // The machine caps every window and CLI run share, as the host last wrote them (config.json), read only for
  // a typo, and kept only where lower than the default (null, no cap, is the highest).
  const capInForce = (key: 'dayUsd' | 'monthUsd', fallback: number) => () => {
    const cap = machineCaps()?.[key];
    return typeof cap === 'number' && isCap(cap) && cap < fallback ? { value: cap } : undefined;
  };
  // Each threshold checked against the guard's own minimum: one bad value falls back alone, not the whole guard.
  const threshold = (key: keyof typeof GUARD_MINIMUMS, fallback: number) =>
    read(`loopGuard.${key}`, isIntIn(GUARD_MINIMUMS[key]), fallback, wholeFrom(GUARD_MINIMUMS[key]));
  const guard: GuardSettings = {
    enabled: read('loopGuard.enabled', isBool, true, 'true or false'),
    repeatedCall: threshold('repeatedCall', 3),
    repeatedError: threshold('repeatedError', 2),
    alternation: threshold('alternation', 4),
    noProgressTurns: threshold('noProgressTurns', 5),
    noProgressUsd: read('loopGuard.noProgressUsd', isPositive, 2, 'a number of dollars above 0', { dollars: true }),
    sameFailure: threshold('sameFailure', 3),
    textLoop: threshold('textLoop', 3),
    escalateAfter: threshold('escalateAfter', 2),
  };
  const settings: HostSettings = {
    baseURL: readBaseUrl(config, problems),
    api: read('api', oneOf('auto', 'responses', 'chat'), 'auto', '"auto", "responses" or "chat"'),
    model: read('model', (v): v is string => isString(v) && v.trim() !== '', 'gpt-5.4', 'a model name'),
    extraHeaders: read('extraHeaders', isStringMap, {}, 'an object of header names to strings'),
    defaultTier: read<Tier>('defaultTier', oneOf('standard', 'priority', 'flex'), 'standard', '"standard", "priority" or "flex"'),
    defaultRole: read('defaultRole', isString, 'coder', 'a role name'),
    defaultApproval: read<ApprovalPolicy>('approvalPolicy', oneOf('auto', 'ask', 'read-only'), 'auto', '"auto", "ask" or "read-only"'),
    maxOutputTokens: read('maxOutputTokens', isIntIn(256, 128_000), 8192, wholeFrom(256, 128_000)),
    maxTurns: read('maxTurns', isIntIn(1, 1000), 60, wholeFrom(1, 1000)),
    compactAtTokens: read('compactAtTokens', (v): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0, 0, 'a whole number of tokens (0: automatic)'),
    commandTimeoutSec: read('commandTimeoutSeconds', isIntIn(5, 7200), 300, `${wholeFrom(5, 7200)} (seconds)`),
    worktreesDir: read('worktreesFolder', isString, '', 'a folder path'),
    maxConcurrentSessions: read('maxConcurrentSessions', isIntIn(1, 200), 8, wholeFrom(1, 200)),
    budgets: {
      sessionUsd: tooSmallBudget(config.get<unknown>('budget.sessionUsd'), problems) ?? read('budget.sessionUsd', isSessionCap, 5, 'a number of dollars, at least 0.000001, or null', { dollars: true }),
      dayUsd: read('budget.dayUsd', isCap, 50, 'a number of dollars, 0 or more, or null', { dollars: true, inForce: capInForce('dayUsd', 50) }),
      monthUsd: read('budget.monthUsd', isCap, 500, 'a number of dollars, 0 or more, or null', { dollars: true, inForce: capInForce('monthUsd', 500) }),
    },
    prices: readPrices(config, problems) ?? read('prices', isPriceOverrides, {}, 'model -> tier -> {input, cachedInput, output}'),
    guard,
    sandbox: {
      enabled: read('sandbox.enabled', isBool, true, 'true or false'),
      allowedDomains: read('sandbox.allowedDomains', isStringArray, [], 'a list of domains'),
      denyRead: read('sandbox.denyRead', isStringArray, [...DEFAULT_DENY_READ], 'a list of folders'),
    },
    codexPath: read('codexPath', isString, '', 'a path'),
    workspaceTrusted: vscode.workspace.isTrusted,
  };
  // Not the engine's: the host reads it when it starts (readHostPriority); checked here to be reported with the rest.
  read(PRIORITY_KEY, isHostPriority, DEFAULT_PRIORITY, '"background" or "normal"');
  return { settings, problems };
}

/**
 * The one notification for problems newly found: one is said whole; of several, a dollar setting's value now
 * in force is named first (a cap not what was meant must be seen at once), at most two named, as a long
 * notification is cut short.
 */
export function problemsNotice(problems: readonly SettingsProblem[]): string {
  const [first] = problems;
  if (problems.length === 1 && first) return `Setting ${first.key} ${first.message}.`;
  const named = [...problems].sort((a, b) => Number(b.inForce !== undefined) - Number(a.inForce !== undefined)).slice(0, 2);
  const said = named.map(p => (p.inForce ? `${p.key}: using ${p.inForce}` : p.key));
  const more = problems.length - named.length;
  return `${problems.length} settings are not valid. ${said.join('; ')}${more ? `; and ${more} more` : ''}. Details are in the Switchyard output.`;
}

/**
 * A session budget of $0, or above it but below the least one counted: taken as that least budget, the one
 * nearest what was asked. Falling back to the default (or a layer beneath) would give sessions a larger cap
 * than the user set; $0 itself would be no budget a session could start with.
 */
function tooSmallBudget(setting: unknown, problems: SettingsProblem[]): number | undefined {
  const value = quotedDollars(setting) ?? setting;
  if (!isNonNeg(value) || value >= MIN_SESSION_BUDGET_USD) return undefined;
  const message = value === 0
    ? 'is $0, below the least budget counted; using 0.000001, so sessions stop before their first request (null: no session cap)'
    : 'is below $0.000001, the least budget counted (spend is counted in millionths of a dollar); using 0.000001';
  problems.push({ key: `${SECTION}.budget.sessionUsd`, message, inForce: `${usdText(MIN_SESSION_BUDGET_USD)} (the least counted)` });
  return MIN_SESSION_BUDGET_USD;
}

/**
 * Price overrides, each model's read alone: a typo in one leaves out that model's override (its price is
 * then the shipped table's, or none), not every model's. Undefined when the setting is not an object of
 * models, for the reader that reports it whole.
 */
function readPrices(config: vscode.WorkspaceConfiguration, problems: SettingsProblem[]): Record<string, PriceOverride> | undefined {
  const split = goodPrices(config.get<unknown>('prices'), `${SECTION}.prices`);
  if (!split?.problems.length) return split?.prices as Record<string, PriceOverride> | undefined;
  // A model's good override in a layer beneath (a workspace's typo over the user's own price) stands.
  const layers = settingLayers(config.inspect<unknown>('prices'));
  const said = split.problems.map(({ model, problem }) => {
    const entryIn = (v: unknown) => (typeof v === 'object' && v !== null && !Array.isArray(v) && model in v ? (v as Record<string, unknown>)[model] : undefined);
    const beneath = layers.find(l => entryIn(l.value) !== undefined && pricesProblem({ [model]: entryIn(l.value) }) === undefined);
    if (beneath) split.prices[model] = entryIn(beneath.value);
    return `${model} (${problem}; ${beneath ? `using its override in ${beneath.name}` : 'its override is left out'})`;
  });
  problems.push({ key: `${SECTION}.prices`, message: `is not valid for ${said.join(', and for ')}: the other models' overrides hold` });
  return split.prices as Record<string, PriceOverride>;
}

/** The budgets of the machine's config.json (each checked by the caller), if it can be read. */
function machineCaps(): Record<string, unknown> | undefined {
  try {
    const config: unknown = JSON.parse(readFileSync(path.join(switchyardHome(), 'config.json'), 'utf8'));
    const budgets = typeof config === 'object' && config !== null ? (config as { budgets?: unknown }).budgets : undefined;
    return typeof budgets === 'object' && budgets !== null ? (budgets as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

type Inspected = ReturnType<vscode.WorkspaceConfiguration['inspect']>;

/**
 * The layers of a setting below the one its malformed value `effective` comes from, nearest first. A
 * setting VS Code reads from the user's settings alone (the machine-wide caps) never takes a workspace's.
 */
function layersBeneath(inspected: Inspected, effective: unknown): { name: string; value: unknown }[] {
  if (!inspected) return [];
  const layers = settingLayers(inspected);
  const same = JSON.stringify(effective);
  const from = layers.findIndex(l => l.value !== undefined && JSON.stringify(l.value) === same);
  return from < 0 ? [] : layers.slice(from + 1).filter(l => l.value !== undefined);
}

/** A setting's layers, nearest first, named as the user knows them. */
function settingLayers(inspected: Inspected): { name: string; value: unknown }[] {
  return [
    { name: "the workspace folder's settings", value: inspected?.workspaceFolderValue },
    { name: "the workspace's settings", value: inspected?.workspaceValue },
    { name: 'your user settings', value: inspected?.globalValue },
  ];
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

/**
 * Sets a Switchyard setting where the value in force comes from: a workspace (or folder) value overrides the
 * user's, so writing the user's alone would change nothing the user can see.
 */
export async function updateInForce(key: string, value: unknown): Promise<void> {
  // A folder's value is read and written through a configuration scoped to that folder.
  const folder = vscode.workspace.getConfiguration('switchyard', vscode.workspace.workspaceFolders?.[0]?.uri);
  const config = vscode.workspace.getConfiguration('switchyard');
  // In a single-folder window the workspace's settings are the folder's too: written as the workspace's,
  // which every scope of setting allows. In Restricted Mode a workspace's values of restricted settings
  // (package.json's restrictedConfigurations) are not in force: the user's are.
  const trusted = vscode.workspace.isTrusted || !restrictedSettings().has(`switchyard.${key}`);
  const inWorkspace = trusted && config.inspect(key)?.workspaceValue !== undefined;
  const inFolder = trusted && !inWorkspace && folder.inspect(key)?.workspaceFolderValue !== undefined;
  const target = inWorkspace ? vscode.ConfigurationTarget.Workspace
    : inFolder ? vscode.ConfigurationTarget.WorkspaceFolder
      : vscode.ConfigurationTarget.Global;
  try {
    await (inFolder ? folder : config).update(key, value, target);
  } catch (err) {
    // A machine-wide setting (application scope) written in a workspace is ignored there, and refused.
    if (target === vscode.ConfigurationTarget.Global) throw err;
    await config.update(key, value, vscode.ConfigurationTarget.Global);
  }
}

function restrictedSettings(): ReadonlySet<string> {
  const manifest = vscode.extensions.getExtension('switchyard.switchyard')?.packageJSON as
    { capabilities?: { untrustedWorkspaces?: { restrictedConfigurations?: string[] } } } | undefined;
  return new Set(manifest?.capabilities?.untrustedWorkspaces?.restrictedConfigurations ?? []);
}
