// A hover card for the charts, positioned through the CSSOM (style attributes are refused by the CSP).
import { h } from '../dom';

export class Tooltip {
  readonly el = h('div', { class: 'tooltip', role: 'tooltip', attrs: { 'aria-hidden': 'true' } });

  constructor(private readonly host: HTMLElement) {
    host.appendChild(this.el);
  }

  /** Shows `content` near x (pixels from the host's left edge), kept inside the host. */
  show(content: Node[], x: number, y: number): void {
    this.el.replaceChildren(...content);
    this.el.classList.add('visible');
    const width = this.el.offsetWidth;
    const max = this.host.clientWidth - width - 2;
    const left = Math.max(2, Math.min(max, x + 12 + width > this.host.clientWidth ? x - width - 12 : x + 12));
    this.el.style.left = `${left}px`;
    this.el.style.top = `${Math.max(0, y)}px`;
  }

  hide(): void {
    this.el.classList.remove('visible');
  }
}

/** Calls `draw(width)` now and whenever the element's width changes, at most once a frame. */
export function onWidth(el: HTMLElement, draw: (width: number) => void): () => void {
  let last = -1;
  let frame = 0;
  const ro = new ResizeObserver(entries => {
    const w = Math.floor(entries[entries.length - 1]?.contentRect.width ?? 0);
    if (w === last || w <= 0) return;
    last = w;
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => draw(w));
  });
  ro.observe(el);
  return () => {
    cancelAnimationFrame(frame);
    ro.disconnect();
  };
}
