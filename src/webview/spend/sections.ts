// The Spend view's blocks, each a function of the model. Rebuilt on every update (they are small);
// the charts, which keep hover state, live in spendView.ts and are only updated.
import { button, h, icon } from '../dom';
import { monthLabel, percent, plural, tokens, usd } from '../format';
import { seriesClass } from './palette';
import type { BudgetRow, SessionSeries, SpendModel } from './spendModel';

export interface SpendActions {
  newSession(): void;
  manageTrust(): void;
  setBudgets(): void;
  exportCsv(): void;
  openSession(id: string): void;
  highlight(id: string | null): void;
}

const SCOPE_LABEL: Record<BudgetRow['scope'], string> = { session: 'Session', day: 'Today', month: 'This month' };
const TIER_LABEL: Record<string, string> = { priority: 'Priority', standard: 'Standard', flex: 'Flex', unknown: 'Unknown tier' };
const TIER_NOTE: Record<string, string> = {
  priority: 'Fastest; about 2× the standard price',
  standard: "The API's default tier",
  flex: 'Half the standard price; slower',
  unknown: 'The response did not say which tier served it',
};

/** `trusted`: false in Restricted Mode, where no session starts; the first action is then to trust the workspace. */
export function emptyState(m: SpendModel | null, a: SpendActions, trusted: boolean): HTMLElement {
  const caps = m?.budgets.filter(b => b.capUsd > 0) ?? [];
  return h('div', { class: 'empty-state' },
    h('div', { class: 'empty-icon' }, icon('pulse')),
    h('h2', null, 'No spend yet'),
    h('p', null, 'Switchyard meters every request your agents make, shows here what each session costs and what caching saves, and pauses a session before it passes a budget.'),
    trusted ? null : h('p', null, 'No session starts in Restricted Mode: sessions run git in the repository, and git runs programs its configuration names. Trust the workspace to start one.'),
    h('div', { class: 'button-column' },
      trusted
        ? button('New Session', a.newSession, { kind: 'primary', icon: 'add' })
        : button('Manage Workspace Trust', a.manageTrust, { kind: 'primary', icon: 'shield' }),
      button('Set budgets', a.setBudgets, { kind: 'link' })),
    caps.length ? h('p', { class: 'muted small' }, `Caps: ${caps.map(b => `${SCOPE_LABEL[b.scope].toLowerCase()} ${usd(b.capUsd)}`).join(' · ')}`) : null,
  );
}

export function overview(m: SpendModel, a: SpendActions): HTMLElement {
  const b = m.monthBudget;
  return h('div', { class: 'overview' },
    h('div', { class: 'overview-figures' },
      h('div', null, h('div', { class: 'eyebrow' }, monthLabel(m.month)), h('div', { class: 'big-number' }, usd(m.monthUsd), estimateMark(m.estimatedRequests))),
      h('div', { class: 'overview-today' }, h('div', { class: 'eyebrow' }, 'Today'), h('div', { class: 'mid-number' }, usd(m.todayUsd), estimateMark(m.todayEstimatedRequests)))),
    h('div', { class: 'muted' }, `${plural(m.monthRequests, 'request')} · ${plural(m.sessionCount, 'session')} · ${tokens(m.monthInput + m.monthOutput)} tokens`),
    m.unpricedRequests > 0
      ? h('div', { class: 'note warn-text' }, icon('question'), `${plural(m.unpricedRequests, 'unpriced request')} not in this total`)
      : null,
    // As the CLI marks a cost with "~": usage that never came whole (a cut stream, a killed process).
    m.estimatedRequests > 0
      ? h('div', { class: 'note muted small', title: 'Their usage never came whole (a stream cut, a process killed): metered from what arrived, or at their most.' }, `~ includes ${plural(m.estimatedRequests, 'estimated request')}`)
      : null,
    b ? budgetBar(b, 'monthly budget') : h('div', { class: 'muted small' }, 'No monthly budget. ', button('Set one', a.setBudgets, { kind: 'link' })),
    m.dayAlert ? budgetBar(m.dayAlert, 'daily cap') : null,
    m.capReached
      ? h('div', { class: 'banner banner-error', role: 'alert' }, icon('error'), h('span', null, 'A budget cap is stopping work. '), button('Set budgets', a.setBudgets, { kind: 'link' }))
      : null,
  );
}

