// A share as every surface shows it (sidebar, Spend view, CLI): never 100% short of all, nor 0% above none.

export function percent(share: number): string {
  if (!Number.isFinite(share) || share <= 0) return '0%';
  const p = share * 100;
  if (p >= 99.5 && p < 100) return '>99%';
  if (p < 1) {
    const tenth = String(Number(p.toFixed(1)));
    return `${tenth === '0' ? '<0.1' : tenth}%`;
  }
  return `${Math.round(p)}%`;
}
