import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RedrawPlan, shapeOf, type TreeShape } from '../../src/extension/views/redrawPlan';

const grouped = (...groups: string[]): TreeShape => ({ grouped: true, groups });
const flat: TreeShape = { grouped: false };

test('a session that stays in its place redraws its row alone', () => {
  const plan = new RedrawPlan();
  plan.row('a');
  plan.moved('running', 'running', grouped('running', 'done'));
  assert.equal(plan.structural, false);
  assert.deepEqual(plan.takeRows(), ['a']);
  assert.deepEqual(plan.takeRows(), [], 'rows are taken once');
  assert.deepEqual(plan.takeStructure(grouped('running', 'done'), grouped('running', 'done')), { kind: 'none' });
});

test('a move between listed groups redraws those two groups, never the root', () => {
  const plan = new RedrawPlan();
  const shown = grouped('attention', 'running', 'done');
  plan.moved('running', 'done', shown);
  plan.moved('running', 'attention', shown);
  assert.equal(plan.structural, true);
  const s = plan.takeStructure(shown, shown);
  assert.equal(s.kind, 'groups');
  assert.deepEqual(s.kind === 'groups' ? s.groups.sort() : [], ['attention', 'done', 'running']);
  assert.deepEqual(plan.takeStructure(shown, shown), { kind: 'none' }, 'taken once');
});

test('a new session in a listed group redraws that group; a filtered-out one redraws nothing', () => {
  const plan = new RedrawPlan();
  const shown = grouped('running');
  plan.moved(undefined, 'running', shown);
  plan.moved(undefined, undefined, shown);
  assert.deepEqual(plan.takeStructure(shown, shown), { kind: 'groups', groups: ['running'] });
});

test('a group that appears or empties changes the shape: the root is redrawn', () => {
  const plan = new RedrawPlan();
  plan.moved('running', 'queued', grouped('running', 'done'));
  assert.deepEqual(plan.takeStructure(grouped('running', 'done'), grouped('running', 'queued', 'done')), { kind: 'root' });
  // The last session leaves "running": the move names listed groups, but the shape now differs.
  plan.moved('running', 'done', grouped('running', 'done'));
  assert.deepEqual(plan.takeStructure(grouped('running', 'done'), grouped('done')), { kind: 'root' });
});

test('rows at the root: a status change keeps the list, a session that appears or hides redraws it', () => {
  const plan = new RedrawPlan();
  plan.moved('running', 'done', flat);
  assert.equal(plan.structural, false);
  plan.moved(undefined, 'running', flat);
  assert.deepEqual(plan.takeStructure(flat, flat), { kind: 'root' });
  plan.moved('done', undefined, flat);
  assert.deepEqual(plan.takeStructure(flat, flat), { kind: 'root' });
});

test('before the window asked for the root, or when grouping starts or stops, the root is redrawn', () => {
  const plan = new RedrawPlan();
  plan.moved('running', 'done', undefined);
  assert.deepEqual(plan.takeStructure(undefined, flat), { kind: 'root' });
  assert.deepEqual(plan.takeStructure(flat, grouped('running')), { kind: 'root' });
  assert.deepEqual(plan.takeStructure(grouped('running'), flat), { kind: 'root' });
  plan.everything();
  assert.deepEqual(plan.takeStructure(flat, flat), { kind: 'root' });
});

test('shapeOf: rows up to the threshold, then the non-empty groups in their fixed order', () => {
  const order = ['attention', 'running', 'done'];
  const group = (s: string) => s;
  assert.deepEqual(shapeOf(['done', 'running'], 2, group, order), flat);
  assert.deepEqual(shapeOf(['done', 'running', 'done'], 2, group, order), grouped('running', 'done'));
  assert.deepEqual(shapeOf(['done', 'attention', 'done'], 2, group, order), grouped('attention', 'done'));
});

test('a session is known by the place it was last given, even in a group the window never opened', () => {
  const plan = new RedrawPlan();
  const shown = grouped('running', 'queued');
  // The root was fetched with "a" queued; "Queued" stays collapsed, so "a" never had a row.
  plan.seed([['a', 'queued']]);
  plan.place('a', 'queued', shown);
  assert.equal(plan.structural, false, 'no move, nothing to redraw');
  plan.place('a', 'running', shown);
  const s = plan.takeStructure(shown, shown);
  assert.deepEqual(s.kind === 'groups' ? s.groups.sort() : s, ['queued', 'running'], 'the group it left is redrawn too');
  // A session first seen now redraws only the group it joins; one that is removed, the group it left.
  plan.place('b', 'running', shown);
  assert.deepEqual(plan.takeStructure(shown, shown), { kind: 'groups', groups: ['running'] });
  plan.remove('a', shown);
  assert.deepEqual(plan.takeStructure(shown, shown), { kind: 'groups', groups: ['running'] });
  plan.remove('gone-before', shown);
  assert.deepEqual(plan.takeStructure(shown, shown), { kind: 'none' }, 'an unknown session left no place');
});
