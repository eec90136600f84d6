import { SpendProtocol } from '../../../protocol/spend';
import { defineHandler } from '../handler';

export default defineHandler(SpendProtocol.models, (engine, p) => engine.spend.pricedModels(p.check));
