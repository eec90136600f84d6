import { SpendProtocol } from '../../../protocol/spend';
import { defineHandler } from '../handler';

export default defineHandler(SpendProtocol.raiseBudget, (engine, p) => engine.sessions.raiseBudget(p.sessionId, p.budgetUsd));
