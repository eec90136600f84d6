// The transcript's header: who the session is, what it costs, what guards it, and what can be done with
// it. Rebuilt on each session update; the tier menu's open state, the keyboard focus and an unchanged
// loop-guard banner (a live region a screen reader would read again) survive a rebuild.
import type { SessionInfo, Tier } from '../../protocol/types';
import type { TranscriptAction } from '../../protocol/webview';
import { ACTIVE_STATUSES, RESUMABLE_STATUSES, STOPPABLE_STATUSES, TIERS } from '../../protocol/types';
import { append, button, h, icon } from '../dom';
import { percent, tokens, usd } from '../format';
import { CONFINEMENT, GUARD, STATUS, TIER } from '../labels';
import { budgetRow } from '../spend/spendModel';

export interface HeaderActions {
  showChanges(sessionId: string): void;
  setTier(sessionId: string, tier: Tier): void;
  act(sessionId: string, action: TranscriptAction): void;
}

export class SessionHeader {
  readonly el = h('header', { class: 'session-header' });
  private session: SessionInfo | undefined;
  private menuOpen = false;
  private guardBanner: HTMLElement | undefined;
  private readonly closeOnOutside = (ev: Event) => {
    if (!(ev.target instanceof Node) || !this.el.querySelector('.tier-picker')?.contains(ev.target)) this.setMenu(false);
  };

  constructor(private readonly actions: HeaderActions) {}

  update(s: SessionInfo): void {
    this.session = s;
    // A rebuild replaces the buttons: keep the keyboard where it was.
    const active = document.activeElement;
    const focused = active instanceof HTMLElement && this.el.contains(active) ? active.dataset.focus : undefined;
    this.render();
    if (focused) this.el.querySelector<HTMLElement>(`[data-focus="${focused}"]`)?.focus();
  }

  private render(): void {
    const s = this.session;
    if (!s) return;
    const st = STATUS[s.status] ?? { label: s.status, icon: 'circle-filled' };
    const statusIcon = s.status === 'running' ? icon('loading', 'codicon-modifier-spin') : icon(st.icon);
    this.el.replaceChildren();
    append(this.el, [
      h('div', { class: 'header-top' },
        h('div', { class: 'header-title' },
          h('h1', { title: s.task }, s.title),
          h('span', { class: `badge status-${s.status}`, title: s.statusReason ?? st.label }, statusIcon, st.label),
          this.tierPicker(s)),
        h('div', { class: 'header-actions' }, ...this.runButtons(s),
          // A merged or discarded session's worktree is gone: there is nothing left to show.
          s.status === 'merged' || s.status === 'discarded' ? null : focusable('show-changes', button('Show Changes', () => this.actions.showChanges(s.id), { kind: 'primary', icon: 'diff-multiple', title: `Open the changes on ${s.branch} against ${s.baseBranch}` })))),
      h('div', { class: 'header-meta muted' },
        meta('person', s.role), meta('symbol-class', s.model), meta('git-branch', s.branch), s.agent !== 'builtin' ? meta('terminal', s.agent === 'codex' ? 'Codex' : s.command ?? 'command') : null,
        s.queuePosition && s.status === 'queued' ? meta('clock', `#${s.queuePosition} in queue`) : null),
      // A session the guard paused or stopped has its reason in the guard's banner below, with what it spent.
      s.statusReason && s.status !== 'running' && !((s.status === 'stuck' || s.status === 'stopped') && s.guard.level !== 'ok' && s.statusReason.startsWith('Loop guard: ')) ? h('div', { class: `header-reason status-text-${s.status}` }, s.statusReason) : null,
      this.stats(s),
      this.warnings(s),
    ]);
  }

