// What a change of sessions redraws in the Sessions view. Redrawing a parent makes VS Code forget every
// row under it until the window has fetched them again: a click, an inline action or `view.selection`
// on such a row finds nothing. So a row is redrawn alone when it stays where it is, a moved session
// redraws only the groups it left and joined, and the whole tree is redrawn only when its shape changes.
// No VS Code here: the Sessions view applies the plan.

/** What the root lists: the rows themselves, or these groups (ids, in order). */
export type TreeShape = { grouped: false } | { grouped: true; groups: readonly string[] };

/** Where a session shows: its group's id, or undefined when the filter hides it. */
export type Place = string | undefined;

export type Structure = { kind: 'none' } | { kind: 'root' } | { kind: 'groups'; groups: string[] };

export class RedrawPlan {
  private readonly rows = new Set<string>();
  private readonly groups = new Set<string>();
  private root = false;
  /** Where each session was last placed, whether or not the window has fetched its row. */
  private readonly places = new Map<string, Place>();

  /** The window is fetching the root: from now on, sessions are where they are now. */
  seed(places: Iterable<[string, Place]>): void {
    this.places.clear();
    for (const [id, place] of places) this.places.set(id, place);
  }

  /** A session's place now: a move (or a first appearance) redraws what it concerns. */
  place(id: string, to: Place, shown: TreeShape | undefined): void {
    const known = this.places.has(id);
    const from = this.places.get(id);
    this.places.set(id, to);
    if (!known || from !== to) this.moved(from, to, shown);
  }

  /** A session that is gone: the place it left. */
  remove(id: string, shown: TreeShape | undefined): void {
    const from = this.places.get(id);
    this.places.delete(id);
    this.moved(from, undefined, shown);
  }

  /** A session that stays where it is: its row alone, at once. */
  row(id: string): void {
    this.rows.add(id);
  }

  /**
   * A session that appeared, left, or moved from one place to another. `shown` is the shape the window
   * was last given (undefined before it asked); a group that it does not list is new, so the root is
   * redrawn.
   */
  moved(from: Place, to: Place, shown: TreeShape | undefined): void {
    if (from === to) return;
    if (!shown) {
      this.root = true;
      return;
    }
    // Rows at the root: only a row that appears or disappears changes the list.
    if (!shown.grouped) {
      if (from === undefined || to === undefined) this.root = true;
      return;
    }
    for (const g of [from, to]) {
      if (g === undefined) continue;
      if (shown.groups.includes(g)) this.groups.add(g);
      else this.root = true;
    }
  }

  everything(): void {
    this.root = true;
  }

  get structural(): boolean {
    return this.root || this.groups.size > 0;
  }

  takeRows(): string[] {
    const rows = [...this.rows];
    this.rows.clear();
    return rows;
  }

  /** The structural part, given the shape the window was shown and the shape the sessions have now. */
  takeStructure(shown: TreeShape | undefined, now: TreeShape): Structure {
    const root = this.root || !sameShape(shown, now);
    const groups = [...this.groups];
    this.root = false;
    this.groups.clear();
    if (root) return { kind: 'root' };
    return groups.length ? { kind: 'groups', groups } : { kind: 'none' };
  }
}

function sameShape(a: TreeShape | undefined, b: TreeShape): boolean {
  if (!a || a.grouped !== b.grouped) return false;
  if (!a.grouped || !b.grouped) return true;
  return a.groups.length === b.groups.length && a.groups.every((g, i) => g === b.groups[i]);
}

/** The shape for these (visible) sessions: grouped above `threshold` rows, listing the non-empty groups. */
export function shapeOf<S>(sessions: readonly S[], threshold: number, groupOf: (s: S) => string | undefined, order: readonly string[]): TreeShape {
  if (sessions.length <= threshold) return { grouped: false };
  const used = new Set(sessions.map(groupOf));
  return { grouped: true, groups: order.filter(g => used.has(g)) };
}
