// switchyard trace: save a session's trace (the turns as the loop guard saw them) for replay.
import path from 'node:path';
import type { CommandSpec, ParsedFlags } from '../args';
import { UsageError } from '../args';
import { startCliEngine } from '../engineForCli';

export const traceSpec: CommandSpec = {
  name: 'trace',
  summary: "Save a session's trace (one JSON object per turn) to a file, for `switchyard replay`.",
  usage: 'switchyard trace SESSION_ID --repo DIR --out FILE',
  positionals: ['session'],
  flags: {
    repo: { type: 'string', help: 'the repository the session belongs to' },
    out: { type: 'string', help: 'file to write' },
  },
};

export async function traceCommand(flags: ParsedFlags, positionals: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  if (!flags.repo) throw new UsageError('--repo DIR is required');
  if (!flags.out) throw new UsageError('--out FILE is required');
  const engine = await startCliEngine({ passive: true, verbose: err });
  try {
    await engine.sessions.list(await engine.sessions.repoRootOf(path.resolve(flags.repo as string)));
    const { turns } = await engine.sessions.saveTrace(positionals[0], path.resolve(flags.out as string));
    out(`Saved ${turns} turns to ${flags.out}`);
    return 0;
  } finally {
    await engine.shutdown();
  }
}
