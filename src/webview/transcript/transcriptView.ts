// The Transcript panel: header plus the event list. Events are queued and applied once per frame; an
// append touches only the items it adds or changes, and only the newest items are in the DOM (see
// itemWindow.ts), so a 5,000-event session stays responsive while it streams.
import type { TranscriptEvent } from '../../protocol/records';
import type { SessionInfo } from '../../protocol/types';
import type { ToWebview } from '../../protocol/webview';
import { h, icon } from '../dom';
import { post, ViewState } from '../vscodeApi';
import { type FollowState, onScroll } from './follow';
import { SessionHeader } from './header';
import { renderItem, updateItem } from './items';
import { type DomOp, ItemWindow } from './itemWindow';
import type { ToolUiState } from './toolBlock';
import { TranscriptModel } from './transcriptModel';

/** Items rendered when a transcript opens, and how many more each "show earlier" adds. */
const PAGE = 250;
/** While following, older items leave the DOM beyond this many. */
const MAX_RENDERED = 800;
/** Remembered open blocks per panel; older entries are dropped first. */
const MAX_REMEMBERED = 2000;
/** Scrolling this close to the top renders earlier items. */
const NEAR_TOP_PX = 120;

export class TranscriptView {
  private readonly state = new ViewState({ sessionId: '', scrollTop: 0, follow: true, rendered: PAGE, open: [] as string[], all: [] as string[] });
  private readonly header = new SessionHeader({
    showChanges: sessionId => post('transcript/showChanges', { sessionId }),
    setTier: (sessionId, tier) => post('transcript/setTier', { sessionId, tier }),
    act: (sessionId, action) => post('transcript/act', { sessionId, action }),
  });
  private readonly list = h('div', { class: 'events', role: 'log', attrs: { 'aria-label': 'Session transcript' } });
  private readonly earlier = h('button', { class: 'earlier btn btn-link', type: 'button', on: { click: () => this.showEarlier() } });
  private readonly placeholder = h('div', { class: 'events-empty muted' }, 'Loading the transcript…');
  private readonly scroller = h('main', { class: 'scroller' }, this.earlier, this.list, this.placeholder);
  private readonly jump = h('button', { class: 'jump-latest btn btn-primary', type: 'button', on: { click: () => this.toBottom() } }, icon('arrow-down'), h('span', null, 'Latest'));
  private model = new TranscriptModel();
  private window = new ItemWindow();
  private elements = new Map<number, HTMLElement>();
  private pendingReset: { session: SessionInfo; events: TranscriptEvent[] } | undefined;
  private queue: TranscriptEvent[] = [];
  private frame = 0;
  private follow: FollowState = { follow: true, lastTop: 0 };
  private open = new Set<string>();
  private all = new Set<string>();
  private readonly ui: ToolUiState = {
    isOpen: id => this.open.has(id),
    setOpen: (id, v) => this.remember(this.open, 'open', id, v),
    showsAll: id => this.all.has(id),
    setShowAll: (id, v) => this.remember(this.all, 'all', id, v),
  };

  constructor(root: HTMLElement) {
    root.classList.add('transcript-root');
    root.replaceChildren(this.header.el, this.scroller, this.jump);
    this.earlier.hidden = true;
    this.follow = { follow: this.state.get('follow'), lastTop: this.state.get('scrollTop') };
    this.scroller.addEventListener('scroll', () => this.scrolled(), { passive: true });
    // Content changes size after it is added (fonts, wrapping, a block opened): keep the end in view.
    new ResizeObserver(() => {
      if (this.follow.follow) this.scroller.scrollTop = this.scroller.scrollHeight;
    }).observe(this.list);
  }

  reset(body: ToWebview['transcript/reset']): void {
    this.pendingReset = body;
    this.queue = [];
    this.schedule();
  }

  append(body: ToWebview['transcript/append']): void {
    this.queue.push(...body.events);
    this.schedule();
  }

  session(body: ToWebview['transcript/session']): void {
    this.header.update(body.session);
  }

