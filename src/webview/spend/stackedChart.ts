// Daily spend, stacked per session, as SVG built with DOM calls (small, crisp, themed by CSS classes).
import { h, svg } from '../dom';
import { dayLabel, usd, usdAxis } from '../format';
import { seriesClass } from './palette';
import { dayLabelIndexes, niceScale } from './scale';
import type { SessionSeries } from './spendModel';
import { onWidth, Tooltip } from './tooltip';

export interface StackedData {
  days: string[];
  todayIndex: number;
  series: SessionSeries[];
  dayTotals: number[];
}

const HEIGHT = 150;
const PAD = { top: 8, right: 4, bottom: 18, left: 40 };
const TOOLTIP_ROWS = 6;
/** Pixels between stacked segments: neighbours stay apart where their colours are close (high contrast, colour blindness). */
const SEGMENT_GAP = 1;

/**
 * What the chart says in words, for a screen reader (the bars and their hover figures are not read): the
 * days with spend, the dearest, and each day's amount.
 */
export function chartSummary(d: StackedData): string {
  const spent = d.days.map((day, i) => ({ day, usd: d.dayTotals[i] ?? 0 })).filter(x => x.usd > 0);
  if (!spent.length) return 'Spend per day this month: nothing spent yet';
  const dearest = spent.reduce((a, b) => (b.usd > a.usd ? b : a));
  const each = spent.map(x => `${dayLabel(x.day)} ${usd(x.usd)}`).join(', ');
  return `Spend per day this month, stacked by session: ${spent.length} ${spent.length === 1 ? 'day' : 'days'} with spend, the most ${usd(dearest.usd)} on ${dayLabel(dearest.day)}. ${each}.`;
}

export class StackedChart {
  readonly el = h('div', { class: 'chart stacked-chart' });
  private readonly tooltip: Tooltip;
  private data: StackedData | undefined;
  private width = 0;
  private focus: string | null = null;
  private bars: { rect: SVGRectElement; series: string }[] = [];
  private band: SVGRectElement | undefined;
  private readonly stopResize: () => void;

  constructor() {
    this.tooltip = new Tooltip(this.el);
    this.stopResize = onWidth(this.el, w => {
      this.width = w;
      this.draw();
    });
  }

  update(data: StackedData): void {
    this.data = data;
    this.draw();
  }

  /** Dims every series but `id` (legend hover); null shows all. */
  highlight(id: string | null): void {
    this.focus = id;
    for (const b of this.bars) b.rect.classList.toggle('dim', id !== null && b.series !== id);
  }

  dispose(): void {
    this.stopResize();
  }

  private draw(): void {
    const d = this.data;
    if (!d || this.width <= 0) return;
    const W = this.width;
    const plotW = Math.max(10, W - PAD.left - PAD.right);
    const plotH = HEIGHT - PAD.top - PAD.bottom;
    const scale = niceScale(Math.max(0, ...d.dayTotals), plotH < 100 ? 3 : 4);
    const y = (v: number) => PAD.top + plotH - (v / scale.max) * plotH;
    const n = Math.max(1, d.days.length);
    const step = plotW / n;
    const barW = Math.max(1, Math.min(18, step * 0.72));

    const root = svg('svg', { width: W, height: HEIGHT, viewBox: `0 0 ${W} ${HEIGHT}`, role: 'img' });
    root.setAttribute('aria-label', chartSummary(d));
    for (const t of scale.ticks) {
      const ty = Math.round(y(t)) + 0.5;
      root.appendChild(svg('line', { x1: PAD.left, x2: W - PAD.right, y1: ty, y2: ty }, t === 0 ? 'axis' : 'grid'));
      const label = svg('text', { x: PAD.left - 6, y: ty + 3.5, 'text-anchor': 'end' }, 'tick');
      label.textContent = usdAxis(t);
      root.appendChild(label);
    }
    this.band = svg('rect', { x: 0, y: PAD.top, width: step, height: plotH }, 'hover-band');
    root.appendChild(this.band);

    this.bars = [];
    d.days.forEach((_, i) => {
      const x = PAD.left + i * step + (step - barW) / 2;
      let acc = 0;
      let floor = y(0); // the top of the segments drawn so far
      for (const s of d.series) {
        const v = s.values[i] ?? 0;
        if (v <= 0) continue;
        const top = y(acc + v);
        const bottom = floor < y(0) ? floor - SEGMENT_GAP : floor;
        acc += v;
        // Tiny amounts still show as a sliver: a day with spend should never look like a day without.
        const hgt = Math.max(1, bottom - top);
        floor = bottom - hgt;
        const rect = svg('rect', { x: x.toFixed(2), y: floor.toFixed(2), width: barW.toFixed(2), height: hgt.toFixed(2) }, `bar ${seriesClass(s.colour)}`);
        if (this.focus !== null && s.id !== this.focus) rect.classList.add('dim');
        this.bars.push({ rect, series: s.id });
        root.appendChild(rect);
      }
      if (i > d.todayIndex && d.todayIndex >= 0) {
        root.appendChild(svg('circle', { cx: (x + barW / 2).toFixed(2), cy: y(0) - 2, r: 1 }, 'future'));
      }
    });

    for (const i of dayLabelIndexes(d.days.length, plotW)) {
      const day = d.days[i] ?? '';
      const t = svg('text', { x: (PAD.left + i * step + step / 2).toFixed(2), y: HEIGHT - 4, 'text-anchor': 'middle' }, i === d.todayIndex ? 'tick today' : 'tick');
      t.textContent = String(Number(day.slice(8)) || day);
      root.appendChild(t);
    }

    root.addEventListener('pointermove', ev => this.hover(ev, step));
    root.addEventListener('pointerleave', () => this.leave());
    const old = this.el.querySelector('svg');
    if (old) old.replaceWith(root);
    else this.el.prepend(root);
  }

  private hover(ev: PointerEvent, step: number): void {
    const d = this.data;
    if (!d || !this.band) return;
    const rect = this.el.getBoundingClientRect();
    const px = ev.clientX - rect.left;
    const i = Math.floor((px - PAD.left) / step);
    if (i < 0 || i >= d.days.length) return this.leave();
    this.band.setAttribute('x', (PAD.left + i * step).toFixed(2));
    this.band.classList.add('visible');
    const rows = d.series
      .map(s => ({ s, v: s.values[i] ?? 0 }))
      .filter(r => r.v > 0)
      .sort((a, b) => b.v - a.v);
    const content: Node[] = [
      h('div', { class: 'tooltip-title' }, h('span', null, dayLabel(d.days[i] ?? '')), h('span', { class: 'num' }, usd(d.dayTotals[i] ?? 0))),
    ];
    if (!rows.length) content.push(h('div', { class: 'tooltip-muted' }, i > d.todayIndex && d.todayIndex >= 0 ? 'Still to come' : 'Nothing spent'));
    for (const r of rows.slice(0, TOOLTIP_ROWS)) {
      content.push(h('div', { class: 'tooltip-row' }, h('span', { class: `swatch ${seriesClass(r.s.colour)}` }), h('span', { class: 'ellipsis' }, r.s.title), h('span', { class: 'num' }, usd(r.v))));
    }
    if (rows.length > TOOLTIP_ROWS) content.push(h('div', { class: 'tooltip-muted' }, `and ${rows.length - TOOLTIP_ROWS} more`));
    this.tooltip.show(content, px, 4);
  }

  private leave(): void {
    this.band?.classList.remove('visible');
    this.tooltip.hide();
  }
}
