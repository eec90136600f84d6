// Keeps the head and the tail of a stream of output within a byte cap, counting what was cut.

export interface CappedOutput {
  text: string;
  truncated: boolean;
  /** Bytes left out between the head and the tail. */
  droppedBytes: number;
}

export class OutputCapper {
  private readonly headCap: number;
  private readonly tailCap: number;
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private totalBytes = 0;

  constructor(capBytes: number) {
    if (!Number.isInteger(capBytes) || capBytes < 2) throw new RangeError(`output cap must be an integer >= 2, got ${capBytes}`);
    this.headCap = Math.floor(capBytes / 2);
    this.tailCap = capBytes - this.headCap;
  }

  push(chunk: Buffer): void {
    this.totalBytes += chunk.length;
    let rest = chunk;
    if (this.headBytes < this.headCap) {
      const take = Math.min(this.headCap - this.headBytes, rest.length);
      this.head.push(rest.subarray(0, take));
      this.headBytes += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0) return;
    this.tail.push(rest);
    this.tailBytes += rest.length;
    while (this.tailBytes - this.tail[0]!.length >= this.tailCap) {
      this.tailBytes -= this.tail.shift()!.length;
    }
  }

  get bytesSeen(): number {
    return this.totalBytes;
  }

  result(): CappedOutput {
    const head = Buffer.concat(this.head);
    let tail = Buffer.concat(this.tail);
    if (tail.length > this.tailCap) tail = tail.subarray(tail.length - this.tailCap);
    const droppedBytes = this.totalBytes - head.length - tail.length;
    if (droppedBytes === 0) return { text: Buffer.concat([head, tail]).toString('utf8'), truncated: false, droppedBytes: 0 };
    const marker = `\n… [${droppedBytes} bytes of output cut here; ${this.totalBytes} bytes in all] …\n`;
    return { text: head.toString('utf8') + marker + tail.toString('utf8'), truncated: true, droppedBytes };
  }
}
