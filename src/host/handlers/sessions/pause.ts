import { SessionsProtocol } from '../../../protocol/sessions';
import { defineHandler } from '../handler';

export default defineHandler(SessionsProtocol.pause, (engine, p) => engine.sessions.pause(p.sessionId));
