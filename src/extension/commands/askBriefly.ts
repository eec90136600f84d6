// What a dialog asks the host on its way (prices, a first request's cost): answered by a ready host within
// a moment, or not at all. A request to a host that is down waits until it is back; the dialog does not.
import type { HostClient } from '../hostClient';

/** How long a dialog waits for the host's word before going on without it. */
const ASK_MS = 2000;

/** `ask`'s answer, or undefined when the host cannot say now (restarting, slow, or refusing). */
export function askBriefly<T>(host: HostClient, ask: () => Promise<T>): Promise<T | undefined> {
  if (host.state !== 'ready') return Promise.resolve(undefined);
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    ask().catch(() => undefined),
    new Promise<undefined>(resolve => (timer = setTimeout(() => resolve(undefined), ASK_MS))),
  ]).finally(() => clearTimeout(timer));
}
