import { SessionsProtocol } from '../../../protocol/sessions';
import { defineHandler } from '../handler';

export default defineHandler(SessionsProtocol.resolveRepo, async (engine, p) => {
  try {
    return { root: await engine.sessions.repoRootOf(p.dir) };
  } catch (err) {
    return { root: null, reason: (err as Error).message };
  }
});