  private schedule(): void {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  private flush(): void {
    this.frame = 0;
    const reset = this.pendingReset;
    this.pendingReset = undefined;
    const events = this.queue;
    this.queue = [];
    let added = false;
    if (reset) {
      this.startOver(reset.session);
      this.window.apply(this.model.apply([...reset.events, ...events]));
      this.window.keepNewest(Math.min(MAX_RENDERED, Math.max(PAGE, this.state.get('rendered'))));
      this.renderWindow();
    } else {
      const ops = this.window.apply(this.model.apply(events));
      if (this.follow.follow && ops.length > MAX_RENDERED) {
        // A flood (a reconnect catching up): render the newest window once instead of every item.
        this.window.trim(MAX_RENDERED);
        this.elements.clear();
        this.renderWindow();
        this.state.set('rendered', this.window.renderedCount);
      } else {
        added = this.applyOps(ops);
        if (this.follow.follow) this.dropFromTop(this.window.trim(MAX_RENDERED));
      }
    }
    this.placeholder.hidden = this.model.size > 0;
    this.placeholder.textContent = this.model.size ? '' : 'Nothing has happened in this session yet.';
    this.updateEarlier();
    if (reset && !this.follow.follow) this.scroller.scrollTop = this.state.get('scrollTop');
    else if (this.follow.follow) this.scroller.scrollTop = this.scroller.scrollHeight;
    else if (added) this.jump.classList.add('visible');
  }

  private startOver(session: SessionInfo): void {
    if (session.id !== this.state.get('sessionId')) {
      // UI state saved for another session means nothing here.
      this.state.reset();
      this.state.set('sessionId', session.id);
      this.follow = { follow: true, lastTop: 0 };
    }
    this.open = new Set(this.state.get('open'));
    this.all = new Set(this.state.get('all'));
    this.model = new TranscriptModel();
    this.window = new ItemWindow();
    this.elements = new Map();
    this.header.update(session);
  }

  private renderWindow(): void {
    const batch = document.createDocumentFragment();
    for (const id of this.window.rendered()) batch.appendChild(this.render(id));
    this.list.replaceChildren(batch);
  }

  /** Applies page operations in one DOM pass; returns whether anything was added. */
  private applyOps(ops: DomOp[]): boolean {
    const batch = document.createDocumentFragment();
    const dirty = new Set<number>();
    let added = false;
    for (const o of ops) {
      if (o.op === 'append') {
        batch.appendChild(this.render(o.id));
        added = true;
      } else if (o.op === 'insertBefore') {
        const before = this.elements.get(o.before);
        const el = this.render(o.id);
        if (before?.parentNode) before.parentNode.insertBefore(el, before);
        else batch.appendChild(el);
        added = true;
      } else if (o.op === 'replace') {
        const old = this.elements.get(o.old);
        this.elements.delete(o.old);
        dirty.delete(o.old);
        const el = this.render(o.id);
        if (old) old.replaceWith(el);
        else batch.appendChild(el);
      } else if (o.op === 'update') {
        dirty.add(o.id);
      } else if (o.op === 'remove') {
        this.elements.get(o.id)?.remove();
        this.elements.delete(o.id);
        dirty.delete(o.id);
      } else {
        this.list.prepend(...o.ids.map(id => this.render(id)));
      }
    }
    this.list.appendChild(batch);
    for (const id of dirty) {
      const el = this.elements.get(id);
      const item = this.model.get(id);
      if (el && item) this.elements.set(id, updateItem(el, item, this.ui));
    }
    return added;
  }

  private render(id: number): HTMLElement {
    const item = this.model.get(id);
    if (!item) throw new Error(`transcript: item ${id} is not in the model`);
    const el = renderItem(item, this.ui);
    this.elements.set(id, el);
    return el;
  }

  private dropFromTop(ids: number[]): void {
    for (const id of ids) {
      this.elements.get(id)?.remove();
      this.elements.delete(id);
    }
    if (ids.length) this.state.set('rendered', this.window.renderedCount);
  }

  private showEarlier(): void {
    const op = this.window.reveal(PAGE);
    if (!op) return;
    // Keep what the user is looking at where it is: the new items go above it.
    const fromBottom = this.scroller.scrollHeight - this.scroller.scrollTop;
    this.applyOps([op]);
    this.scroller.scrollTop = this.scroller.scrollHeight - fromBottom;
    this.follow = { follow: this.follow.follow, lastTop: this.scroller.scrollTop };
    this.state.set('rendered', this.window.renderedCount);
    this.updateEarlier();
  }

  private updateEarlier(): void {
    const n = this.window.hiddenCount;
    this.earlier.hidden = n === 0;
    if (n) this.earlier.replaceChildren(icon('fold-up'), h('span', null, `Show earlier events (${n.toLocaleString('en-US')} more)`));
  }

  private scrolled(): void {
    const s = this.scroller;
    this.follow = onScroll(this.follow, { top: s.scrollTop, height: s.scrollHeight, client: s.clientHeight });
    if (this.follow.follow) this.jump.classList.remove('visible');
    this.state.set('scrollTop', s.scrollTop);
    this.state.set('follow', this.follow.follow);
    if (s.scrollTop < NEAR_TOP_PX && this.window.hiddenCount > 0 && !this.follow.follow) this.showEarlier();
  }

  private toBottom(): void {
    this.follow = { follow: true, lastTop: this.scroller.scrollHeight };
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.jump.classList.remove('visible');
    this.state.set('follow', true);
  }

  private remember(set: Set<string>, key: 'open' | 'all', id: string, on: boolean): void {
    if (on) set.add(id);
    else set.delete(id);
    this.state.set(key, [...set].slice(-MAX_REMEMBERED));
  }
}
