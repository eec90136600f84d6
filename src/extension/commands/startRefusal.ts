// What a refused New Session says, and the one thing to fix first where there is one. Free of `vscode`,
// so the wording it reads from the host is unit-tested against the host's own (capReachedText).
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

