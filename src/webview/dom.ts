// Element construction without innerHTML: text always goes in as textContent, so nothing a model or a tool
// prints can become markup. Styles go through classes (the CSP forbids style attributes).

type Child = Node | string | null | undefined | false;

export interface Props {
  class?: string;
  title?: string;
  role?: string;
  tabIndex?: number;
  type?: string;
  disabled?: boolean;
  /** aria-* and data-* attributes, by their full name (any other is refused, here and when it runs). */
  attrs?: { [name: `aria-${string}` | `data-${string}`]: string };
  on?: { [K in keyof HTMLElementEventMap]?: (ev: HTMLElementEventMap[K]) => void };
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) applyProps(el, props);
  append(el, children);
  return el;
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

function applyProps(el: HTMLElement, p: Props): void {
  if (p.class) el.className = p.class;
  if (p.title !== undefined) el.title = p.title;
  if (p.role) el.setAttribute('role', p.role);
  if (p.tabIndex !== undefined) el.tabIndex = p.tabIndex;
  if (p.type !== undefined) el.setAttribute('type', p.type);
  if (p.disabled) el.setAttribute('disabled', '');
  if (p.attrs) for (const [k, v] of Object.entries(p.attrs)) {
    if (!/^(aria|data)-[a-z-]+$/.test(k)) throw new Error(`dom: attribute "${k}" is not an aria-* or data-* attribute`);
    el.setAttribute(k, v);
  }
  if (p.on) for (const [name, fn] of Object.entries(p.on)) el.addEventListener(name, fn as EventListener);
}

/** A codicon, e.g. icon('warning'). */
export function icon(name: string, extra = ''): HTMLElement {
  const el = document.createElement('i');
  el.className = `codicon codicon-${name}${extra ? ` ${extra}` : ''}`;
  el.setAttribute('aria-hidden', 'true');
  return el;
}

export function button(label: string, onClick: () => void, opts: { icon?: string; kind?: 'primary' | 'secondary' | 'link' | 'icon'; title?: string } = {}): HTMLButtonElement {
  const kind = opts.kind ?? 'secondary';
  const b = h('button', { class: `btn btn-${kind}`, type: 'button', title: opts.title, on: { click: () => onClick() } });
  if (opts.icon) b.appendChild(icon(opts.icon));
  if (label) b.appendChild(h('span', null, label));
  if (!label && opts.title) b.setAttribute('aria-label', opts.title);
  return b;
}

export function clear(el: Element): void {
  el.replaceChildren();
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, cls?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (cls) el.setAttribute('class', cls);
  return el;
}
