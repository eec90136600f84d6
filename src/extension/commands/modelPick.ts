// New Session's model: the models the price table prices, each with its price, and any other name typed.
// A model without a price is allowed (a local or proxied endpoint names its own), but said before it
// starts: its tokens are counted, and no dollar budget can limit it.
import * as vscode from 'vscode';
import { SpendProtocol, type PricedModels } from '../../protocol/spend';
import { TIERS, type Tier } from '../../protocol/types';
import type { HostClient } from '../hostClient';
import { askBriefly } from './askBriefly';

export const UNPRICED_WARNING = 'no price here: its tokens are counted, but no dollar budget can limit it';

/** The price table with `check` resolved, or undefined when the host cannot say now (restarting, or slow). */
function pricedModels(host: HostClient, check?: string): Promise<PricedModels | undefined> {
  return askBriefly(host, () => host.request(SpendProtocol.models, check === undefined ? {} : { check }));
}

/** Whether the price table prices `model` (undefined when the host cannot say). */
export async function isPriced(host: HostClient, model: string): Promise<boolean | undefined> {
  const answer = await pricedModels(host, model);
  return answer && answer.checked !== null;
}

/** The model picked, or undefined when the user backed out. */
export async function pickModel(host: HostClient, current: string): Promise<string | undefined> {
  const table = await pricedModels(host, current);
  if (!table) return typeModel(host, current);
  const other = { label: '$(edit) Another model…', detail: 'Any model the endpoint serves; one without a price here is counted in tokens only.', model: undefined };
  // The current one first, where Enter takes it: the list's first would otherwise be the dearest model.
  const models = [...table.models].sort((a, b) => Number(b.model === table.checked) - Number(a.model === table.checked));
  const items: (vscode.QuickPickItem & { model?: string })[] = [
    ...models.map(m => ({ label: m.model, description: m.model === table.checked ? 'current' : undefined, detail: priceLine(m.tiers), model: m.model })),
    other,
  ];
  const p = await vscode.window.showQuickPick(items, { title: `Model (prices per million tokens, table of ${table.date} with your overrides)`, matchOnDetail: false });
  if (!p) return undefined;
  return p.model ?? typeModel(host, current, table);
}

async function typeModel(host: HostClient, current: string, table?: PricedModels): Promise<string | undefined> {
  const v = await vscode.window.showInputBox({
    title: 'Model',
    // The current one is offered for editing where the list does not hold it (a typo to mend).
    value: table?.checked ? '' : current,
    prompt: 'The model name the endpoint expects.',
    ignoreFocusOut: true,
    // A warning, not a refusal: Enter still takes it.
    validateInput: async x => {
      if (!x.trim()) return 'Name a model.';
      return (await isPriced(host, x.trim())) === false ? { message: `${x.trim()} has ${UNPRICED_WARNING} (give it one in switchyard.prices).`, severity: vscode.InputBoxValidationSeverity.Warning } : undefined;
    },
  });
  return v?.trim() || undefined;
}

// Cents as cents ($0.50, $2.50), finer prices as they are ($0.175).
const usd = (n: number): string => `$${Number.isInteger(n) ? n : Number.isInteger(n * 100) ? n.toFixed(2) : n < 0.0001 ? n.toPrecision(2) : +n.toFixed(4)}`;

/** "standard $2.50 in · $0.25 cached · $15 out; also priority, flex". */
export function priceLine(tiers: PricedModels['models'][number]['tiers']): string {
  const first = (['standard', ...TIERS.filter(t => t !== 'standard')] as Tier[]).find(t => tiers[t]);
  if (!first) return 'no tier priced';
  const p = tiers[first]!;
  const others = TIERS.filter(t => t !== first && tiers[t]);
  return `${first} ${usd(p.input)} in · ${usd(p.cachedInput)} cached · ${usd(p.output)} out${others.length ? `; also ${others.join(', ')}` : ''}`;
}
