import { SpendProtocol } from '../../../protocol/spend';
import { defineHandler } from '../handler';

export default defineHandler(SpendProtocol.series, (engine, p) => engine.spend.series(p.month));
