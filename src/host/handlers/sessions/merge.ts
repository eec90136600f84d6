import { SessionsProtocol } from '../../../protocol/sessions';
import { defineHandler } from '../handler';

export default defineHandler(SessionsProtocol.merge, (engine, p, progress) => engine.sessions.merge(p, progress), 'Merging session…');
