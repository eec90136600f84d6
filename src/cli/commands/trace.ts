// switchyard trace: save a session's trace (the turns as the loop guard saw them) for replay.
import { statSync } from 'node:fs';
import path from 'node:path';
import type { CommandSpec, ParsedFlags } from '../args';
import { UsageError } from '../args';
import { startCliEngine } from '../engineForCli';
import { findSession } from './sessionActions';

export const traceSpec: CommandSpec = {
  name: 'trace',
  summary: "Save a session's trace (one JSON object per turn) to a file, for `switchyard replay`.",
  usage: 'switchyard trace SESSION_ID --out FILE [--repo DIR]',
  positionals: ['session'],
  flags: {
    repo: { type: 'string', help: 'the repository the session belongs to (default: looked for in every repository)' },
    out: { type: 'string', help: 'file to write (replaced if it is there)' },
  },
};

export async function traceCommand(flags: ParsedFlags, positionals: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  if (!flags.out) throw new UsageError('--out FILE is required');
  const file = path.resolve(flags.out as string);
  // Said before anything is read, in words: not a folder made on the way, nor EISDIR.
  if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--out ${flags.out} is a folder: name a file in it`);
  if (!statSync(path.dirname(file), { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--out ${flags.out}: the folder ${path.dirname(file)} does not exist`);
  const engine = await startCliEngine({ passive: true, verbose: err });
  try {
    const s = await findSession(engine, positionals[0]!, flags);
    const { turns } = await engine.sessions.saveTrace(s.id, file);
    out(`Saved ${turns} turn${turns === 1 ? '' : 's'} to ${flags.out}`);
    return 0;
  } finally {
    await engine.shutdown();
  }
}
