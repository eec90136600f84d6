// The settings every process on the machine must agree on (the day and month caps hold across windows
// and CLI runs), saved in the Switchyard home by the editor and read by the CLI.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { GuardSettings, HostSettings, PriceOverride } from '../protocol/host';
import { InvalidRequestError } from './errors';
import { makeDir } from './util/makeDir';

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
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidRequestError(`${file} should hold a JSON object: ${fix}.`);
  const budgets = (v as { budgets?: unknown }).budgets;
  if (budgets !== undefined) {
    if (typeof budgets !== 'object' || budgets === null) throw new InvalidRequestError(`${file}: "budgets" should be an object: ${fix}.`);
    for (const [key, cap] of Object.entries(budgets)) {
      if (cap !== null && !(typeof cap === 'number' && Number.isFinite(cap) && cap >= 0)) {
        throw new InvalidRequestError(`${file}: budgets.${key} should be a number of dollars (0 or more) or null, not ${JSON.stringify(cap)}: ${fix}.`);
      }
    }
  }
  return v as Partial<MachineConfig>;
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
  await makeDir(home);
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, text);
  await fs.rename(tmp, file);
}
