import { SessionsProtocol } from '../../../protocol/sessions';
import { defineHandler } from '../handler';

export default defineHandler(SessionsProtocol.create, (engine, p, progress) => engine.sessions.create(p, progress), 'Creating session…');
