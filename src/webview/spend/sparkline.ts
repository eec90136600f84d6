// Cache share per day (0..100 %) as a small line; days without input leave a gap rather than a false 0 %.
import { h, svg } from '../dom';
import { dayLabel, percent } from '../format';
import { onWidth, Tooltip } from './tooltip';

const HEIGHT = 44;
const PAD = { top: 4, bottom: 4, x: 3 };

export class Sparkline {
  readonly el = h('div', { class: 'chart sparkline' });
  private readonly tooltip: Tooltip;
  private values: (number | null)[] = [];
  private days: string[] = [];
  private width = 0;
  private readonly stopResize: () => void;

  constructor(private readonly label: string) {
    this.tooltip = new Tooltip(this.el);
    this.stopResize = onWidth(this.el, w => {
      this.width = w;
      this.draw();
    });
  }

  update(days: string[], values: (number | null)[]): void {
    this.days = days;
    this.values = values;
    this.draw();
  }

  dispose(): void {
    this.stopResize();
  }

  private draw(): void {
    if (this.width <= 0) return;
    const W = this.width;
    const n = Math.max(2, this.values.length);
    const x = (i: number) => PAD.x + (i / (n - 1)) * (W - 2 * PAD.x);
    const y = (v: number) => PAD.top + (1 - v) * (HEIGHT - PAD.top - PAD.bottom);
    const root = svg('svg', { width: W, height: HEIGHT, viewBox: `0 0 ${W} ${HEIGHT}`, role: 'img' });
    root.setAttribute('aria-label', this.label);
    for (const v of [0, 0.5, 1]) root.appendChild(svg('line', { x1: 0, x2: W, y1: Math.round(y(v)) + 0.5, y2: Math.round(y(v)) + 0.5 }, v === 0 ? 'axis' : 'grid'));

    // Runs of consecutive days with data: each becomes one line (and one filled area) of the path.
    let line = '';
    let area = '';
    let run: [number, number][] = [];
    const flush = () => {
      if (!run.length) return;
      line += run.map(([px, py], k) => `${k ? 'L' : 'M'}${px.toFixed(1)},${py.toFixed(1)}`).join('');
      const first = run[0] as [number, number];
      const last = run[run.length - 1] as [number, number];
      area += `M${first[0].toFixed(1)},${y(0).toFixed(1)}` + run.map(([px, py]) => `L${px.toFixed(1)},${py.toFixed(1)}`).join('') + `L${last[0].toFixed(1)},${y(0).toFixed(1)}Z`;
      if (run.length === 1) root.appendChild(svg('circle', { cx: first[0].toFixed(1), cy: first[1].toFixed(1), r: 2 }, 'spark-dot'));
      run = [];
    };
    this.values.forEach((v, i) => (v === null ? flush() : run.push([x(i), y(v)])));
    flush();
    if (area) root.appendChild(svg('path', { d: area }, 'spark-area'));
    if (line) root.appendChild(svg('path', { d: line }, 'spark-line'));
    const lastIdx = this.values.reduce<number>((acc, v, i) => (v === null ? acc : i), -1);
    const lastVal = this.values[lastIdx];
    if (lastIdx >= 0 && lastVal !== null && lastVal !== undefined) root.appendChild(svg('circle', { cx: x(lastIdx).toFixed(1), cy: y(lastVal).toFixed(1), r: 2.5 }, 'spark-dot'));

    root.addEventListener('pointermove', ev => {
      const px = ev.clientX - this.el.getBoundingClientRect().left;
      const i = Math.round(((px - PAD.x) / (W - 2 * PAD.x)) * (n - 1));
      const v = this.values[i];
      if (i < 0 || i >= this.values.length) return this.tooltip.hide();
      this.tooltip.show([h('div', { class: 'tooltip-title' }, h('span', null, dayLabel(this.days[i] ?? '')), h('span', { class: 'num' }, v === null || v === undefined ? '–' : `${percent(v)} cached`))], px, HEIGHT - 8);
    });
    root.addEventListener('pointerleave', () => this.tooltip.hide());
    const old = this.el.querySelector('svg');
    if (old) old.replaceWith(root);
    else this.el.prepend(root);
  }
}
