import { SessionsProtocol } from '../../../protocol/sessions';
import { defineHandler } from '../handler';

export default defineHandler(SessionsProtocol.changes, (engine, p) => engine.sessions.changes(p.sessionId));
