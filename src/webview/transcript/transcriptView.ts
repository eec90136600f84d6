// The Transcript panel: header plus the event list. Events are queued and applied once per frame, and an
// append touches only the items it adds or changes, so a 5,000-event session stays responsive while it streams.
import type { TranscriptEvent } from '../../protocol/records';
import type { SessionInfo } from '../../protocol/types';
import type { ToWebview } from '../../protocol/webview';
import { h, icon } from '../dom';
import { post, ViewState } from '../vscodeApi';
import { type FollowState, onScroll } from './follow';
import { SessionHeader } from './header';
import { renderItem, updateItem } from './items';
import type { ToolUiState } from './toolBlock';
import { type Change, TranscriptModel } from './transcriptModel';

/** Remembered open blocks per panel; older entries are dropped first. */
const MAX_REMEMBERED = 2000;

export class TranscriptView {
  private readonly state = new ViewState({ sessionId: '', scrollTop: 0, follow: true, open: [] as string[], all: [] as string[] });
  private readonly header = new SessionHeader({
    showChanges: sessionId => post('transcript/showChanges', { sessionId }),
    setTier: (sessionId, tier) => post('transcript/setTier', { sessionId, tier }),
  });
  private readonly list = h('div', { class: 'events', role: 'log', attrs: { 'aria-label': 'Session transcript' } });
  private readonly placeholder = h('div', { class: 'events-empty muted' }, 'Loading the transcript…');
  private readonly scroller = h('main', { class: 'scroller' }, this.list, this.placeholder);
  private readonly jump = h('button', { class: 'jump-latest btn btn-primary', type: 'button', on: { click: () => this.toBottom() } }, icon('arrow-down'), h('span', null, 'Latest'));
  private model = new TranscriptModel();
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
    if (reset) this.startOver(reset.session);
    const changes = this.model.apply(reset ? [...reset.events, ...events] : events);
    const added = this.applyChanges(changes);
    this.placeholder.textContent = this.model.size ? '' : 'Nothing has happened in this session yet.';
    this.placeholder.hidden = this.model.size > 0;
    if (reset && !this.follow.follow) {
      this.scroller.scrollTop = this.state.get('scrollTop');
    } else if (this.follow.follow) {
      this.scroller.scrollTop = this.scroller.scrollHeight;
    } else if (added) {
      this.jump.classList.add('visible');
    }
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
    this.elements = new Map();
    this.list.replaceChildren();
    this.header.update(session);
  }

  /** Applies the changes in one DOM pass; returns whether anything was added. */
  private applyChanges(changes: Change[]): boolean {
    const batch = document.createDocumentFragment();
    const dirty = new Set<number>();
    let added = false;
    for (const c of changes) {
      switch (c.op) {
        case 'append': {
          const el = renderItem(c.item, this.ui);
          this.elements.set(c.item.id, el);
          batch.appendChild(el);
          added = true;
          break;
        }
        case 'insertBefore': {
          const el = renderItem(c.item, this.ui);
          this.elements.set(c.item.id, el);
          const before = this.elements.get(c.before);
          if (before?.parentNode) before.parentNode.insertBefore(el, before);
          else batch.appendChild(el);
          added = true;
          break;
        }
        case 'replace': {
          const el = renderItem(c.item, this.ui);
          this.elements.set(c.item.id, el);
          const old = this.elements.get(c.id);
          this.elements.delete(c.id);
          dirty.delete(c.id);
          if (old) old.replaceWith(el);
          else batch.appendChild(el);
          break;
        }
        case 'update':
          dirty.add(c.item.id);
          break;
        case 'remove':
          this.elements.get(c.id)?.remove();
          this.elements.delete(c.id);
          dirty.delete(c.id);
          break;
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

  private scrolled(): void {
    const s = this.scroller;
    this.follow = onScroll(this.follow, { top: s.scrollTop, height: s.scrollHeight, client: s.clientHeight });
    if (this.follow.follow) this.jump.classList.remove('visible');
    this.state.set('scrollTop', s.scrollTop);
    this.state.set('follow', this.follow.follow);
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
