// The channel between the extension and its webviews, typed in each direction.
// Kept free of imports other than plain types so the webview bundle stays small.
import type { SpendSeries, SpendSummary } from './spend';
import type { TranscriptEvent } from './records';
import type { SessionInfo, Tier } from './types';

/** Messages the extension posts to a webview, by type. */
export interface ToWebview {
  /** `trusted`: whether sessions can start in this window (not in Restricted Mode). */
  'spend/state': { summary: SpendSummary; series: SpendSeries; sessions: number; trusted: boolean };
  'transcript/reset': { session: SessionInfo; events: TranscriptEvent[] };
  'transcript/append': { events: TranscriptEvent[] };
  'transcript/session': { session: SessionInfo };
}

/** Messages a webview posts to the extension, by type. */
export interface FromWebview {
  /** Sent once the webview's script runs; nothing is posted before it. */
  ready: Record<string, never>;
  'spend/newSession': Record<string, never>;
  'spend/manageTrust': Record<string, never>;
  'spend/setBudgets': Record<string, never>;
  'spend/export': Record<string, never>;
  'spend/openSession': { sessionId: string };
  'transcript/showChanges': { sessionId: string };
  'transcript/setTier': { sessionId: string; tier: Tier };
  /** What the header's buttons do to the session, as its row's actions do. */
  'transcript/act': { sessionId: string; action: TranscriptAction };
}

export type TranscriptAction = 'pause' | 'resume' | 'hint' | 'stop' | 'merge' | 'discard' | 'review';

export type Envelope<M, K extends keyof M = keyof M> = K extends keyof M ? { type: K; body: M[K] } : never;
export type ToWebviewMessage = Envelope<ToWebview>;
export type FromWebviewMessage = Envelope<FromWebview>;
