// The settings every process on the machine must agree on (the day and month caps hold across windows
// and CLI runs), saved in the Switchyard home by the editor and read by the CLI.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { GuardSettings, HostSettings, PriceOverride } from '../protocol/host';

export interface MachineConfig {
  budgets: HostSettings['budgets'];
  prices: Record<string, PriceOverride>;
  guard: GuardSettings;
  maxConcurrentSessions: number;
  sandbox: HostSettings['sandbox'];
}

const FILE = 'config.json';

export async function readMachineConfig(home: string): Promise<Partial<MachineConfig>> {
  try {
    const v: unknown = JSON.parse(await fs.readFile(path.join(home, FILE), 'utf8'));
    return typeof v === 'object' && v !== null ? (v as Partial<MachineConfig>) : {};
  } catch {
    return {};
  }
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
  await fs.mkdir(home, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, text);
  await fs.rename(tmp, file);
}
