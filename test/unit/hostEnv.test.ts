// The agent host's own environment (malloc arenas): set for the host, never passed on to what it starts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dropHostEnv, HOST_ENV_MARKER, hostEnv } from '../../src/protocol/host';

test('the host gets two malloc arenas, and drops the setting before it starts anything', () => {
  const env: NodeJS.ProcessEnv = { PATH: '/usr/bin', ...hostEnv({ PATH: '/usr/bin' }) };
  assert.equal(env.MALLOC_ARENA_MAX, '2');
  dropHostEnv(env);
  assert.deepEqual(env, { PATH: '/usr/bin' });
});

test("a user's own MALLOC_ARENA_MAX wins, and stays for the processes the host starts", () => {
  const user = { MALLOC_ARENA_MAX: '8' };
  assert.deepEqual(hostEnv(user), {});
  const env: NodeJS.ProcessEnv = { ...user, ...hostEnv(user) };
  dropHostEnv(env);
  assert.deepEqual(env, { MALLOC_ARENA_MAX: '8' });
});

test('the marker drops only what the host itself sets', () => {
  const env: NodeJS.ProcessEnv = { HOME: '/home/u', MALLOC_ARENA_MAX: '2', [HOST_ENV_MARKER]: 'HOME,MALLOC_ARENA_MAX' };
  dropHostEnv(env);
  assert.deepEqual(env, { HOME: '/home/u' });
});
