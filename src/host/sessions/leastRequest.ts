// The least a request of the built-in agent reserves: its instructions, tools and task, at the dearest
// tier's prices, with the fewest output tokens worth asking for. Every request of a session sends at least
// these, so a cap with less left cannot pay for a start, nor for a resume.
import type { HostSettings } from '../../protocol/host';
import type { AgentKind } from '../../protocol/types';
import { buildInstructions, taskMessage, toolsFor } from '../agent/prompt';
import { loadRoles, type Role } from '../agent/roles';
import { reserveInputTokens } from '../gateway/requestView';
import type { SpendService } from '../spend/spendService';

/** Null: the model has no price. */
export function leastRequestUsd(spend: SpendService, settings: HostSettings, o: { model: string; role: Role; task: string; branch: string; base: string; folder?: string }): number | null {
  const { maxOutputTokens } = settings;
  // The agent's first request as the gateway reserves it, but for what only its sending adds.
  const body = JSON.stringify({
    model: o.model, instructions: buildInstructions(o.role), tools: toolsFor(o.role), input: [taskMessage(o.task, o.branch, o.base, { folder: o.folder })],
    stream: true, store: false, parallel_tool_calls: true, max_output_tokens: maxOutputTokens, service_tier: 'flex',
  });
  // Less a margin for what differs between the APIs and their settings (a shorter output cap, say).
  return spend.smallestRequestUsd(o.model, reserveInputTokens(Buffer.byteLength(body) - 64), maxOutputTokens);
}

/** The least a made session's next request reserves; null for another agent than the built-in one, or an unpriced model. */
export async function leastRequestOfSession(
  spend: SpendService,
  settings: HostSettings,
  r: { agent: AgentKind; model: string; role: string; task: string; repo: string; branch: string; baseBranch: string; folder?: string },
): Promise<number | null> {
  if (r.agent !== 'builtin' || !spend.isPriced(r.model)) return null;
  const role = (await loadRoles(r.repo, () => undefined).catch(() => [])).find(x => x.name === r.role);
  return role ? leastRequestUsd(spend, settings, { model: r.model, role, task: r.task, branch: r.branch, base: r.baseBranch, folder: r.folder }) : null;
}
