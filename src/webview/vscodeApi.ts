// The typed channel to the extension. acquireVsCodeApi() may be called only once per page, so this module
// owns the handle; views get typed post/receive and a state store that survives the view being hidden.
import type { FromWebview, ToWebview, ToWebviewMessage } from '../protocol/webview';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

let api: VsCodeApi | undefined;

function vscode(): VsCodeApi {
  api ??= acquireVsCodeApi();
  return api;
}

export function post<K extends keyof FromWebview>(type: K, body: FromWebview[K]): void {
  vscode().postMessage({ type, body });
}

const KNOWN: ReadonlySet<string> = new Set<keyof ToWebview>(['spend/state', 'transcript/reset', 'transcript/append', 'transcript/session']);

/** Calls `handler` for every well-formed message from the extension; returns a function that stops listening. */
export function onMessage(handler: (message: ToWebviewMessage) => void): () => void {
  const listener = (ev: MessageEvent<unknown>): void => {
    const m = ev.data;
    if (typeof m !== 'object' || m === null) return;
    const { type, body } = m as { type?: unknown; body?: unknown };
    if (typeof type !== 'string' || !KNOWN.has(type) || typeof body !== 'object' || body === null) {
      console.warn('switchyard webview: ignored a malformed message', type);
      return;
    }
    handler(m as ToWebviewMessage);
  };
  window.addEventListener('message', listener);
  return () => window.removeEventListener('message', listener);
}

/**
 * Persistent UI state of one view (scroll position, expanded blocks). Reads fall back to `defaults` field by
 * field, because a state saved by an older build may lack fields or hold the wrong types.
 */
export class ViewState<S extends Record<string, unknown>> {
  private value: S;
  private timer: number | undefined;

  constructor(private readonly defaults: S) {
    const saved = vscode().getState();
    const merged = { ...defaults };
    if (typeof saved === 'object' && saved !== null) {
      for (const k of Object.keys(defaults) as (keyof S)[]) {
        const v = (saved as Partial<S>)[k];
        if (v !== undefined && typeof v === typeof defaults[k] && Array.isArray(v) === Array.isArray(defaults[k])) merged[k] = v;
      }
    }
    this.value = merged;
    window.addEventListener('pagehide', () => this.flush());
  }

  get<K extends keyof S>(key: K): S[K] {
    return this.value[key];
  }

  /** Saves soon (coalesced): scroll events arrive far faster than state needs saving. */
  set<K extends keyof S>(key: K, v: S[K]): void {
    this.value = { ...this.value, [key]: v };
    if (this.timer === undefined) {
      this.timer = window.setTimeout(() => {
        this.timer = undefined;
        vscode().setState(this.value);
      }, 150);
    }
  }

  flush(): void {
    if (this.timer !== undefined) window.clearTimeout(this.timer);
    this.timer = undefined;
    vscode().setState(this.value);
  }

  reset(): void {
    this.value = { ...this.defaults };
    vscode().setState(this.value);
  }
}
