import { SessionsProtocol } from '../../../protocol/sessions';
import { defineHandler } from '../handler';

export default defineHandler(SessionsProtocol.saveTrace, (engine, p) => engine.sessions.saveTrace(p.sessionId, p.file));
