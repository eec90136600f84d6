// Checks the manifest against the code, both ways: every command declared in package.json is registered
// in src/extension/commands/index.ts, every registered one is declared, and every menu entry names a
// declared command; the commands of a session row's menu are the ones guarded against a lost row.
// Run by `npm test` (static tier).
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const table = readFileSync('src/extension/commands/index.ts', 'utf8');
const declared = new Set(pkg.contributes.commands.map(c => c.command));
const registered = new Set([...table.matchAll(/^\s*'(switchyard\.[A-Za-z]+)':/gm)].map(m => m[1]));
const problems = [];
for (const c of declared) if (!registered.has(c)) problems.push(`declared but not registered: ${c}`);
for (const c of registered) if (!declared.has(c)) problems.push(`registered but not declared: ${c}`);
for (const c of pkg.contributes.commands) {
  if (c.category !== 'Switchyard') problems.push(`${c.command} has no "Switchyard" category`);
}
for (const [menu, entries] of Object.entries(pkg.contributes.menus ?? {})) {
  for (const e of entries) if (e.command && !declared.has(e.command)) problems.push(`menu ${menu} names an undeclared command: ${e.command}`);
}
// Row commands get the row as their argument, and are guarded when VS Code has lost it (index.ts).
const rowTable = /ROW_COMMANDS[^=]*= new Set\(\[([^\]]*)\]/.exec(table)?.[1] ?? '';
const rowGuarded = new Set([...rowTable.matchAll(/'(switchyard\.[A-Za-z]+)'/g)].map(m => m[1]));
const rowMenu = new Set((pkg.contributes.menus?.['view/item/context'] ?? []).map(e => e.command));
for (const c of rowMenu) if (!rowGuarded.has(c)) problems.push(`in a session row's menu but not in ROW_COMMANDS: ${c}`);
for (const c of rowGuarded) if (!rowMenu.has(c)) problems.push(`in ROW_COMMANDS but not in a session row's menu: ${c}`);
for (const ev of pkg.activationEvents ?? []) {
  if (ev === '*' || ev === 'onStartupFinished') problems.push(`eager activation event: ${ev}`);
}
// README's Settings table lists every setting, with the default the manifest declares.
const readme = readFileSync('README.md', 'utf8');
for (const [key, prop] of Object.entries(pkg.contributes.configuration.properties)) {
  if (!prop.description && !prop.markdownDescription) problems.push(`setting ${key} has no description`);
  const row = readme.split('\n').find(l => l.startsWith(`| \`${key}\` |`));
  if (!row) problems.push(`setting ${key} is not in README.md's Settings table`);
  else if (!defaultShown(row.split('|')[2].trim(), prop.default)) problems.push(`README.md gives ${key} a default other than ${JSON.stringify(prop.default)}`);
}

/** The table's default cell says the manifest's default: the number or the code-quoted value, or "empty". */
function defaultShown(cell, value) {
  if (typeof value === 'number') return cell.split(/\s/)[0] === String(value);
  if (value === '') return cell.startsWith('empty');
  if (typeof value === 'string' || typeof value === 'boolean') return cell === `\`${value}\``;
  if (Array.isArray(value) && value.length === 0) return cell === '`[]`';
  if (value && typeof value === 'object' && Object.keys(value).length === 0) return cell === '`{}`';
  // A list too long for the table (sandbox.denyRead) is described in words.
  return cell.length > 0;
}
// Ranges the extension checks settings against (src/extension/settings.ts, the guard's minimums in
// src/protocol/host.ts) are the ones the Settings editor shows: two copies of one rule, kept equal here.
const props = pkg.contributes.configuration.properties;
const num = t => Number(t.replace(/_/g, ''));
const ranges = [...readFileSync('src/extension/settings.ts', 'utf8').matchAll(/read\('([\w.]+)', isIntIn\(([\d_]+)(?:, ([\d_]+))?\)/g)]
  .map(m => [m[1], num(m[2]), m[3] === undefined ? undefined : num(m[3])]);
const guardMinimums = /GUARD_MINIMUMS[^{]*\{([^}]*)\}/.exec(readFileSync('src/protocol/host.ts', 'utf8'))?.[1] ?? '';
for (const m of guardMinimums.matchAll(/(\w+): (\d+)/g)) ranges.push([`loopGuard.${m[1]}`, Number(m[2]), undefined]);
if (ranges.length < 10) problems.push(`found only ${ranges.length} checked ranges in the settings code: has its shape changed?`);
for (const [key, min, max] of ranges) {
  const prop = props[`switchyard.${key}`];
  if (!prop) problems.push(`settings code checks switchyard.${key}, which package.json does not declare`);
  else if (prop.minimum !== min || prop.maximum !== max) problems.push(`switchyard.${key}: the code checks ${min}..${max ?? '∞'}, package.json declares ${prop.minimum}..${prop.maximum ?? '∞'}`);
}
if (problems.length) {
  console.error(`manifest check: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`manifest check: ${declared.size} commands declared and registered; menus and settings ok`);
