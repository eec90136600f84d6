import { SessionsProtocol } from '../../../protocol/sessions';
import { repoBranches } from '../../sessions/reviewSession';
import { defineHandler } from '../handler';

export default defineHandler(SessionsProtocol.branches, (engine, p) => repoBranches(engine.sessions, p.repo));
