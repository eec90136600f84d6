import { SessionsProtocol } from '../../../protocol/sessions';
import { defineHandler } from '../handler';

export default defineHandler(SessionsProtocol.watch, (engine, p) => engine.sessions.watch(p.sessionId, p.watching));
