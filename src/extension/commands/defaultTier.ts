// What changing the tier new sessions start at says. Free of `vscode`, so the wording is unit-tested.
import type { Tier } from '../../protocol/types';

const PRICE: Record<Tier, string> = {
  priority: 'about 2× the standard price',
  standard: 'the standard price',
  flex: 'half the standard price, and slower',
};

/**
 * Said whenever switchyard.defaultTier is changed, as it can double what new sessions cost. `why` is set
 * when the user asked for a session's tier and none could take it (the status-bar toggle).
 */
export function defaultTierChanged(tier: Tier, previous: Tier, why?: string): string {
  const change = tier === previous
    ? `New sessions already start at ${tier} (${PRICE[tier]}).`
    : `New sessions will now start at ${tier} (${PRICE[tier]}), not ${previous}; sessions already started keep their tier.`;
  return `Switchyard: ${why ? `${why} ` : ''}${change}`;
}

export const NO_SESSION_FOR_TIER = 'No session that runs or can be resumed is selected or open, so the default tier (switchyard.defaultTier) changed instead.';

/** Why the toggle changed the default: the session selected has ended (its tier no longer matters), or none runs. */
export function noSessionForTier(selected?: { title: string; status: string }): string {
  if (!selected) return NO_SESSION_FOR_TIER;
  return `"${selected.title}" is ${selected.status}, so its tier no longer matters: the default tier (switchyard.defaultTier) changed instead. Select a session that runs or can be resumed to change its tier.`;
}
