// One element per transcript item. Everything from the model or a tool goes in as textContent.
import { h, icon } from '../dom';
import { clock, duration, percent, tokens, usd } from '../format';
import { GUARD, STATUS } from '../labels';
import { parseBlocks, type Inline } from './richText';
import type { Item } from './transcriptModel';
import { ToolBlock, type ToolUiState } from './toolBlock';

type Of<K extends Item['kind']> = Extract<Item, { kind: K }>;

export function renderItem(item: Item, ui: ToolUiState): HTMLElement {
  switch (item.kind) {
    case 'user':
      return message('item-user', 'account', 'You', item.ts, blocks(item.text));
    case 'assistant':
      return message('item-assistant', 'sparkle', 'Assistant', item.ts, blocks(item.text), `turn ${item.turn}`);
    case 'typing':
      return typing(item);
    case 'tool':
      return new ToolBlock(item, ui).el;
    case 'usage':
      return usage(item);
    case 'status':
      return status(item);
    case 'guard':
      return guard(item);
    case 'cache-break':
      return cacheBreak(item);
    case 'notice':
      return notice(item);
  }
}

/** Updates an element in place where that is cheaper than rebuilding it (streamed text); else rebuilds. */
export function updateItem(el: HTMLElement, item: Item, ui: ToolUiState): HTMLElement {
  if (item.kind === 'typing' && !item.interrupted && el.classList.contains('item-typing')) {
    const text = el.querySelector('.typing-text');
    if (text) {
      text.textContent = item.text;
      return el;
    }
  }
  const fresh = renderItem(item, ui);
  el.replaceWith(fresh);
  return fresh;
}

function message(cls: string, iconName: string, who: string, ts: string, body: HTMLElement, extra?: string): HTMLElement {
  return h('div', { class: `item item-message ${cls}` },
    h('div', { class: 'item-head' }, icon(iconName), h('span', { class: 'who' }, who), extra ? h('span', { class: 'muted' }, extra) : null, time(ts)),
    body);
}

function typing(item: Of<'typing'>): HTMLElement {
  const state = item.interrupted
    ? h('span', { class: 'chip chip-muted', title: 'The stream stopped before the answer was complete; this partial text was not kept.' }, 'interrupted')
    : h('span', { class: 'writing' }, icon('loading', 'codicon-modifier-spin'), 'writing…');
  return h('div', { class: `item item-message item-typing${item.interrupted ? ' interrupted' : ''}`, attrs: { 'aria-live': 'polite' } },
    h('div', { class: 'item-head' }, icon('sparkle'), h('span', { class: 'who' }, 'Assistant'), h('span', { class: 'muted' }, `turn ${item.turn}`), state, time(item.ts)),
    h('div', { class: 'typing-text' }, item.text));
}

function usage(item: Of<'usage'>): HTMLElement {
  const r = item.record;
  const share = Math.min(1, Math.max(0, item.cachedShare));
  const bar = h('div', { class: 'cache-bar', role: 'meter', attrs: { 'aria-label': `${percent(share)} of input cached`, 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(Math.round(share * 100)) } });
  const fill = h('div', { class: 'cache-bar-fill' });
  fill.style.width = `${(share * 100).toFixed(1)}%`;
  bar.appendChild(fill);
  const tierNote = r.servedTier !== r.requestedTier && r.servedTier !== 'unknown' ? `${r.servedTier} (asked ${r.requestedTier})` : r.servedTier === 'unknown' ? r.requestedTier : r.servedTier;
  const title = `Input ${r.input.toLocaleString('en-US')} tokens, of which ${r.cached.toLocaleString('en-US')} cached${r.cacheWrite ? `, ${r.cacheWrite.toLocaleString('en-US')} written to the cache` : ''}; output ${r.output.toLocaleString('en-US')} (reasoning ${r.reasoning.toLocaleString('en-US')}).`;
  return h('div', { class: 'item item-usage', title },
    icon('pulse'),
    h('span', { class: 'usage-model mono' }, r.model),
    h('span', { class: `chip tier-chip-${r.servedTier}` }, tierNote),
    bar,
    h('span', { class: 'usage-share' }, `${percent(share)} cached`),
    h('span', { class: 'muted' }, `${tokens(r.input)} in · ${tokens(r.output)} out${r.reasoning ? ` · ${tokens(r.reasoning)} reasoning` : ''}`),
    h('span', { class: r.costUsd === null ? 'chip chip-warn' : 'usage-cost num' }, usd(r.costUsd)),
    r.worstCase
      ? h('span', { class: 'chip chip-muted', title: 'Its process ended before the response was metered: counted at the most it can have cost, its whole output cap at the model\'s dearest tier.' }, 'worst case')
      : r.costBound
      ? h('span', { class: 'chip chip-muted', title: 'Served at a tier with no price here: the tokens are exact, the cost is at the model\'s dearest known price.' }, 'price bound')
      : r.estimated ? h('span', { class: 'chip chip-muted', title: 'No usage that could be read arrived (the stream, or its process, ended first; or the server sent none, or sent it unreadable): these tokens are an estimate.' }, 'estimate') : null,
    h('span', { class: 'muted small' }, duration(r.latencyMs)),
  );
}

