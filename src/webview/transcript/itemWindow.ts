// Which transcript items are on the page. A long session keeps every item in the model but only the
// newest few hundred in the DOM: layout cost grows with the DOM, and a live append must stay cheap at
// 5,000 events. Older items are rendered on demand ("show earlier"). Pure (no DOM), unit-tested.
import type { Change } from './transcriptModel';

/** What the page must do, in order; `id`s refer to model items. */
export type DomOp =
  | { op: 'append'; id: number }
  | { op: 'insertBefore'; id: number; before: number }
  | { op: 'replace'; id: number; old: number }
  | { op: 'update'; id: number }
  | { op: 'remove'; id: number }
  /** Render these (oldest first) above the first rendered item. */
  | { op: 'prepend'; ids: number[] };

export class ItemWindow {
  /** Every item id in page order. */
  private order: number[] = [];
  /** How many items at the start of `order` are not rendered. */
  private hidden = 0;
  /** The ids of those items, so "is it rendered?" costs O(1) for every update of a streaming item. */
  private readonly hiddenIds = new Set<number>();

  get total(): number {
    return this.order.length;
  }

  get hiddenCount(): number {
    return this.hidden;
  }

  get renderedCount(): number {
    return this.order.length - this.hidden;
  }

  /** Translates model changes into page operations on the rendered window. */
  apply(changes: readonly Change[]): DomOp[] {
    const out: DomOp[] = [];
    for (const c of changes) {
      switch (c.op) {
        case 'append':
          this.order.push(c.item.id);
          out.push({ op: 'append', id: c.item.id });
          break;
        case 'insertBefore': {
          const at = this.order.indexOf(c.before);
          if (at < 0) {
            this.order.push(c.item.id);
            out.push({ op: 'append', id: c.item.id });
          } else {
            this.order.splice(at, 0, c.item.id);
            if (at < this.hidden) this.hide(c.item.id);
            else out.push({ op: 'insertBefore', id: c.item.id, before: c.before });
          }
          break;
        }
        case 'replace': {
          const at = this.order.indexOf(c.id);
          if (at < 0) {
            this.order.push(c.item.id);
            out.push({ op: 'append', id: c.item.id });
          } else {
            this.order[at] = c.item.id;
            if (at < this.hidden) {
              this.hiddenIds.delete(c.id);
              this.hiddenIds.add(c.item.id);
            } else out.push({ op: 'replace', id: c.item.id, old: c.id });
          }
          break;
        }
        case 'update':
          if (!this.hiddenIds.has(c.item.id)) out.push({ op: 'update', id: c.item.id });
          break;
        case 'remove': {
          const at = this.order.indexOf(c.id);
          if (at < 0) break;
          this.order.splice(at, 1);
          if (at < this.hidden) {
            this.hidden--;
            this.hiddenIds.delete(c.id);
          } else out.push({ op: 'remove', id: c.id });
          break;
        }
      }
    }
    return out;
  }

  /** Hides all but the newest `keep` items (used before the first render of a long transcript). */
  keepNewest(keep: number): number[] {
    const ids = this.order.slice(this.hidden, Math.max(this.hidden, this.order.length - Math.max(0, keep)));
    for (const id of ids) this.hide(id);
    return ids;
  }

  /** Ids to render above the window, oldest first, to show `count` more earlier items. */
  reveal(count: number): DomOp | null {
    if (this.hidden === 0 || count <= 0) return null;
    const from = Math.max(0, this.hidden - count);
    const ids = this.order.slice(from, this.hidden);
    this.hidden = from;
    for (const id of ids) this.hiddenIds.delete(id);
    return { op: 'prepend', ids };
  }

  /** Ids to take off the page from the top so at most `max` stay rendered. */
  trim(max: number): number[] {
    const excess = this.renderedCount - max;
    if (excess <= 0) return [];
    const ids = this.order.slice(this.hidden, this.hidden + excess);
    for (const id of ids) this.hide(id);
    return ids;
  }

  /** Ids currently rendered, in page order. */
  rendered(): number[] {
    return this.order.slice(this.hidden);
  }

  private hide(id: number): void {
    this.hidden++;
    this.hiddenIds.add(id);
  }
}
