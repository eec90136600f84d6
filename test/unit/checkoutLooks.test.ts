// The note a session gets when the user's checkout has uncommitted work, and the one look at the
// checkout that sessions created together share.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CheckoutLooks } from '../../src/host/sessions/checkoutLooks';
import { engineFor, noProgress, settle, upstream } from './helpers/engineKit';

test('sessions created together share one look at the checkout; a later one looks again', async () => {
  let clock = 1_000;
  const looked: string[] = [];
  const looks = new CheckoutLooks(async root => {
    looked.push(root);
    return [`${root}/changed.txt`];
  }, () => clock);
  const first = await Promise.all([looks.dirtyFiles('/r', '/r/.git'), looks.dirtyFiles('/r', '/r/.git'), looks.dirtyFiles('/other', '/r/.git')]);
  assert.deepEqual(first, [['/r/changed.txt'], ['/r/changed.txt'], ['/other/changed.txt']]);
  clock += 1_500;
  await looks.dirtyFiles('/r', '/r/.git');
  assert.deepEqual(looked, ['/r', '/other'], 'within two seconds, the same answer');
  clock += 1_000;
  await looks.dirtyFiles('/r', '/r/.git');
  assert.deepEqual(looked, ['/r', '/other', '/r'], 'after that, a new look');
});

test('a checkout git cannot read counts as clean', async () => {
  const looks = new CheckoutLooks(() => Promise.reject(new Error('not a repository')));
  assert.deepEqual(await looks.dirtyFiles('/nowhere', '/r/.git'), []);
});

test('a session started from a checkout with uncommitted work says the session does not see it', async t => {
  const finish = { steps: [{ calls: [{ name: 'finish', arguments: { summary: 'done' } }] }] };
  const up = await upstream(t, { scripts: { f: finish } });
  const { engine, repo } = await engineFor(t, { up });
  writeFileSync(path.join(repo, 'draft.txt'), 'not committed\n');
  const created = await Promise.all([1, 2].map(i => engine.sessions.create({ repo, task: `[script:f] task ${i}` }, noProgress)));
  for (const s of created) {
    await settle(engine, s);
    const notices = (await engine.sessions.transcript(s.id, 0)).events.filter(e => e.kind === 'notice' && /uncommitted/.test(e.text));
    assert.equal(notices.length, 1, `${s.title}: one notice`);
    assert.match(notices[0]!.kind === 'notice' ? notices[0]!.text : '', /1 uncommitted change\(s\).*does not see them/);
  }
});
