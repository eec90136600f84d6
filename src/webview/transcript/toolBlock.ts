// A tool call and its result as one collapsible block. The body is built only when opened, so a
// transcript of thousands of calls costs one header each.
import { h, icon } from '../dom';
import { clock } from '../format';
import { toolIcon } from '../labels';
import { clipOutput, firstMeaningfulLine, readArgs } from './toolText';
import type { Item } from './transcriptModel';

type ToolItem = Extract<Item, { kind: 'tool' }>;

/** Which blocks are open and which show their whole output; kept across reloads by the view. */
export interface ToolUiState {
  isOpen(callId: string): boolean;
  setOpen(callId: string, open: boolean): void;
  showsAll(callId: string): boolean;
  setShowAll(callId: string, all: boolean): void;
}

export class ToolBlock {
  readonly el: HTMLElement;
  private body: HTMLElement | null = null;
  private readonly head: HTMLButtonElement;

  constructor(private readonly item: ToolItem, private readonly ui: ToolUiState) {
    const r = item.result;
    const state = r === null ? (item.unanswered ? 'unanswered' : 'pending') : r.ok ? 'ok' : 'error';
    const args = readArgs(item.args);
    const stateIcon = r === null
      ? item.unanswered ? icon('circle-slash', 'state-icon') : icon('loading', 'codicon-modifier-spin state-icon')
      : r.ok ? icon('check', 'state-icon') : icon('error', 'state-icon');
    if (item.unanswered) stateIcon.title = 'No result was recorded: the run stopped before the tool finished';
    this.head = h('button', { class: 'tool-head', type: 'button', attrs: { 'aria-expanded': 'false' }, on: { click: () => this.toggle() } },
      icon('chevron-right', 'chevron'),
      icon(toolIcon(item.name)),
      h('span', { class: 'tool-name' }, item.name ?? 'tool output'),
      h('span', { class: 'tool-gist mono' }, args.gist),
      stateIcon,
      h('time', { class: 'time' }, clock(item.ts)));
    this.el = h('div', { class: `item item-tool tool-${state}`, attrs: { 'data-call': item.callId } }, this.head);
    if (r && !r.ok) {
      const preview = firstMeaningfulLine(r.output);
      if (preview) this.el.appendChild(h('div', { class: 'tool-error-preview mono' }, preview));
    }
    if (ui.isOpen(item.callId)) this.open(true);
  }

  private toggle(): void {
    this.open(!this.body);
  }

  private open(open: boolean): void {
    this.ui.setOpen(this.item.callId, open);
    this.head.setAttribute('aria-expanded', String(open));
    this.el.classList.toggle('open', open);
    if (!open) {
      this.body?.remove();
      this.body = null;
      return;
    }
    this.body = this.buildBody();
    this.el.appendChild(this.body);
  }

  private buildBody(): HTMLElement {
    const { pretty } = readArgs(this.item.args);
    const body = h('div', { class: 'tool-body' });
    if (pretty) body.append(h('div', { class: 'tool-label' }, 'Arguments'), h('pre', { class: 'tool-pre' }, pretty));
    const r = this.item.result;
    if (!r) {
      body.appendChild(h('div', { class: 'muted small' }, this.item.unanswered ? 'No result was recorded: the run stopped before the tool finished.' : 'Running…'));
      return body;
    }
    const all = this.ui.showsAll(this.item.callId);
    const clipped = clipOutput(r.output, all);
    const pre = h('pre', { class: `tool-pre tool-output ${r.ok ? 'ok' : 'error'}${all ? ' all' : ''}` }, clipped.text || '(no output)');
    const label = h('div', { class: 'tool-label' }, r.ok ? 'Output' : 'Error', h('span', { class: 'muted' }, ` · ${clipped.lines.toLocaleString('en-US')} ${clipped.lines === 1 ? 'line' : 'lines'}`));
    body.append(label, pre);
    const long = clipped.hidden > 0 || clipped.lines > 16;
    if (long) {
      const toggle = h('button', { class: 'btn btn-link small', type: 'button', on: { click: () => this.setShowAll(!all) } }, all ? 'Show less' : clipped.hidden > 0 ? `Show all (${clipped.hidden.toLocaleString('en-US')} more characters)` : 'Show all');
      body.appendChild(toggle);
    }
    return body;
  }

  private setShowAll(all: boolean): void {
    this.ui.setShowAll(this.item.callId, all);
    const fresh = this.buildBody();
    this.body?.replaceWith(fresh);
    this.body = fresh;
  }
}
