import { SessionsProtocol } from '../../../protocol/sessions';
import { defineHandler } from '../handler';

export default defineHandler(SessionsProtocol.roles, (engine, p) => engine.sessions.roles(p.repo));