/** "~" after a figure that includes estimates, as the CLI marks a cost. */
function estimateMark(estimated: number): HTMLElement | null {
  return estimated > 0 ? h('span', { class: 'estimate-mark', title: `Includes ${plural(estimated, 'estimated request')}` }, '~') : null;
}

/** A cap bar: spent (coloured by level) and reserved (hatched) against the cap. */
export function budgetBar(b: BudgetRow, capName: string): HTMLElement {
  const track = h('div', { class: `meter meter-${b.level}`, role: 'meter', attrs: { 'aria-valuemin': '0', 'aria-valuemax': String(b.capUsd), 'aria-valuenow': String(b.spentUsd), 'aria-label': `${usd(b.spentUsd)} of ${usd(b.capUsd)} ${capName}` } });
  const spent = h('div', { class: 'meter-fill' });
  spent.style.width = `${(b.spentShare * 100).toFixed(2)}%`;
  const reserved = h('div', { class: 'meter-reserved' });
  reserved.style.width = `${((b.committedShare - b.spentShare) * 100).toFixed(2)}%`;
  track.append(spent, reserved);
  const words = b.level === 'over' ? 'reached' : `${percent(b.spentShare)} · ${usd(leftOf(b))} left`;
  return h('div', { class: 'budget' },
    track,
    h('div', { class: 'budget-caption' },
      h('span', null, `${usd(b.spentUsd)} of ${usd(b.capUsd)} ${capName}`),
      h('span', { class: `budget-state state-${b.level}` }, words)),
    b.reservedUsd > 0 ? h('div', { class: 'muted small' }, `${usd(b.reservedUsd)} reserved by requests in flight`) : null,
  );
}

export function legend(series: SessionSeries[], a: SpendActions): HTMLElement {
  const list = h('ul', { class: 'legend', role: 'list' });
  for (const s of series) {
    const content = [
      h('span', { class: `swatch ${seriesClass(s.colour)}` }),
      h('span', { class: 'legend-title ellipsis' }, s.title, s.repoName ? h('span', { class: 'legend-repo muted' }, s.repoName) : null),
      h('span', { class: 'num muted' }, usd(s.totalUsd)),
    ];
    const note = s.repoName ? `“${s.title}”, a session of ${s.repoName}: open that folder to see its transcript` : 'Sessions beyond the top ones, summed';
    const item = s.clickable
      ? h('button', { class: 'legend-item clickable', type: 'button', title: `Open the transcript of “${s.title}”`, on: { click: () => a.openSession(s.id) } }, ...content)
      : h('div', { class: 'legend-item', title: note }, ...content);
    item.addEventListener('pointerenter', () => a.highlight(s.id));
    item.addEventListener('pointerleave', () => a.highlight(null));
    item.addEventListener('focus', () => a.highlight(s.id));
    item.addEventListener('blur', () => a.highlight(null));
    list.appendChild(h('li', null, item));
  }
  return list;
}

export function cacheFacts(m: SpendModel): HTMLElement {
  return h('div', { class: 'cache-facts' },
    h('div', { class: 'stat-row' },
      h('span', { class: 'big-number' }, percent(m.cacheShare)),
      h('span', { class: 'muted' }, `of ${tokens(m.monthInput)} input tokens this month came from the cache`)),
  );
}

export function cacheBreaks(m: SpendModel): HTMLElement {
  return m.cacheBreakLossUsd > 0
    ? h('div', { class: 'note warn-text', title: 'Input billed at the full price that an unchanged prompt prefix would have had cached' }, icon('debug-disconnect'), `${usd(m.cacheBreakLossUsd)} lost to cache breaks`)
    : h('div', { class: 'note muted' }, icon('check'), 'No dollars lost to cache breaks');
}

