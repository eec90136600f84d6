// Whether a record with a given id is in the ledger file at or after a byte offset, read straight from the
// file. The ledger's own check for doubles only remembers the ids it read since it opened (from its
// snapshot on), so it cannot say whether a record another process appended before that is there.
import * as fsp from 'node:fs/promises';
import { decodeLine } from './lineCodec';

const READ_CHUNK = 1 << 20;
const NEWLINE = 0x0a;

export async function ledgerHoldsRecord(file: string, id: string, from: number): Promise<boolean> {
  const handle = await fsp.open(file, 'r');
  try {
    const { size } = await handle.stat();
    // Smaller than the offset: the ledger was replaced since (restored, rebuilt); look at all of it.
    let pos = from <= size ? from : 0;
    const needle = Buffer.from(JSON.stringify(id));
    const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, Math.max(1, size - pos)));
    let carry = Buffer.alloc(0);
    while (pos < size) {
      const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, size - pos), pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      const data = carry.length ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      const lastLine = data.lastIndexOf(NEWLINE);
      // Only lines that mention the id are decoded, and only a line that decodes to it counts: a torn
      // copy (a writer killed mid-append) is skipped by every reader, so it is not there.
      for (let at = data.indexOf(needle); at >= 0 && at < lastLine; ) {
        const end = data.indexOf(NEWLINE, at);
        const d = decodeLine(data.subarray(data.lastIndexOf(NEWLINE, at) + 1, end));
        if (d.ok && d.record.id === id) return true;
        at = data.indexOf(needle, end);
      }
      carry = Buffer.from(data.subarray(lastLine + 1));
    }
    return false;
  } finally {
    await handle.close();
  }
}
