// Each session's trace: the turns as the loop guard saw them, appended as they happen, in the format
// `switchyard replay` reads. Writes are queued so a trace copied out has every turn recorded so far.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { TraceTurn } from '../../protocol/records';
import { makeDir } from '../util/makeDir';

export class SessionTraces {
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly warn: (message: string) => void) {}

  append(file: string, turn: TraceTurn): void {
    this.writes = this.writes
      .then(() => fs.appendFile(file, JSON.stringify(turn) + '\n'))
      .catch(err => this.warn(`Writing the trace ${file}: ${(err as Error).message}`));
  }

  /** Copies a trace to `target`; resolves with its number of turns. */
  async copy(file: string, target: string): Promise<{ turns: number }> {
    await this.writes;
    const text = await fs.readFile(file, 'utf8').catch(() => '');
    await makeDir(path.dirname(path.resolve(target)));
    await fs.writeFile(target, text);
    return { turns: text.split('\n').filter(Boolean).length };
  }

  flush(): Promise<void> {
    return this.writes;
  }
}
