import { SessionsProtocol } from '../../../protocol/sessions';
import { defineHandler } from '../handler';

export default defineHandler(SessionsProtocol.resume, (engine, p) => engine.sessions.resume(p.sessionId, p.hint));
