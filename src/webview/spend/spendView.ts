// The Spend view: month overview, daily spend per session, cache, tiers, models and budgets.
// Updates arrive a few times a second while agents run; they are coalesced to one render per frame,
// and the charts are updated in place so a hover survives an update.
import type { ToWebview } from '../../protocol/webview';
import { button, h } from '../dom';
import { post, ViewState } from '../vscodeApi';
import { budgetRows, cacheBreaks, cacheFacts, emptyState, legend, modelTable, overview, premium, section, type SpendActions, tierTable } from './sections';
import { Sparkline } from './sparkline';
import { spendModel, type SpendModel } from './spendModel';
import { StackedChart } from './stackedChart';

type SpendState = ToWebview['spend/state'];

export class SpendView {
  private readonly state = new ViewState({ scrollY: 0 });
  private readonly chart = new StackedChart();
  private readonly spark = new Sparkline('Share of input served from the cache, per day');
  private readonly slots = {
    overview: h('div'),
    legend: h('div'),
    cache: h('div'),
    breaks: h('div'),
    premium: h('div'),
    tiers: h('div'),
    models: h('div'),
    budgets: h('div'),
  };
  private readonly dashboard: HTMLElement;
  private pending: SpendState | undefined;
  private frame = 0;
  private restoredScroll = false;
  private legendKey = '';
  private readonly actions: SpendActions = {
    newSession: () => post('spend/newSession', {}),
    manageTrust: () => post('spend/manageTrust', {}),
    setBudgets: () => post('spend/setBudgets', {}),
    exportCsv: () => post('spend/export', {}),
    openSession: sessionId => post('spend/openSession', { sessionId }),
    highlight: id => this.chart.highlight(id),
  };

  constructor(private readonly root: HTMLElement) {
    const s = this.slots;
    this.dashboard = h('div', { class: 'dashboard' },
      s.overview,
      h('div', { class: 'cards' },
        section('Spend per day', 'graph', this.chart.el, s.legend),
        section('Cache', 'database', s.cache, this.spark.el, s.breaks),
        h('div', { class: 'card card-plain' }, s.premium),
        section('By tier', 'dashboard', s.tiers),
        section('By model', 'symbol-class', s.models),
        section('Budgets', 'law', s.budgets)),
      h('div', { class: 'actions' },
        button('Export CSV', this.actions.exportCsv, { icon: 'export' }),
        button('Set budgets', this.actions.setBudgets, { icon: 'settings-gear' })));
    this.root.replaceChildren(h('div', { class: 'loading', role: 'status' }, h('div', { class: 'progress' }), h('span', { class: 'muted' }, 'Reading the ledger…')));
    window.addEventListener('scroll', () => this.state.set('scrollY', window.scrollY), { passive: true });
  }

  show(body: SpendState): void {
    this.pending = body;
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  private flush(): void {
    this.frame = 0;
    const body = this.pending;
    this.pending = undefined;
    if (!body) return;
    let model: SpendModel;
    try {
      model = spendModel(body.summary, body.series, body.sessions);
    } catch (err) {
      this.root.replaceChildren(h('div', { class: 'banner banner-error', role: 'alert' }, `Could not show the spend: ${(err as Error).message}`));
      return;
    }
    if (model.empty) {
      this.root.replaceChildren(emptyState(model, this.actions, body.trusted));
      return;
    }
    this.render(model);
    if (this.root.firstChild !== this.dashboard) this.root.replaceChildren(this.dashboard);
    if (!this.restoredScroll) {
      this.restoredScroll = true;
      window.scrollTo(0, this.state.get('scrollY'));
    }
  }

  private render(m: SpendModel): void {
    const s = this.slots;
    s.overview.replaceChildren(overview(m, this.actions));
    this.chart.update({ days: m.days, todayIndex: m.todayIndex, series: m.series, dayTotals: m.dayTotals });
    // Rebuilt only when it changes, so a legend entry under the pointer keeps its hover.
    const legendKey = JSON.stringify(m.series.map(x => [x.id, x.title, x.repoName, x.totalUsd, x.colour]));
    if (legendKey !== this.legendKey) {
      this.legendKey = legendKey;
      this.chart.highlight(null);
      s.legend.replaceChildren(legend(m.series, this.actions));
    }
    s.cache.replaceChildren(cacheFacts(m));
    this.spark.update(m.days, m.cacheByDay);
    s.breaks.replaceChildren(cacheBreaks(m));
    s.premium.replaceChildren(premium(m));
    s.tiers.replaceChildren(tierTable(m));
    s.models.replaceChildren(modelTable(m));
    s.budgets.replaceChildren(budgetRows(m));
  }
}
