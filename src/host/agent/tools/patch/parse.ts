// Recognises which patch format a model sent and parses it.
import { patchLines } from './text';
import { type FileChange, PatchError } from './types';
import { looksUnified, parseUnified } from './unified';
import { parseV4a } from './v4a';

export function parsePatch(patch: string): FileChange[] {
  const lines = unwrap(patchLines(patch));
  const begin = lines.findIndex(l => l.trim() === '*** Begin Patch');
  const changes = begin >= 0 ? parseV4a(lines, begin) : looksUnified(lines) ? parseUnified(lines) : undefined;
  if (changes === undefined) {
    throw new PatchError(
      "the patch is neither a V4A patch ('*** Begin Patch' … '*** End Patch') nor a unified diff ('--- a/<path>', '+++ b/<path>', '@@' hunks)",
    );
  }
  if (changes.length === 0) throw new PatchError('the patch changes no files');
  return changes;
}

// Models wrap patches in a Markdown fence or a shell heredoc; neither is part of the patch.
function unwrap(lines: string[]): string[] {
  let first = 0;
  let last = lines.length - 1;
  while (first <= last && lines[first]!.trim() === '') first++;
  while (last >= first && lines[last]!.trim() === '') last--;
  const head = lines[first]?.trim() ?? '';
  const tail = lines[last]?.trim() ?? '';
  const fenced = head.startsWith('```') && tail === '```' && last > first;
  const heredoc = /^(?:apply_patch\s*)?<<-?\s*['"]?EOF['"]?$/.test(head) && tail === 'EOF' && last > first;
  if (fenced || heredoc) return lines.slice(first + 1, last);
  return lines.slice(first, last + 1);
}
