import { SessionsProtocol } from '../../../protocol/sessions';
import { defineHandler } from '../handler';

export default defineHandler(SessionsProtocol.fileAtBase, (engine, p) => engine.sessions.fileAtBase(p.sessionId, p.path));
