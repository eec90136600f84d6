import { SessionsProtocol } from '../../../protocol/sessions';
import { firstRequestOf } from '../../sessions/createSession';
import { defineHandler } from '../handler';

export default defineHandler(SessionsProtocol.firstRequest, async (engine, p) => ({ usd: await firstRequestOf(engine.sessions, p) }));
