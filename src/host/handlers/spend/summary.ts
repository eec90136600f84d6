import { SpendProtocol } from '../../../protocol/spend';
import { defineHandler } from '../handler';

export default defineHandler(SpendProtocol.summary, engine => engine.spend.summary());