function status(item: Of<'status'>): HTMLElement {
  const s = STATUS[item.status] ?? { label: item.status, icon: 'circle-filled' };
  // The loop guard's pause or stop follows its own callout, which says the same reason: the badge is enough.
  const saidAbove = (item.status === 'stuck' || item.status === 'stopped') && item.reason?.startsWith('Loop guard: ');
  return h('div', { class: 'item item-status', title: saidAbove ? item.reason : undefined },
    h('span', { class: `badge status-${item.status}` }, icon(s.icon), s.label),
    item.reason && !saidAbove ? h('span', { class: 'status-reason' }, item.reason) : null,
    time(item.ts));
}

function guard(item: Of<'guard'>): HTMLElement {
  const g = GUARD[item.level] ?? { label: item.level, icon: 'warning' };
  return h('div', { class: `item item-callout guard guard-${item.level}`, role: 'note' },
    icon(g.icon),
    h('div', null, h('div', { class: 'callout-head' }, h('strong', null, `Loop guard: ${g.label}`), time(item.ts)), h('div', null, item.reason)));
}

function cacheBreak(item: Of<'cache-break'>): HTMLElement {
  return h('div', { class: 'item item-callout cache-break', role: 'note' },
    icon('debug-disconnect'),
    h('div', null,
      h('div', { class: 'callout-head' }, h('strong', null, `Cache break: ${item.reason}`), h('span', { class: 'lost num' }, `${usd(item.lostUsd)} lost`), time(item.ts)),
      item.segment ? h('div', { class: 'muted' }, 'Changed: ', h('code', null, item.segment)) : null));
}

function notice(item: Of<'notice'>): HTMLElement {
  // A command agent's own output: a terminal's line, its stderr ones tagged so.
  if (item.stream) {
    return h('div', { class: `item item-notice notice-output notice-${item.stream}` }, icon('terminal'),
      item.stream === 'stderr' ? h('span', { class: 'stream-tag', title: "The agent's standard error" }, 'stderr') : null,
      h('span', { class: 'notice-text' }, item.text), time(item.ts));
  }
  const iconName = item.level === 'error' ? 'error' : item.level === 'warning' ? 'warning' : 'info';
  return h('div', { class: `item item-notice notice-${item.level}` }, icon(iconName), h('span', { class: 'notice-text' }, item.text), time(item.ts));
}

function time(ts: string): HTMLElement | null {
  const t = clock(ts);
  return t ? h('time', { class: 'time', attrs: { 'data-ts': ts } }, t) : null;
}

export function blocks(text: string): HTMLElement {
  const root = h('div', { class: 'rich' });
  for (const b of parseBlocks(text)) {
    if (b.kind === 'code') {
      root.appendChild(h('pre', { class: 'code-block', attrs: b.lang ? { 'data-lang': b.lang } : {} }, h('code', null, b.text)));
    } else if (b.kind === 'heading') {
      root.appendChild(inline(h('div', { class: `rich-heading h${Math.min(b.level, 4)}` }), b.inline));
    } else if (b.kind === 'list') {
      const list = b.ordered ? h('ol') : h('ul');
      for (const it of b.items) list.appendChild(inline(h('li'), it));
      root.appendChild(list);
    } else {
      root.appendChild(inline(h('p'), b.inline));
    }
  }
  return root;
}

function inline(el: HTMLElement, parts: Inline[]): HTMLElement {
  for (const p of parts) el.appendChild(p.code ? h('code', null, p.text) : p.bold ? h('strong', null, p.text) : document.createTextNode(p.text));
  return el;
}
