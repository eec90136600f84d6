// Each session's trace: the turns as the loop guard saw them, appended as they happen, in the format
// `switchyard replay` reads. Writes are queued so a trace copied out has every turn recorded so far.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { TraceTurn } from '../../protocol/records';
import { UserError } from '../errors';
import { makeDir } from '../util/makeDir';

export class SessionTraces {
  private writes: Promise<void> = Promise.resolve();
  /** Traces this process has appended to: looked at once for a line a crash cut short. */
  private readonly opened = new Set<string>();

  constructor(private readonly warn: (message: string) => void) {}

  append(file: string, turn: TraceTurn): void {
    this.writes = this.writes
      .then(async () => {
        // A line cut short by a crash ends there: the turn after it starts a line of its own.
        const cut = !this.opened.has(file) && (await endsMidLine(file));
        this.opened.add(file);
        await fs.appendFile(file, `${cut ? '\n' : ''}${JSON.stringify(turn)}\n`);
      })
      .catch(err => this.warn(`Writing the trace ${file}: ${(err as Error).message}`));
  }

  /**
   * Copies a trace to `target`; resolves with its number of turns. A trace that is not there is said, and
   * nothing is written: an empty file would read as a session that made no request.
   */
  async copy(file: string, target: string, traced: number): Promise<{ turns: number }> {
    await this.writes;
    const text = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      throw new UserError(
        traced > 0
          ? `The session's trace ${file} is missing (deleted or moved): it had ${traced} turn${traced === 1 ? '' : 's'}. Nothing was saved.`
          : 'The session has no completed turn yet (a request cut short is not one), so it has no trace. Nothing was saved.',
      );
    });
    await makeDir(path.dirname(path.resolve(target)));
    await fs.writeFile(target, text);
    return { turns: text.split('\n').filter(Boolean).length };
  }

  flush(): Promise<void> {
    return this.writes;
  }
}

async function endsMidLine(file: string): Promise<boolean> {
  const handle = await fs.open(file, 'r').catch(() => undefined);
  if (!handle) return false;
  try {
    const { size } = await handle.stat();
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    await handle.close();
  }
}
