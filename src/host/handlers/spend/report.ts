import { SpendProtocol } from '../../../protocol/spend';
import { defineHandler } from '../handler';

export default defineHandler(SpendProtocol.report, (engine, p) => engine.spend.report(p));
