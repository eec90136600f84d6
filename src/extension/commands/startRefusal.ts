// What a refused New Session or Resume says, and the one thing to fix first where there is one. Free of
// `vscode`, so the wording it reads from the host is unit-tested against the host's own (capReachedText,
// refusalMessage).
import { NO_API_KEY } from '../../protocol/host';
import { plainText } from '../plainText';

export interface StartRefusal {
  message: string;
  actions: string[];
  command?: string;
  args?: unknown[];
}

/** What a refused start says, and the one thing to fix first where there is one (a key, a cap). */
export function refusal(why: string): StartRefusal {
  if (why === NO_API_KEY) return { message: 'Switchyard: the session was not created: there is no API key for OpenAI yet.', actions: ['Set API Key'], command: 'switchyard.setApiKey' };
  const message = `Switchyard: the session was not created: ${plainText(why)}`;
  // Reached, or with less left than the first request reserves (createSession's machineCapReached).
  const cap = /^The (daily|monthly) cap (?:is reached|has \$[\d.,]+ left of )/.exec(why)?.[1];
  if (cap) return { message, actions: ['Set Caps…'], command: 'switchyard.setBudgets', args: [cap === 'daily' ? 'budget.dayUsd' : 'budget.monthUsd'] };
  return { message, actions: [] };
}


/** The fix a refused resume offers: the cap, or the session's budget, that leaves it no room to go on. */
export function resumeRefusal(why: string, sessionId: string): Omit<StartRefusal, 'message'> & { action: string } | undefined {
  // The day or month cap: spent (machineCapSpent), or too small for the request it stopped at (refusalMessage).
  const cap = /^(?:The )?(daily|monthly) cap (?:is reached|reached|too small to go on|has no room free now|has \$[\d.,]+ left of )/i.exec(why)?.[1]?.toLowerCase();
  if (cap) return { action: 'Set Caps…', actions: ['Set Caps…'], command: 'switchyard.setBudgets', args: [cap === 'daily' ? 'budget.dayUsd' : 'budget.monthUsd'] };
  if (/^(?:Session budget (?:reached|too small to go on)|The session's budget \(.*\) is used up)/.test(why)) {
    return { action: 'Raise Budget…', actions: ['Raise Budget…'], command: 'switchyard.raiseSessionBudget', args: [sessionId] };
  }
  return undefined;
}
