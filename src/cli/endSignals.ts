// The signals that end a CLI run: Ctrl-C is the user's; SIGTERM is whatever ran it (a CI job's timeout, a
// process manager); SIGHUP its terminal closing (a window shut, an SSH connection dropped). Node's default
// for each is to exit at once, which would leave requests under way to be booked at their worst case.
export const END_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const satisfies readonly NodeJS.Signals[];
export type EndSignal = (typeof END_SIGNALS)[number];

/** Calls `handler` on any of them until the returned function is called. */
export function onEndSignals(handler: (signal: EndSignal) => void): () => void {
  endStartingSignals();
  const listeners = END_SIGNALS.map(signal => [signal, () => handler(signal)] as const);
  for (const [signal, listener] of listeners) process.on(signal, listener);
  return () => {
    for (const [signal, listener] of listeners) process.off(signal, listener);
  };
}

let whileStarting: (() => void) | undefined;

/**
 * `handler` takes the end signals while the CLI starts: until a command takes them itself (onEndSignals)
 * or its engine has started (endStartingSignals), whichever is first.
 */
export function onStartingSignals(handler: (signal: EndSignal) => void): void {
  endStartingSignals();
  const off = onEndSignals(handler);
  whileStarting = off;
}

/** The CLI has started: a signal is the command's now, or Node's default. */
export function endStartingSignals(): void {
  whileStarting?.();
  whileStarting = undefined;
}