  /** What its reason tells the user to do, at hand: pause or stop what runs, resume what stopped short, merge what is done. */
  private runButtons(s: SessionInfo): HTMLElement[] {
    const act = (label: string, action: TranscriptAction, iconName: string, title: string) =>
      focusable(action, button(label, () => this.actions.act(s.id, action), { kind: 'secondary', icon: iconName, title }));
    const out: HTMLElement[] = [];
    // Waiting on the user: the notification may be gone, and the answer is what the session needs first.
    if (s.status === 'waiting') out.push(act('Review Command…', 'review', 'bell-dot', 'See the command the agent asks to run, then approve or deny it'));
    if (ACTIVE_STATUSES.includes(s.status)) out.push(act('Pause', 'pause', 'debug-pause', 'Pause the agent; resume it later from where it was'));
    if (RESUMABLE_STATUSES.includes(s.status)) out.push(act(s.status === 'failed' ? 'Retry' : 'Resume', 'resume', 'debug-start', 'Run the agent on from where it stopped'));
    // Stuck in a loop: resumed as it was, it would likely loop again.
    if (s.status === 'stuck') out.push(act('Resume with Hint…', 'hint', 'lightbulb', 'Tell the agent what to do differently, then run it on'));
    if (STOPPABLE_STATUSES.includes(s.status)) out.push(act('Stop', 'stop', 'debug-stop', 'Stop the agent for good; its work stays on its branch'));
    if (s.status === 'done') out.push(act('Merge…', 'merge', 'git-merge', `Merge ${s.branch} into ${s.baseBranch}`));
    // Ended without being merged (nothing to merge, or work not wanted): the way to clear it up, which asks first.
    if (s.status === 'done' || s.status === 'stopped' || s.status === 'failed') out.push(act('Discard…', 'discard', 'trash', 'Remove its worktree; asks first when that would lose work'));
    return out;
  }

  private stats(s: SessionInfo): HTMLElement {
    const u = s.usage;
    const cacheShare = u.input > 0 ? u.cached / u.input : 0;
    const cost = h('div', { class: 'stat' },
      h('div', { class: 'stat-label' }, 'Cost'),
      h('div', { class: 'stat-value' }, usd(s.costUsd), s.budgetUsd !== null ? h('span', { class: 'muted small' }, ` of ${usd(s.budgetUsd)}`) : null),
      s.budgetUsd !== null ? budgetMeter(s.costUsd, s.budgetUsd) : null,
      s.unpricedRequests > 0 ? h('div', { class: 'small warn-text' }, `+ ${s.unpricedRequests} unpriced`) : null,
      s.priorityPremiumUsd > 0 ? h('div', { class: 'small muted', title: 'What priority cost beyond the same tokens at standard' }, `${usd(s.priorityPremiumUsd)} priority premium`) : null);
    const tokenStat = h('div', { class: 'stat stat-wide' },
      h('div', { class: 'stat-label' }, 'Tokens'),
      h('div', { class: 'token-row' },
        tokenCell('in', u.input), tokenCell('cached', u.cached), tokenCell('out', u.output), tokenCell('reasoning', u.reasoning)),
      // Short, so the column keeps its width; the why is in the tooltip.
      s.estimatedRequests > 0 ? h('div', {
        class: 'small muted',
        title: 'Counted from an estimate: a request cut off before the provider said what it used (a pause, a stop, a dropped stream), or one served at a tier without a price here, counted at its dearest',
      }, `${s.estimatedRequests} ${s.estimatedRequests === 1 ? 'request' : 'requests'} estimated`) : null);
    return h('div', { class: 'stats' },
      cost,
      tokenStat,
      simpleStat('Requests', u.requests.toLocaleString('en-US'), `${s.turns} ${s.turns === 1 ? 'turn' : 'turns'}`),
      simpleStat('Cache', percent(cacheShare), s.cacheBreaks > 0 ? `${s.cacheBreaks} ${s.cacheBreaks === 1 ? 'break' : 'breaks'} · ${usd(s.cacheBreakLossUsd)} lost` : 'no breaks'));
  }

  private warnings(s: SessionInfo): HTMLElement | null {
    const rows: HTMLElement[] = [];
    if (s.guard.level !== 'ok') {
      const g = GUARD[s.guard.level];
      const banner = h('div', { class: `header-banner guard guard-${s.guard.level}`, role: 'status' },
        icon(g.icon),
        // A step's reason says the step ("Stuck, paused…", "Still looping after the warning, tier lowered…"); a warning's is the signal alone.
        h('span', null, h('strong', null, s.guard.reason && s.guard.level !== 'warn' ? 'Loop guard' : `Loop guard: ${g.label}`), s.guard.reason ? ` — ${s.guard.reason}` : '',
          h('span', { class: 'muted' }, ` (${usd(s.guard.spentSinceProgressUsd)} over ${s.guard.turnsSinceProgress} ${s.guard.turnsSinceProgress === 1 ? 'turn' : 'turns'} without progress)`)));
      // The same words again are the same element: a new one in a live region is read out again.
      const same = this.guardBanner?.className === banner.className && this.guardBanner.textContent === banner.textContent;
      if (!same) this.guardBanner = banner;
      rows.push(this.guardBanner!);
    }
    if (s.confinement) {
      const c = CONFINEMENT[s.confinement];
      rows.push(h('div', { class: `header-confinement${c.risky ? ' risky' : ''}`, title: s.confinementNote ?? c.label },
        icon(c.icon), h('strong', null, c.label), s.confinementNote ? h('span', { class: 'muted' }, ` — ${s.confinementNote}`) : null));
    }
    return rows.length ? h('div', { class: 'header-warnings' }, ...rows) : null;
  }

