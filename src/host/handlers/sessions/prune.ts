import { SessionsProtocol } from '../../../protocol/sessions';
import { defineHandler } from '../handler';

export default defineHandler(SessionsProtocol.pruneWorktrees, (engine, p) => engine.sessions.prune(p.repo), 'Cleaning up worktrees…');
