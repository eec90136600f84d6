// Turns what the gateway sees into the loop guard's turns. Each request carries the agent's whole
// conversation; what is new since the previous request is the last response's text and calls plus the
// outputs of those calls. Together with the previous response's usage and a worktree fingerprint, that
// is one turn, for any agent that talks through the gateway.
import type { TraceTurn } from '../../protocol/records';
import type { Tier } from '../../protocol/types';
import type { AgentItem } from './requestView';

export interface TurnUsage {
  input: number;
  cached: number;
  output: number;
  reasoning: number;
  costUsd: number;
}

export class GuardFeed {
  private seen = -1;
  private turn: number;

  /** `lastTurn`: the trace's last turn so far (a session resumed in another process numbers on from it). */
  constructor(lastTurn = 0) {
    this.turn = lastTurn;
  }

  /** The number of the last turn traced. */
  get turns(): number {
    return this.turn;
  }

  /**
   * New activity since the last request, cut into turns; undefined when this request only sets the
   * baseline. A conversation that got shorter (compacted or rewritten by its agent) restarts the count
   * without inventing turns.
   */
  take(activity: readonly AgentItem[]): AgentItem[][] | undefined {
    // The first request seen (a new session, or one resumed after a restart) sets the baseline: history
    // was judged when it happened.
    if (this.seen < 0 || activity.length < this.seen) {
      this.seen = activity.length;
      return undefined;
    }
    const fresh = activity.slice(this.seen);
    this.seen = activity.length;
    const turns: AgentItem[][] = [];
    let current: AgentItem[] = [];
    let sawOutput = false;
    for (const item of fresh) {
      const isModel = item.kind !== 'output';
      if (isModel && sawOutput) {
        turns.push(current);
        current = [];
        sawOutput = false;
      }
      if (!isModel) sawOutput = true;
      current.push(item);
    }
    if (current.length) turns.push(current);
    return turns;
  }

  /** The next request sets a new baseline, as after a restart; turn numbers go on. */
  restart(): void {
    this.seen = -1;
  }

  toTrace(items: readonly AgentItem[], usage: TurnUsage | undefined, filesChanged: string[], worktreeHash: string | undefined, tier: Tier): TraceTurn {
    this.turn++;
    const outputs = new Map(items.filter(i => i.kind === 'output').map(i => [i.callId ?? '', withoutRunIds(i.body)]));
    const toolCalls = items
      .filter(i => i.kind === 'call')
      .map(c => ({ name: c.name ?? 'tool', arguments: c.body, output: outputs.get(c.callId ?? '') ?? '' }));
    const text = items.filter(i => i.kind === 'text').map(i => i.body).join('\n');
    return {
      turn: this.turn,
      toolCalls,
      ...(text ? { text } : {}),
      ...(usage ? { usage: { input: usage.input, cached: usage.cached, output: usage.output, reasoning: usage.reasoning }, costUsd: usage.costUsd } : {}),
      filesChanged,
      ...(worktreeHash ? { worktreeHash } : {}),
      tier,
    };
  }
}

/**
 * Codex's exec tools head each output with a random `Chunk ID:` (a handle on its PTY buffer) and the
 * wall time. Neither is the command's output; left in, two identical failures would never look alike.
 */
const CODEX_RUN_HEADER = /^(?:Chunk ID: [0-9a-f]+|Wall time: [\d.]+ seconds)\r?\n/gm;

export function withoutRunIds(output: string): string {
  return output.includes('Chunk ID: ') ? output.replace(CODEX_RUN_HEADER, '') : output;
}
