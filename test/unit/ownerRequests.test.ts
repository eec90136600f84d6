// Changes asked of the process that holds a session: taken once, in order, by the owner they are for, for
// the sessions it holds; never carried out after their asker's wait.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { askOwner, REQUEST_EXPIRES_MS, removeInbox, takeOwnerRequests, withdrawRequest } from '../../src/host/sessions/ownerRequests';
import { tempDir } from './helpers/engineKit';

const at = (ms = Date.now()) => new Date(ms).toISOString();

test('the owner takes the requests for the sessions it holds, in order, once; the others wait for their askers', async t => {
  const dir = tempDir(t);
  await askOwner(dir, { action: 'tier', tier: 'flex', sessionId: 'a', to: 'owner-1', by: 'w', at: at() });
  await askOwner(dir, { action: 'stop', sessionId: 'a', to: 'owner-1', by: 'w', at: at() });
  const other = await askOwner(dir, { action: 'pause', sessionId: 'b', to: 'owner-1', by: 'w', at: at() });
  const taken = await takeOwnerRequests(dir, 'owner-1', id => id === 'a');
  assert.deepEqual(taken.map(r => r.action), ['tier', 'stop']);
  assert.deepEqual(await takeOwnerRequests(dir, 'owner-1', id => id === 'a'), [], 'taken once');
  assert.ok(existsSync(other), 'a request for a session it does not hold stays for its asker');
  assert.equal(await withdrawRequest(other), true, 'which can withdraw it: never carried out');
  assert.deepEqual(await takeOwnerRequests(dir, 'owner-1', () => true), []);
});

test('requests made in one millisecond are taken in the order they were made', async t => {
  const dir = tempDir(t);
  // Warm: many requests then fall in one millisecond, where a random suffix alone would order them.
  const budgets = Array.from({ length: 200 }, (_, i) => i + 1);
  for (const budgetUsd of budgets) await askOwner(dir, { action: 'budget', budgetUsd, sessionId: 'a', to: 'owner-1', by: 'w', at: at() });
  const taken = await takeOwnerRequests(dir, 'owner-1', () => true);
  assert.deepEqual(taken.map(r => (r.action === 'budget' ? r.budgetUsd : 0)), budgets);
});

test('a request past its asker\'s wait, or not for this owner, is removed unread', async t => {
  const dir = tempDir(t);
  const old = await askOwner(dir, { action: 'stop', sessionId: 'a', to: 'owner-1', by: 'w', at: at(Date.now() - REQUEST_EXPIRES_MS - 1) });
  assert.deepEqual(await takeOwnerRequests(dir, 'owner-1', () => true), []);
  assert.equal(existsSync(old), false);
  await assert.rejects(askOwner(dir, { action: 'stop', sessionId: 'a', to: '../x', by: 'w', at: at() }), /not a host id/);
  // One addressed to another owner, put in this inbox by hand: not carried out.
  const stray = await askOwner(dir, { action: 'stop', sessionId: 'a', to: 'owner-2', by: 'w', at: at() });
  mkdirSync(path.join(dir, 'owner-1'), { recursive: true });
  renameSync(stray, path.join(dir, 'owner-1', path.basename(stray)));
  assert.deepEqual(await takeOwnerRequests(dir, 'owner-1', () => true), []);
  assert.deepEqual(readdirSync(path.join(dir, 'owner-1')), []);
});

test('an inbox goes at shutdown only when nothing waits in it', async t => {
  const dir = tempDir(t);
  const file = await askOwner(dir, { action: 'budget', budgetUsd: 3, sessionId: 'a', to: 'owner-1', by: 'w', at: at() });
  await removeInbox(dir, 'owner-1');
  assert.ok(existsSync(file), 'a waiting request is its asker\'s to withdraw: gone, it would read as taken');
  await withdrawRequest(file);
  await removeInbox(dir, 'owner-1');
  assert.deepEqual(readdirSync(dir), []);
  assert.equal(existsSync(path.join(dir, 'owner-1')), false);
});
