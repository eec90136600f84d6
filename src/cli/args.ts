// A small, strict argument parser: every flag is declared with its type; anything else is an error
// (exit status 2) that names the flag and says what is accepted.
import { plainNumber } from '../protocol/plainNumber';
import { wrapLine } from './helpWrap';
import { usdToMicro } from '../host/pricing/cost';

export type FlagSpec =
  /** An empty value is refused: `emptySays` is why, where the flag has more to say than the usual words. */
  | { type: 'string'; values?: readonly string[]; emptySays?: string }
  | { type: 'number'; whole?: true }
  | { type: 'boolean' };

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  flags: Record<string, FlagSpec & { help: string }>;
  /** Names of positional arguments, in order (all required). */
  positionals?: readonly string[];
}

export type ParsedFlags = Record<string, string | number | boolean | undefined>;

export class UsageError extends Error {}

/**
 * `--help` or `-h` where a flag could stand: not as the value of a flag that takes one (`--task -h`). A
 * `--…` after such a flag is never its value (parseArgs asks for `--flag=--…`), so `--repo --help` asks.
 */
export function asksHelp(spec: CommandSpec, argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return true;
    const f = arg.startsWith('--') && !arg.includes('=') ? spec.flags[arg.slice(2)] : undefined;
    if (f && f.type !== 'boolean' && !argv[i + 1]?.startsWith('--')) i++;
  }
  return false;
}

export function parseArgs(spec: CommandSpec, argv: readonly string[]): { flags: ParsedFlags; positionals: string[] } {
  const flags: ParsedFlags = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      // A one-dash flag (-t) is a typo of a flag, not an argument; none of ours is spelt so.
      if (/^-[A-Za-z]/.test(arg)) throw new UsageError(`unknown flag ${arg} for "switchyard ${spec.name}": flags are written with two dashes (a file named so is ./${arg}). ${flagList(spec)}`);
      const want = spec.positionals?.[positionals.length];
      if (want && !arg.trim()) throw new UsageError(`${want.toUpperCase()} is empty. Usage: ${spec.usage}`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const f = spec.flags[name];
    if (!f) throw new UsageError(`unknown flag --${name} for "switchyard ${spec.name}". ${flagList(spec)}`);
    if (f.type === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq < 0 && value.startsWith('--'))) {
      throw new UsageError(`--${name} needs a value${value === undefined ? '' : ` (for a value that starts with "--", write --${name}=${JSON.stringify(value)})`}`);
    }
    // The last one would win unsaid: a script that built the line twice over meant one of them.
    if (flags[name] !== undefined) throw new UsageError(`--${name} is given twice ("${flags[name]}" and "${value}"): give it once`);
    if (f.type === 'number') {
      const n = plainNumber(value);
      const whole = 'whole' in f && f.whole;
      if (/^\s*-\s*[\d.]/.test(value)) throw new UsageError(`--${name} cannot be negative, not "${value}"`);
      if (!Number.isFinite(n) || (whole && !Number.isInteger(n))) {
        throw new UsageError(`--${name} must be ${whole ? 'a whole number written plainly (such as 2)' : 'a number written plainly (such as 2 or 0.5)'}, not "${value}"`);
      }
      flags[name] = n;
    } else {
      if (f.values && !f.values.includes(value)) throw new UsageError(`--${name} must be one of ${f.values.join(', ')}, not "${value}"`);
      // An empty value is a flag that would do nothing, or the default unsaid (`--model "$UNSET"`): refused.
      if (!value.trim()) throw new UsageError(f.emptySays ?? `--${name} is empty: give it a value, or leave the flag out`);
      flags[name] = value;
    }
  }
  const want = spec.positionals ?? [];
  if (positionals.length < want.length) throw new UsageError(`missing ${want.slice(positionals.length).map(p => p.toUpperCase()).join(' ')}. Usage: ${spec.usage}`);
  if (positionals.length > want.length) throw new UsageError(`unexpected argument "${positionals[want.length]}". Usage: ${spec.usage}`);
  return { flags, positionals };
}

/**
 * --budget (run, resume), in dollars. Budgets are kept in whole micro-dollars: one that rounds to none
 * would make a worktree and branch for a session bound to stop before its first request.
 */
export function budgetFlag(flags: ParsedFlags): number | undefined {
  const budget = flags.budget as number | undefined;
  if (budget !== undefined && !(usdToMicro(budget) > 0)) {
    throw new UsageError('--budget must be a positive number of dollars, at least 0.000001 (a millionth of a dollar)');
  }
  return budget;
}

/** --max-turns (run, resume): as the switchyard.maxTurns setting allows. */
export function maxTurnsFlag(flags: ParsedFlags): number | undefined {
  const n = flags['max-turns'] as number | undefined;
  if (n !== undefined && !(Number.isInteger(n) && n >= 1 && n <= MAX_TURNS_LIMIT)) throw new UsageError(`--max-turns must be a whole number from 1 to ${MAX_TURNS_LIMIT}, not ${n}`);
  return n;
}

/** The most turns a session may be given at once (switchyard.maxTurns allows the same). */
export const MAX_TURNS_LIMIT = 1000;

export function helpText(spec: CommandSpec): string {
  const lines = [...wrapLine(`Usage: ${spec.usage}`, 7), '', ...wrapLine(spec.summary, 0), ''];
  const width = Math.max(...Object.keys(spec.flags).map(n => n.length + 2), 10);
  for (const [name, f] of Object.entries(spec.flags)) {
    const values = f.type === 'string' && f.values ? ` (${f.values.join('|')})` : '';
    lines.push(...wrapLine(`  --${name.padEnd(width)} ${f.help}${values}`, width + 5));
  }
  return lines.join('\n');
}

function flagList(spec: CommandSpec): string {
  const names = Object.keys(spec.flags);
  return names.length ? `Accepted: ${names.map(n => `--${n}`).join(', ')}.` : 'It takes no flags.';
}
