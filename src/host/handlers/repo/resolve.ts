import { SessionsProtocol } from '../../../protocol/sessions';
import { WorktreeError } from '../../worktrees/errors';
import { defineHandler } from '../handler';

export default defineHandler(SessionsProtocol.resolveRepo, async (engine, p) => {
  try {
    return { root: await engine.sessions.repoRootOf(p.dir) };
  } catch (err) {
    const noCommits = err instanceof Error && err.cause instanceof WorktreeError && err.cause.code === 'no-commits';
    return { root: null, reason: (err as Error).message, ...(noCommits ? { noCommits: true as const } : {}) };
  }
});
