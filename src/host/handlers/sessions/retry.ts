import { SessionsProtocol } from '../../../protocol/sessions';
import { defineHandler } from '../handler';

export default defineHandler(SessionsProtocol.retry, (engine, p) => engine.sessions.retry(p.sessionId));
