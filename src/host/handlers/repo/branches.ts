import { SessionsProtocol } from '../../../protocol/sessions';
import { defineHandler } from '../handler';

export default defineHandler(SessionsProtocol.branches, (engine, p) => engine.sessions.branches(p.repo));
