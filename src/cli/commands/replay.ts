// switchyard replay: run the loop guard over a recorded trace and say what it would have done.
import { promises as fs } from 'node:fs';
import type { CommandSpec, ParsedFlags } from '../args';
import { UsageError } from '../args';
import { TraceFormatError } from '../../host/guard/errors';
import { formatReplay, replay } from '../../host/guard/replay';
import { parseTrace } from '../../host/guard/trace';
import { readMachineConfig } from '../../host/machineConfig';
import { switchyardHome } from '../../host/home';
import { withDefaults } from '../../host/settings';
import { requireFolderOrNothing } from '../engineForCli';

export const replaySpec: CommandSpec = {
  name: 'replay',
  summary: 'Run the loop guard on a trace (one JSON object per turn) and print, per turn, what it would do and why.',
  usage: 'switchyard replay TRACE.jsonl [--json] [--headless]',
  positionals: ['trace'],
  flags: {
    json: { type: 'boolean', help: 'print the result as JSON' },
    headless: { type: 'boolean', help: 'judge as an unattended run (warn, then stop)' },
  },
};

export async function replayCommand(flags: ParsedFlags, positionals: string[], out: (s: string) => void): Promise<number> {
  const file = positionals[0];
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  let turns;
  try {
    turns = parseTrace(text, file);
  } catch (err) {
    // A trace the user gave that is not one is bad input: said in one line, exit 2.
    if (err instanceof TraceFormatError) throw new UsageError(err.message);
    throw err;
  }
  // "verdict: ok" about no turns at all would pass a trace that was never written.
  if (turns.length === 0) throw new UsageError(`${file} holds no turns: a trace has one JSON object per turn (\`switchyard trace\` writes one)`);
  const home = switchyardHome();
  await requireFolderOrNothing(home);
  const settings = withDefaults({ guard: (await readMachineConfig(home)).guard }).guard;
  const result = replay(turns, settings, { headless: Boolean(flags.headless) });
  out(flags.json ? JSON.stringify(result, roundDollars, 2) : formatReplay(result));
  return 0;
}

/** Dollar figures (`…Usd`) to the micro-dollar budgets are kept in: sums of turn costs carry float noise (0.005484999999999999). */
function roundDollars(key: string, value: unknown): unknown {
  return key.endsWith('Usd') && typeof value === 'number' ? Math.round(value * 1e6) / 1e6 : value;
}
