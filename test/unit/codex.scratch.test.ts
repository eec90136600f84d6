import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { engineFor, noProgress, settle, upstream } from './helpers/engineKit';

test('codex loop', async t => {
  const up = await upstream(t, { scripts: {
    loop: { repeatLast: true, steps: [
      { calls: [{ name: 'exec_command', arguments: { cmd: "echo 'FAIL test/math.test.js > adds: expected 4, received 5' && exit 1", login: false } }] },
    ] },
  } });
  const { engine, repo } = await engineFor(t, { up, headless: false, settings: { codexPath: path.resolve('node_modules/.bin/codex') } });
  const s0 = await engine.sessions.create({ repo, task: '[script:loop] fix', title: 'Codex', agent: 'codex', tier: 'priority' }, noProgress);
  const s = await settle(engine, s0, 60_000);
  console.log(s.status, s.statusReason, s.usage, s.costUsd, s.tier);
  const events = (await engine.sessions.transcript(s.id, 0)).events;
  for (const e of events.filter(e => e.kind === 'guard' || e.kind === 'tool-result')) console.log(JSON.stringify(e).slice(0, 300));
  for (const r of up.requests) console.log(r.n, r.path, r.status, JSON.stringify(r.usage), (r.body as any).service_tier);
  writeFileSync('/tmp/exp/loopreq.json', JSON.stringify(up.requests.at(-1), null, 1));
});
