import { SessionsProtocol } from '../../../protocol/sessions';
import { defineHandler } from '../handler';

export default defineHandler(SessionsProtocol.transcript, (engine, p) => engine.sessions.transcript(p.sessionId, p.after ?? 0));
