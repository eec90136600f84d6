// Server-sent events may end their lines in CRLF, LF or CR. Both readers of a model's stream (the gateway's
// meter and the agent's parser) decode it through this, and see every line end as LF.
export class LfDecoder {
  private readonly decoder = new TextDecoder();
  /** A CR that ended the last chunk: half a CRLF, or a line end of its own; the next chunk says which. */
  private pendingCr = false;

  /** The chunk's text, line ends as LF; a CR at its very end is held back for the next chunk. */
  push(chunk: Uint8Array): string {
    return this.normalize(this.decoder.decode(chunk, { stream: true }), false);
  }

  /** The stream ended: what was held back, a held CR as the line end it was. */
  end(): string {
    return this.normalize(this.decoder.decode(), true);
  }

  private normalize(decoded: string, final: boolean): string {
    let text = this.pendingCr ? `\r${decoded}` : decoded;
    this.pendingCr = !final && text.endsWith('\r');
    if (this.pendingCr) text = text.slice(0, -1);
    return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
  }
}
