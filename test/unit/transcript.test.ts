// A transcript that cannot be written (a full disk, a folder that cannot be made) must not take the host
// down: the failure is told once, the session goes on, and the lines are written once they can be.
import assert from 'node:assert/strict';
import { promises as fsp, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { TranscriptEvent } from '../../src/protocol/records';
import { TranscriptLog } from '../../src/host/sessions/transcript';
import { tempDir } from './helpers/engineKit';

const notice = (text: string): TranscriptEvent => ({ kind: 'notice', ts: new Date().toISOString(), level: 'info', text });

test('a transcript whose folder cannot be made tells of it once, loses nothing, and writes it all once it can', async t => {
  const root = tempDir(t);
  // A file where the session's folder should be: every write fails (ENOTDIR or EEXIST).
  writeFileSync(path.join(root, 'session'), 'in the way');
  const errors: Error[] = [];
  const log = new TranscriptLog(path.join(root, 'session', 'transcript.jsonl'), err => errors.push(err));
  await log.open();
  log.append(notice('one'));
  // The timer's flush fails with nobody to tell: the process must go on (an unhandled rejection fails the test).
  await new Promise(r => setTimeout(r, 250));
  log.append(notice('two'));
  await log.flush();
  log.append(notice('three'));
  await log.flush();
  assert.equal(errors.length, 1, 'told once, not at every retry');

  rmSync(path.join(root, 'session'));
  await log.flush();
  assert.deepEqual((await log.readAll()).map(e => (e.kind === 'notice' ? e.text : e.kind)), ['one', 'two', 'three']);
  assert.deepEqual(await log.read(1).then(r => r.next), 3, 'the indices count what is on disk');
});

test('a write cut short (a disk that filled up halfway through it) is cut back: the retry writes each line once, and no torn one', async t => {
  const root = tempDir(t);
  const log = new TranscriptLog(path.join(root, 'transcript.jsonl'));
  await log.open();
  log.append(notice('one'));
  await log.flush();
  const appendFile = fsp.appendFile;
  t.after(() => void (fsp.appendFile = appendFile));
  let full = true;
  fsp.appendFile = (async (file: Parameters<typeof appendFile>[0], data: string) => {
    if (!full) return appendFile(file, data);
    await appendFile(file, data.slice(0, 12));
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  }) as typeof appendFile;
  log.append(notice('two'));
  await log.flush();
  full = false;
  log.append(notice('three'));
  await log.flush();
  assert.deepEqual((await log.readAll()).map(e => (e.kind === 'notice' ? e.text : e.kind)), ['one', 'two', 'three']);
});

test('a transcript read mid-answer carries the answer as far as it streamed, watched or not; its end, a retry or a pause ends it', async t => {
  const log = new TranscriptLog(path.join(tempDir(t), 'transcript.jsonl'));
  await log.open();
  const ts = new Date().toISOString();
  // Unwatched, the agent makes no delta event: it only tells the log what streamed.
  const streamed = async () => (await log.read(0)).streaming?.delta;
  log.streamed(3, 'Watch the transcript ');
  log.append(notice('Tier changed from standard to priority: from its next request.'));
  log.streamed(3, 'fill in word by word.');
  assert.equal(await streamed(), 'Watch the transcript fill in word by word.');
  assert.equal((await log.read(0)).events.length, 1, 'nothing of it is stored');
  log.append({ kind: 'assistant', ts, turn: 3, text: 'Watch the transcript fill in word by word.' });
  assert.equal(await streamed(), undefined);
  log.streamed(4, 'half an');
  log.append({ kind: 'notice', ts, level: 'warning', text: 'Server error (the partial answer was discarded); retrying in 2 s.' });
  assert.equal(await streamed(), undefined, 'a retry starts the answer again');
  log.streamed(4, 'again');
  log.streamed(5, 'a new turn');
  assert.equal(await streamed(), 'a new turn');
  log.append({ kind: 'status', ts, status: 'paused', reason: 'Paused by the user.' });
  assert.equal(await streamed(), undefined);
});

test('a watcher that loads mid-answer gets each delta once: in the answer read, or live after it', async t => {
  const log = new TranscriptLog(path.join(tempDir(t), 'transcript.jsonl'));
  await log.open();
  const ts = new Date().toISOString();
  const batches: { afterRead: boolean; deltas: string[] }[] = [];
  let readDone = false;
  log.setListener((_from, events) => batches.push({ afterRead: readDone, deltas: events.flatMap(e => (e.kind === 'assistant-delta' ? [e.delta] : [])) }));
  // Watched, as the agent loop does it: told, and an event made.
  const say = (d: string) => {
    log.streamed(1, d);
    log.append({ kind: 'assistant-delta', ts, turn: 1, delta: d });
  };
  say('A');
  const reading = log.read(0);
  say('B'); // while the read waits for the disk
  const read = await reading;
  readDone = true;
  await log.flush();
  // The panel drops live batches until its read is in, then appends: the page is the read's answer and what came after.
  const page = (read.streaming?.delta ?? '') + batches.filter(b => b.afterRead).flatMap(b => b.deltas).join('');
  assert.equal(page, 'AB');
});
