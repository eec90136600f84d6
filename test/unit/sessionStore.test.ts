// Session records on disk: saves that queue up behind a write are coalesced (only the newest is written),
// a session folder that went away is made again, and a poll looks at closed sessions only now and then.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, promises as fsp, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { homeLayout } from '../../src/host/home';
import type { SessionRecord } from '../../src/host/sessions/sessionRecord';
import { CLOSED_EVERY, SessionStore } from '../../src/host/sessions/sessionStore';

function setup(t: { after(fn: () => void): void }) {
  const root = mkdtempSync(path.join(tmpdir(), 'sy-store-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const home = homeLayout(path.join(root, 'home'));
  const store = new SessionStore(home);
  // Only what the store itself reads: the record is written as it is.
  const record = { id: 'abc123', repo: path.join(root, 'repo'), title: 'Store', turns: 0 } as unknown as SessionRecord;
  const onDisk = () => JSON.parse(readFileSync(store.paths(record.repo, record.id).record, 'utf8')) as { turns: number };
  return { store, record, onDisk, home };
}

test('saves in a burst all resolve, in order, and the newest state is what stays on disk', async t => {
  const { store, record, onDisk } = setup(t);
  const writes = t.mock.method(fsp, 'writeFile');
  const saved: number[] = [];
  const saves = Array.from({ length: 20 }, (_, turns) => store.save({ ...record, turns }).then(() => saved.push(turns)));
  await Promise.all(saves);
  assert.equal(onDisk().turns, 19);
  // The first save is written at once; the 19 that queued behind it are one write of the newest.
  const recordWrites = writes.mock.calls.filter(c => String(c.arguments[0]).includes('session.json'));
  assert.equal(recordWrites.length, 2, 'the saves that queued behind a write are coalesced into one');
  assert.deepEqual(saved, [...saved].sort((a, b) => a - b), 'an older save never resolves after a newer one');
  await store.flush();
  const again = store.save({ ...record, turns: 20 });
  await store.flush();
  await again;
  assert.equal(onDisk().turns, 20, 'flush waits for the last save');
});

test("a session folder that went away is made again by the next save", async t => {
  const { store, record, onDisk } = setup(t);
  await store.save({ ...record, turns: 1 });
  const { dir } = store.paths(record.repo, record.id);
  rmSync(dir, { recursive: true, force: true });
  await store.save({ ...record, turns: 2 });
  assert.ok(existsSync(dir));
  assert.equal(onDisk().turns, 2);
});

test('a poll looks at open sessions every time, and at closed ones (merged, discarded) only every CLOSED_EVERY polls', async t => {
  const { store, record, home } = setup(t);
  const full = (id: string, status: string) => ({ ...record, id, status, task: 'task', branch: `switchyard/${id}`, worktree: `/wt/${id}` }) as unknown as SessionRecord;
  await store.save(full('open1', 'running'));
  await store.save(full('closed1', 'merged'));
  const closed = (id: string) => id === 'closed1';
  const poll = async () => (await store.changedSince(record.repo, msg => assert.fail(msg), closed)).map(r => r.id).sort();
  assert.deepEqual(await poll(), [], 'this store wrote both: nothing is new (the first poll looks at everything)');
  // Another process changes both records.
  const other = new SessionStore(home);
  await other.save(full('open1', 'paused'));
  await other.save(full('closed1', 'discarded'));
  const later = new Date(Date.now() + 5_000);
  for (const id of ['open1', 'closed1']) await fsp.utimes(store.paths(record.repo, id).record, later, later);
  assert.deepEqual(await poll(), ['open1'], 'an open session is looked at on every poll');
  // A host polls each of its repositories in turn: another repository's polls do not shift this one's.
  const elsewhere = path.join(path.dirname(record.repo), 'other-repo');
  for (let i = 2; i < CLOSED_EVERY; i++) {
    assert.deepEqual(await poll(), [], `poll ${i}`);
    await store.changedSince(elsewhere, msg => assert.fail(msg), closed);
  }
  assert.deepEqual(await poll(), ['closed1'], 'every CLOSED_EVERY polls, closed ones too');
  assert.deepEqual(await poll(), []);
});
