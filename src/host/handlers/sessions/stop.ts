import { SessionsProtocol } from '../../../protocol/sessions';
import { defineHandler } from '../handler';

export default defineHandler(SessionsProtocol.stop, (engine, p) => engine.sessions.stop(p.sessionId));
