import assert from 'node:assert/strict';
import { test } from 'node:test';
import { atBottom, onScroll } from '../../src/webview/transcript/follow';
import { parseBlocks, parseInline } from '../../src/webview/transcript/richText';
import { clipOutput, countLines, firstMeaningfulLine, oneLine, readArgs } from '../../src/webview/transcript/toolText';

test('parseBlocks: paragraphs, headings, lists and fenced code', () => {
  const blocks = parseBlocks('# Plan\nFirst line\nsecond line\n\n- a\n- b `x`\n  continued\n1. one\n2. two\n\n```ts\nconst a = 1;\n\nconst b = 2;\n```\nafter');
  assert.deepEqual(blocks.map(b => b.kind), ['heading', 'paragraph', 'list', 'list', 'code', 'paragraph']);
  assert.deepEqual(blocks[1], { kind: 'paragraph', inline: [{ text: 'First line\nsecond line' }] });
  assert.deepEqual(blocks[2], { kind: 'list', ordered: false, items: [[{ text: 'a' }], [{ text: 'b ' }, { text: 'x', code: true }, { text: ' continued' }]] });
  assert.equal(blocks[3]?.kind === 'list' && blocks[3].ordered, true);
  assert.deepEqual(blocks[4], { kind: 'code', lang: 'ts', text: 'const a = 1;\n\nconst b = 2;' });
});

test('parseBlocks: an unclosed fence (a stream cut mid-code) runs to the end; longer fences nest shorter ones', () => {
  assert.deepEqual(parseBlocks('look:\n```\nline 1\nline 2'), [{ kind: 'paragraph', inline: [{ text: 'look:' }] }, { kind: 'code', lang: '', text: 'line 1\nline 2' }]);
  assert.deepEqual(parseBlocks('````md\n```js\nx\n```\n````'), [{ kind: 'code', lang: 'md', text: '```js\nx\n```' }]);
  assert.deepEqual(parseBlocks('~~~\n```\n~~~'), [{ kind: 'code', lang: '', text: '```' }]);
});

test('parseInline: code and bold; markup-looking text stays text', () => {
  assert.deepEqual(parseInline('use `a < b` and **bold** <img src=x onerror=alert(1)>'), [
    { text: 'use ' }, { text: 'a < b', code: true }, { text: ' and ' }, { text: 'bold', bold: true }, { text: ' <img src=x onerror=alert(1)>' },
  ]);
  assert.deepEqual(parseInline('``a `tick` b``'), [{ text: 'a `tick` b', code: true }]);
  assert.deepEqual(parseInline('2 ** 3 and a lone ` tick'), [{ text: '2 ** 3 and a lone ` tick' }]);
  assert.deepEqual(parseInline(''), []);
});

test('readArgs: pretty JSON and the telling argument as the gist', () => {
  assert.deepEqual(readArgs('{"path":"src/a.ts","start":1}'), { pretty: '{\n  "path": "src/a.ts",\n  "start": 1\n}', gist: 'src/a.ts' });
  assert.equal(readArgs('{"timeoutSec":30,"command":"npm test"}').gist, 'npm test', 'command wins over earlier keys');
  assert.equal(readArgs('{"command":["git","status"]}').gist, 'git status');
  assert.equal(readArgs('{"n":1}').gist, '{"n":1}');
  assert.equal(readArgs('{}').gist, '');
  assert.deepEqual(readArgs('ls -la\n  src'), { pretty: 'ls -la\n  src', gist: 'ls -la src' }, 'a raw shell command (Codex) stays as it is');
  assert.deepEqual(readArgs('  '), { pretty: '', gist: '' });
  assert.equal(oneLine('x'.repeat(200)).length, 96);
});

test('clipOutput: big outputs are cut at a line end unless all is asked for', () => {
  const out = Array.from({ length: 5000 }, (_, i) => `line ${i}`).join('\n');
  const clipped = clipOutput(out, false, 1000);
  assert.ok(clipped.text.length <= 1000 && clipped.text.length > 800);
  assert.ok(!clipped.text.endsWith('\n') && out.startsWith(clipped.text));
  assert.equal(clipped.hidden, out.length - clipped.text.length);
  assert.equal(clipped.lines, 5000);
  assert.deepEqual(clipOutput(out, true, 1000), { text: out, hidden: 0, lines: 5000 });
  assert.equal(clipOutput('x'.repeat(3000), false, 1000).text.length, 1000, 'one long line is cut mid-line');
  assert.deepEqual([countLines(''), countLines('a'), countLines('a\n'), countLines('a\nb')], [0, 1, 1, 2]);
  assert.equal(firstMeaningfulLine('\n\n  FAIL  x\nmore'), 'FAIL x');
});

test('follow: only scrolling up stops following; reaching the bottom resumes it', () => {
  const bottom = { top: 900, height: 1500, client: 600 };
  assert.equal(atBottom(bottom), true);
  let s = onScroll({ follow: true, lastTop: 0 }, bottom);
  assert.deepEqual(s, { follow: true, lastTop: 900 });
  // Content grew under us: not at the bottom, but nobody scrolled up.
  s = onScroll(s, { top: 900, height: 2400, client: 600 });
  assert.equal(s.follow, true);
  s = onScroll(s, { top: 700, height: 2400, client: 600 });
  assert.equal(s.follow, false, 'the user scrolled up');
  s = onScroll(s, { top: 1000, height: 2400, client: 600 });
  assert.equal(s.follow, false, 'scrolling down but not to the end keeps it off');
  s = onScroll(s, { top: 1790, height: 2400, client: 600 });
  assert.equal(s.follow, true);
});