  private tierPicker(s: SessionInfo): HTMLElement {
    const t = TIER[s.tier];
    const editable = ACTIVE_STATUSES.includes(s.status) || RESUMABLE_STATUSES.includes(s.status);
    const chip = h('button', {
      class: `chip tier-chip tier-chip-${s.tier}`, type: 'button', disabled: !editable,
      title: editable ? `${t.label}: ${t.note}. Click to change.` : `${t.label}: the session no longer runs`,
      attrs: { 'aria-haspopup': 'menu', 'aria-expanded': String(this.menuOpen), 'data-focus': 'tier' },
      on: { click: () => this.setMenu(!this.menuOpen) },
    }, icon(t.icon), t.label, editable ? icon('chevron-down') : null);
    const picker = h('div', { class: 'tier-picker' }, chip);
    if (this.menuOpen && editable) {
      const menu = h('div', { class: 'menu', role: 'menu', on: { keydown: ev => this.menuKey(ev) } });
      for (const tier of TIERS) {
        const info = TIER[tier];
        menu.appendChild(h('button', {
          class: `menu-item${tier === s.tier ? ' checked' : ''}`, type: 'button', role: 'menuitemradio',
          attrs: { 'aria-checked': String(tier === s.tier), 'data-tier': tier, 'data-focus': `tier-${tier}` },
          on: { click: () => { this.setMenu(false); if (tier !== s.tier) this.actions.setTier(s.id, tier); } },
        }, icon(tier === s.tier ? 'check' : 'blank'), h('span', { class: 'menu-label' }, info.label), h('span', { class: 'menu-note' }, info.note)));
      }
      picker.appendChild(menu);
    }
    return picker;
  }

  private setMenu(open: boolean): void {
    if (open === this.menuOpen) return;
    this.menuOpen = open;
    if (open) document.addEventListener('pointerdown', this.closeOnOutside, true);
    else document.removeEventListener('pointerdown', this.closeOnOutside, true);
    this.render();
    this.el.querySelector<HTMLElement>(open ? '.menu-item.checked' : '.tier-chip')?.focus();
  }

  private menuKey(ev: KeyboardEvent): void {
    const items = [...this.el.querySelectorAll<HTMLElement>('.menu-item')];
    const at = items.indexOf(document.activeElement as HTMLElement);
    if (ev.key === 'Escape') this.setMenu(false);
    else if (ev.key === 'ArrowDown') items[(at + 1) % items.length]?.focus();
    else if (ev.key === 'ArrowUp') items[(at - 1 + items.length) % items.length]?.focus();
    else return;
    ev.preventDefault();
  }
}

/** Marks a control whose keyboard focus a rebuild keeps (update()). */
function focusable<T extends HTMLElement>(key: string, el: T): T {
  el.dataset.focus = key;
  return el;
}

function meta(iconName: string, text: string): HTMLElement {
  return h('span', { class: 'meta' }, icon(iconName), text);
}

function tokenCell(label: string, n: number): HTMLElement {
  return h('span', { class: 'token-cell', title: `${n.toLocaleString('en-US')} ${label}` }, h('span', { class: 'stat-value' }, tokens(n)), h('span', { class: 'muted small' }, label));
}

function simpleStat(label: string, value: string, note: string): HTMLElement {
  return h('div', { class: 'stat' }, h('div', { class: 'stat-label' }, label), h('div', { class: 'stat-value' }, value), h('div', { class: 'small muted' }, note));
}

function budgetMeter(spent: number, cap: number): HTMLElement {
  const b = budgetRow({ scope: 'session', capUsd: cap, spentUsd: spent, reservedUsd: 0 });
  const track = h('div', { class: `meter meter-thin meter-${b.level}` });
  const fill = h('div', { class: 'meter-fill' });
  fill.style.width = `${(b.spentShare * 100).toFixed(1)}%`;
  track.appendChild(fill);
  return track;
}
