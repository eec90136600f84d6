// What a refused New Session or Resume, or a failed session, says, and the one thing to fix first where
// there is one. Free of `vscode`, so the wording it reads from the host is unit-tested against the host's
// own (capReachedText, refusalMessage, BASE_URL_WHERE).
import { NO_API_KEY } from '../../protocol/host';
import { plainText } from '../plainText';

export interface StartRefusal {
  message: string;
  actions: string[];
  command?: string;
  args?: unknown[];
}

/** A button that opens where the cause is mended. */
export interface Fix {
  action: string;
  command: string;
  args: unknown[];
}

/** How the host names the base URL for both of its clients (src/host/settings.ts, BASE_URL_WHERE). */
const BASE_URL_WHERE = ' (switchyard.baseUrl in VS Code; --base-url or OPENAI_BASE_URL for the CLI)';

const OPEN_BASE_URL: Fix = { action: 'Open Settings', command: 'workbench.action.openSettings', args: ['switchyard.baseUrl'] };

/**
 * A host's reason in the editor's words, with the fix it points to: one naming the base URL (a server never
 * reached, a base URL that is not one) opens that setting, and names it without the CLI's flags.
 */
export function inEditorWords(reason: string): { text: string; fix?: Fix } {
  if (!reason.includes(BASE_URL_WHERE)) return { text: reason };
  return { text: reason.replace(BASE_URL_WHERE, ' (the switchyard.baseUrl setting)'), fix: OPEN_BASE_URL };
}

/** What a refused start says, and the one thing to fix first where there is one (a key, a cap, the base URL). */
export function refusal(why: string): StartRefusal {
  // A local or other OpenAI-compatible server may need no key: the base URL is the other way on.
  if (why === NO_API_KEY) return { message: 'Switchyard: the session was not created: there is no API key for OpenAI yet. Set one, or point switchyard.baseUrl at a local or other OpenAI-compatible server (which may need none).', actions: ['Set API Key'], command: 'switchyard.setApiKey' };
  const { text, fix } = inEditorWords(why);
  const message = `Switchyard: the session was not created: ${plainText(text)}`;
  if (fix) return { message, actions: [fix.action], command: fix.command, args: fix.args };
  // Reached, or with less left than the first request reserves (createSession's machineCapReached).
  const cap = /^The (daily|monthly) cap (?:is reached|has \$[\d.,]+ left of )/.exec(why)?.[1];
  if (cap) return { message, actions: ['Set Caps…'], command: 'switchyard.setBudgets', args: [cap === 'daily' ? 'budget.dayUsd' : 'budget.monthUsd'] };
  return { message, actions: [] };
}

/** A failed session's alert: its reason in the editor's words, and its buttons, the fix first where there is one. */
export function failedAlert(reason: string, apiKeyRefused: boolean): { message: string; actions: string[]; fix?: Fix } {
  // A refused key is mended by a new one: offered first, then the retry it makes worth trying.
  if (apiKeyRefused) return { message: reason, actions: ['Set API Key…', 'Open Transcript'] };
  // Retry stays: the server at a right base URL may only need starting.
  const { text, fix } = inEditorWords(reason);
  return { message: text, actions: [...(fix ? [fix.action] : []), 'Retry', 'Open Transcript'], fix };
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