export function premium(m: SpendModel): HTMLElement {
  if (m.priorityUsd <= 0 && m.priorityPremiumUsd <= 0) {
    return h('div', { class: 'callout callout-quiet' }, h('div', { class: 'callout-title' }, icon('rocket'), 'Priority premium'), h('div', { class: 'muted' }, 'No request ran at priority this month.'));
  }
  return h('div', { class: 'callout' },
    h('div', { class: 'callout-title' }, icon('rocket'), 'Priority premium'),
    h('div', { class: 'callout-value' }, usd(m.priorityPremiumUsd)),
    h('div', { class: 'muted' }, `What priority cost beyond the same tokens at standard: ${percent(m.monthUsd > 0 ? m.priorityPremiumUsd / m.monthUsd : 0)} of this month's spend, paid for speed.`),
  );
}

export function tierTable(m: SpendModel): HTMLElement {
  const rows = m.tiers.map(t => {
    const bar = h('div', { class: `mini-bar tier-${t.tier}` });
    bar.style.width = `${(t.share * 100).toFixed(1)}%`;
    const title = `${TIER_LABEL[t.tier] ?? t.tier}: ${TIER_NOTE[t.tier] ?? ''} (${percent(t.share)} of the month)`;
    return h('div', { class: 'tier-row', title },
      h('span', { class: 'tier-name' }, h('span', { class: `dot tier-${t.tier}` }), TIER_LABEL[t.tier] ?? t.tier),
      h('span', { class: 'mini-track' }, bar),
      h('span', { class: 'num' }, usd(t.costUsd)));
  });
  return h('div', { class: 'tier-table' }, ...rows);
}

export function modelTable(m: SpendModel): HTMLElement {
  if (!m.models.length) return h('div', { class: 'muted' }, 'No model was used this month.');
  const body = h('tbody');
  for (const r of m.models) {
    const cost = r.costUsd === null
      ? h('span', { class: 'chip chip-warn', title: 'No price is known for this model: its tokens are counted, its cost is not. Add a price in the switchyard.prices setting.' }, 'unpriced')
      : h('span', null, usd(r.costUsd), r.unpricedRequests > 0 ? h('span', { class: 'muted small', title: 'Requests without a price are not in this figure' }, ` + ${r.unpricedRequests} unpriced`) : null);
    body.appendChild(h('tr', null, h('td', { class: 'ellipsis mono', title: r.model }, r.model), h('td', { class: 'num' }, cost)));
  }
  return h('table', { class: 'model-table' }, h('thead', null, h('tr', null, h('th', null, 'Model'), h('th', { class: 'num' }, 'Cost'))), body);
}

export function budgetRows(m: SpendModel): HTMLElement {
  if (!m.budgets.length) return h('div', { class: 'muted' }, 'No budgets set: nothing caps the spend.');
  return h('div', { class: 'budget-rows' }, ...m.budgets.map(b => {
    const track = h('div', { class: `meter meter-thin meter-${b.level}` });
    const fill = h('div', { class: 'meter-fill' });
    fill.style.width = `${(b.spentShare * 100).toFixed(2)}%`;
    const reserved = h('div', { class: 'meter-reserved' });
    reserved.style.width = `${((b.committedShare - b.spentShare) * 100).toFixed(2)}%`;
    track.append(fill, reserved);
    return h('div', { class: 'budget-row' },
      h('div', { class: 'budget-row-head' },
        h('span', null, SCOPE_LABEL[b.scope]),
        h('span', { class: `num state-${b.level}` }, `${usd(b.spentUsd)} / ${usd(b.capUsd)}`)),
      track,
      h('div', { class: 'budget-row-foot muted small' },
        h('span', { title: 'Held for requests in flight: their worst-case cost, released when they finish' }, `${usd(b.reservedUsd)} reserved`),
        h('span', null, b.level === 'over' ? 'cap reached' : `${usd(leftOf(b))} left`)));
  }));
}

/** What new requests may still reserve: the cap less what is spent and what requests in flight hold. */
function leftOf(b: BudgetRow): number {
  return Math.max(0, b.capUsd - b.spentUsd - b.reservedUsd);
}

export function section(title: string, iconName: string, ...body: (Node | null)[]): HTMLElement {
  return h('section', { class: 'card' }, h('h3', { class: 'card-title' }, icon(iconName), title), ...body);
}
