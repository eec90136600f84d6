// The settings every process on the machine must agree on (the day and month caps hold across windows
// and CLI runs), saved in the Switchyard home by the editor and read by the CLI.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { GuardSettings, HostSettings, PriceOverride } from '../protocol/host';
import { pricesProblem, valueText } from '../protocol/prices';
import { InvalidRequestError } from './errors';
import { usdToMicro } from './pricing/cost';
import { resolveGuardSettings } from './guard/settings';
import { writeWhole } from './util/writeWhole';

export interface MachineConfig {
  budgets: HostSettings['budgets'];
  prices: Record<string, PriceOverride>;
  guard: GuardSettings;
  maxConcurrentSessions: number;
  sandbox: HostSettings['sandbox'];
}

const FILE = 'config.json';

/**
 * What the editor last saved; nothing when it never did. A file that is there but cannot be read is an
 * error, not an empty configuration: it holds the day and month caps, and a run that ignored them could
 * spend past them.
 */
export async function readMachineConfig(home: string): Promise<Partial<MachineConfig>> {
  const file = path.join(home, FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new InvalidRequestError(`${file} cannot be read (${(err as Error).message}); it holds the spending caps every window and run share.`);
  }
  return parseMachineConfig(text, file);
}

export function parseMachineConfig(text: string, file: string): Partial<MachineConfig> {
  const fix = 'fix it, or let VS Code write it again from its settings (Switchyard rewrites it when it starts)';
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new InvalidRequestError(`${file} is not valid JSON (${(err as Error).message}); it holds the spending caps every window and run share: ${fix}.`);
  }
  if (!isPlainObject(v)) throw new InvalidRequestError(`${file} should hold a JSON object: ${fix}.`);
  const bad = (what: string) => new InvalidRequestError(`${file}: ${what}: ${fix}.`);
  // A misspelt key ("budget") would be a cap, a price or a guard that silently does not hold.
  for (const key of Object.keys(v)) if (!(TOP_KEYS as readonly string[]).includes(key)) throw bad(`"${key}" is not a setting here (${TOP_KEYS.join(', ')})`);
  const { budgets, maxConcurrentSessions, sandbox, prices, guard } = v;
  if (budgets !== undefined) {
    if (!isPlainObject(budgets)) throw bad('"budgets" should be an object');
    for (const [key, cap] of Object.entries(budgets)) {
      // A misspelt cap would be a cap that silently does not hold.
      if (!(BUDGET_KEYS as readonly string[]).includes(key)) throw bad(`budgets.${key} is not a cap (${BUDGET_KEYS.join(', ')})`);
      // As VS Code's settings take them: a session budget of $0 would make a worktree and branch for a session
      // bound to stop before its first request; a day or month cap of $0 stops every run up front.
      const positive = key === 'sessionUsd';
      // Spend is counted in millionths of a dollar: a session budget below one is $0.
      if (cap !== null && !(typeof cap === 'number' && Number.isFinite(cap) && (positive ? usdToMicro(cap) > 0 : cap >= 0))) {
        throw bad(`budgets.${key} should be a number of dollars (${positive ? 'at least 0.000001' : '0 or more'}) or null, not ${valueText(cap)}`);
      }
    }
  }
  if (maxConcurrentSessions !== undefined && !(Number.isInteger(maxConcurrentSessions) && (maxConcurrentSessions as number) >= 1)) {
    throw bad(`maxConcurrentSessions should be a whole number, 1 or more, not ${valueText(maxConcurrentSessions)}`);
  }
  if (prices !== undefined) {
    const problem = pricesProblem(prices);
    if (problem) throw bad(problem);
  }
  if (guard !== undefined) {
    if (!isPlainObject(guard)) throw bad('"guard" should be an object');
    try {
      resolveGuardSettings(guard as Partial<GuardSettings>);
    } catch (err) {
      throw bad((err as Error).message.replace(/\.$/, ''));
    }
  }
  if (sandbox !== undefined) {
    if (!isPlainObject(sandbox)) throw bad('"sandbox" should be an object');
    for (const [key, value] of Object.entries(sandbox)) {
      const ok = key === 'enabled' ? typeof value === 'boolean' : SANDBOX_LISTS.includes(key) ? Array.isArray(value) && value.every(x => typeof x === 'string') : false;
      if (!ok) throw bad(SANDBOX_LISTS.includes(key) || key === 'enabled' ? `sandbox.${key} should be ${key === 'enabled' ? 'true or false' : 'a list of strings'}, not ${JSON.stringify(value)}` : `sandbox.${key} is not a sandbox setting (enabled, ${SANDBOX_LISTS.join(', ')})`);
    }
  }
  return v as Partial<MachineConfig>;
}

const TOP_KEYS = ['budgets', 'prices', 'guard', 'maxConcurrentSessions', 'sandbox'] as const satisfies readonly (keyof MachineConfig)[];
const BUDGET_KEYS = ['sessionUsd', 'dayUsd', 'monthUsd'] as const satisfies readonly (keyof HostSettings['budgets'])[];
const SANDBOX_LISTS: readonly string[] = ['allowedDomains', 'denyRead'] satisfies (keyof HostSettings['sandbox'])[];

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export async function writeMachineConfig(home: string, s: HostSettings): Promise<void> {
  const config: MachineConfig = {
    budgets: s.budgets,
    prices: s.prices,
    guard: s.guard,
    maxConcurrentSessions: s.maxConcurrentSessions,
    sandbox: s.sandbox,
  };
  const file = path.join(home, FILE);
  const text = JSON.stringify(config, null, 2);
  if ((await fs.readFile(file, 'utf8').catch(() => '')) === text) return;
  await writeWhole(file, text);
}

/**
 * A process no editor configures (a CLI run) follows config.json: it looks every second, and a changed file
 * becomes its settings. One that cannot be read, is not valid, or is gone or empty is said once and changes
 * nothing: the settings in force stay.
 */
export class MachineConfigFollower {
  private timer: NodeJS.Timeout | undefined;
  private seen: string | undefined;
  private looking: Promise<void> | undefined;

  constructor(
    private readonly home: string,
    private readonly apply: (machine: Partial<MachineConfig>) => void,
    private readonly log: (message: string) => void,
  ) {}

  /** Takes the file as it is now for what is in force (read a moment ago, at the process's start), then looks every `everyMs`. */
  async start(everyMs = 1_000): Promise<void> {
    this.seen = await fs.readFile(path.join(this.home, FILE), 'utf8').catch(() => '');
    this.timer = setInterval(() => void this.look(), everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.looking;
  }

  look(): Promise<void> {
    this.looking ??= this.lookOnce().finally(() => (this.looking = undefined));
    return this.looking;
  }

  private async lookOnce(): Promise<void> {
    const file = path.join(this.home, FILE);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        const said = `unreadable: ${(err as Error).message}`;
        if (this.seen !== said) this.log(`${file} cannot be read (${(err as Error).message}). The settings in force stay as they were.`);
        this.seen = said;
        return;
      }
      text = '';
    }
    if (text === this.seen) return;
    const before = this.seen;
    this.seen = text;
    // Removed or emptied while this process runs (an editor or a `>` half-way through writing it, a sync
    // tool): the caps in force hold. Going back to the defaults would lift every cap it set.
    if (!text.trim() && before !== undefined) {
      this.log(`${file} was removed or emptied. The settings in force stay as they were until this process ends.`);
      return;
    }
    try {
      this.apply(text.trim() ? parseMachineConfig(text, file) : {});
    } catch (err) {
      this.log(`${(err as Error).message} The settings in force stay as they were.`);
    }
  }
}
