import { SessionsProtocol } from '../../../protocol/sessions';
import { repoBranches } from '../../sessions/reviewSession';
import { defineHandler } from '../handler';

export default defineHandler(SessionsProtocol.branches, (_engine, p) => repoBranches(p.repo));
