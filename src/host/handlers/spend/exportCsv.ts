import { SpendProtocol } from '../../../protocol/spend';
import { defineHandler } from '../handler';

export default defineHandler(SpendProtocol.exportCsv, (engine, p) => engine.spend.exportCsv(p.file, p.since, p.by));
