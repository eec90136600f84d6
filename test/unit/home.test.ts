import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { homeLayout, repoKey, switchyardHome } from '../../src/host/home';

test('SWITCHYARD_HOME moves the home folder', () => {
  assert.equal(switchyardHome({ SWITCHYARD_HOME: '/tmp/sy-home' }), '/tmp/sy-home');
  assert.match(switchyardHome({}), /\.switchyard$/);
});

test('repo keys are readable and distinct for repositories with the same name', () => {
  const a = repoKey('/a/project');
  const b = repoKey('/b/project');
  assert.match(a, /^project-[0-9a-f]{10}$/);
  assert.notEqual(a, b);
  assert.equal(repoKey('/a/project/'), a);
});

test('worktrees live outside the checkout, under the home unless a setting moves them', () => {
  const home = homeLayout('/h');
  assert.equal(home.worktreesDir('/src/app'), path.join('/h/repos', repoKey('/src/app'), 'worktrees'));
  assert.equal(home.worktreesDir('/src/app', '/big/disk'), path.join('/big/disk', repoKey('/src/app')));
});
