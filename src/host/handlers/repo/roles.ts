import { SessionsProtocol } from '../../../protocol/sessions';
import { repoRoles } from '../../sessions/reviewSession';
import { defineHandler } from '../handler';

export default defineHandler(SessionsProtocol.roles, (engine, p) => repoRoles(engine.sessions, p.repo));
