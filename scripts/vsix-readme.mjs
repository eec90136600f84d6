// The README the VSIX carries (vsce --readme-path): the repository's own, less what cannot work inside a
// package, where docs/ and the other markdown files are not shipped: the screenshots (each one a broken
// image on the extension's page) and links to files of the repository (kept as their text). Fails if
// anything relative is left. Run by `npm run package`.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const OUT = 'dist/README.md';
const isRelative = target => !/^(https?:|mailto:|#)/.test(target);

const blocks = [];
for (const line of readFileSync('README.md', 'utf8').split('\n')) {
  const table = line.startsWith('|');
  const last = blocks.at(-1);
  if (table && last?.table) last.lines.push(line);
  else blocks.push({ table, lines: [line] });
}
const kept = blocks
  // A table of screenshots goes whole; so does an image on a line of its own.
  .filter(b => !(b.table && b.lines.some(l => l.includes('!['))))
  .flatMap(b => b.lines)
  .filter(l => !/^\s*!\[[^\]]*\]\([^)]*\)\s*$/.test(l))
  .map(l => l.replace(/\[([^\]]+)\]\(([^)]+)\)/g, (whole, text, target) => (isRelative(target) ? text : whole)));
const text = kept.join('\n').replace(/\n{3,}/g, '\n\n');

const left = [...text.matchAll(/!?\[[^\]]*\]\(([^)]+)\)/g)].filter(m => m[0].startsWith('!') || isRelative(m[1]));
if (left.length) {
  console.error(`vsix-readme: ${left.length} link(s) or image(s) would be broken in the package:\n  ${left.map(m => m[0]).join('\n  ')}`);
  process.exit(1);
}
mkdirSync(path.dirname(OUT), { recursive: true });
writeFileSync(OUT, text);
console.log(`vsix-readme: ${OUT} (${text.length} characters)`);
