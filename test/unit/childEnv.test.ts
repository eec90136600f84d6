// What agents' commands get of the user's environment: never its secrets, which would reach the model
// and the session's records with whatever a command prints.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { childEnv, isSecretName } from '../../src/host/agent/tools/env';

test('secrets of the user\'s shell are kept from commands; what commands need stays', () => {
  const env = childEnv({
    PATH: '/usr/bin',
    HOME: '/home/u',
    OPENAI_API_KEY: 'sk-user',
    AWS_SECRET_ACCESS_KEY: 'aws',
    AWS_SESSION_TOKEN: 'aws-session',
    GITHUB_TOKEN: 'ghp',
    GH_TOKEN: 'gh',
    NPM_TOKEN: 'npm',
    ANTHROPIC_API_KEY: 'ant',
    DB_PASSWORD: 'pw',
    SSH_AUTH_SOCK: '/tmp/agent.sock',
    GIT_AUTHOR_NAME: 'Ada',
    TOKENIZERS_PARALLELISM: 'false',
    NODE_ENV: 'test',
    HTTPS_PROXY: 'http://alice:s3cret@proxy.local:3128',
    OPENAI_BASE_URL: 'https://bob:pw@models.local/v1',
    GIT_REMOTE: 'ssh://git@example.com/team/repo.git',
    GIT_DIR: '/elsewhere/.git',
  }, { OPENAI_API_KEY: 'sy-session-token' });
  assert.deepEqual(Object.keys(env).sort(), ['GIT_AUTHOR_NAME', 'GIT_REMOTE', 'GIT_TERMINAL_PROMPT', 'HOME', 'HTTPS_PROXY', 'NODE_ENV', 'OPENAI_API_KEY', 'OPENAI_BASE_URL', 'PATH', 'TOKENIZERS_PARALLELISM']);
  assert.equal(env.OPENAI_API_KEY, 'sy-session-token', 'what the caller gives is given');
  assert.equal(env.HTTPS_PROXY, 'http://proxy.local:3128', 'no password in an address, nor the user name it goes with');
  assert.equal(env.GIT_REMOTE, 'ssh://git@example.com/team/repo.git', 'a user name alone is no secret');
  assert.equal(env.OPENAI_BASE_URL, 'https://models.local/v1');
  for (const name of ['STRIPE_SECRET_KEY', 'HF_TOKEN', 'AZURE_CLIENT_SECRET', 'GOOGLE_APPLICATION_CREDENTIALS', 'npm_config__auth']) assert.ok(isSecretName(name), name);
  for (const name of ['PASSAGE', 'AUTHOR', 'KEYBOARD', 'SECRETARY_NAME']) assert.ok(!isSecretName(name), name);
});
