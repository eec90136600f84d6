// Which cache retention the gateway asks OpenAI for (API-FACTS.md): `prompt_cache_retention: "24h"` only
// for the models listed, `prompt_cache_options` from gpt-5.6 on; a model it does not fit gets neither,
// since an unsupported parameter fails the request.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cacheRetentionFor } from '../../src/host/gateway/policy';

const retention = (model: string) => {
  const r = cacheRetentionFor(model);
  return r === undefined ? 'none' : 'prompt_cache_options' in r ? 'options' : 'retention';
};

test('24h retention for the models listed and their dated snapshots, not their mini, nano or pro siblings', () => {
  for (const m of ['gpt-5.5', 'gpt-5.4', 'gpt-5.2', 'gpt-5.1', 'gpt-5.1-codex', 'gpt-5.1-codex-mini', 'gpt-5', 'gpt-5-codex', 'gpt-4.1', 'gpt-5.4-2026-03-05', 'gpt-4.1-2025-04-14']) {
    assert.equal(retention(m), 'retention', m);
  }
  for (const m of ['gpt-5-mini', 'gpt-5-nano', 'gpt-4.1-mini', 'gpt-4.1-nano', 'gpt-5.5-pro', 'gpt-4o', 'o3', 'my-local-model']) {
    assert.equal(retention(m), 'none', m);
  }
});

test('cache options from gpt-5.6 on, gpt-5.10 and gpt-6 included', () => {
  for (const m of ['gpt-5.6', 'gpt-5.7-codex', 'gpt-5.10', 'gpt-6', 'gpt-6.1-mini']) assert.equal(retention(m), 'options', m);
});
