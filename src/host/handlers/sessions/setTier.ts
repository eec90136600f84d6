import { SessionsProtocol } from '../../../protocol/sessions';
import { defineHandler } from '../handler';

export default defineHandler(SessionsProtocol.setTier, (engine, p) => (p.sessionId ? engine.sessions.setTier(p.sessionId, p.tier) : null));
