// A request handler: the protocol type it answers and what it does with the engine.
import type { RequestType } from 'vscode-languageserver-protocol';
import type { Engine } from '../engine';

/** Reports long work as native progress in VS Code (LSP work-done progress). */
export interface Progress {
  report(message: string, percentage?: number): void;
}

export interface HandlerDef<P, R> {
  type: RequestType<P, R, void>;
  /** Title of the progress VS Code shows while this runs; omitted for quick requests. */
  progressTitle?: string;
  handle(engine: Engine, params: P, progress: Progress): Promise<R>;
}

export function defineHandler<P, R>(
  type: RequestType<P, R, void>,
  handle: (engine: Engine, params: P, progress: Progress) => Promise<R> | R,
  progressTitle?: string,
): HandlerDef<P, R> {
  return { type, progressTitle, handle: async (e, p, pr) => handle(e, p, pr) };
}
