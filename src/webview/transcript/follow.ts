// When the transcript follows new output. Pure, unit-tested; the view feeds it scroll positions.
//
// Only the user scrolling up stops following. Content growing under a programmatic scroll also leaves the
// view "not at the bottom" for a moment, so "not at the bottom" alone must not stop it.

/** Within this many pixels of the end counts as at the bottom. */
export const BOTTOM_SLACK = 32;

export interface ScrollGeometry {
  top: number;
  height: number;
  client: number;
}

export interface FollowState {
  follow: boolean;
  lastTop: number;
}

export function atBottom(g: ScrollGeometry): boolean {
  return g.height - g.top - g.client <= BOTTOM_SLACK;
}

export function onScroll(s: FollowState, g: ScrollGeometry): FollowState {
  if (atBottom(g)) return { follow: true, lastTop: g.top };
  // A move up of a pixel or two comes from layout (a line re-wrapping), not from a hand on the wheel.
  if (g.top < s.lastTop - 2) return { follow: false, lastTop: g.top };
  return { follow: s.follow, lastTop: g.top };
}
