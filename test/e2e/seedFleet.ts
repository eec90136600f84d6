// Seeds a fleet for the end-to-end screenshot of the sidebar with 100 sessions: a second process (as a CLI
// run would be) starts them on the same repository and home, so the workbench shows another process's
// sessions live. Prints "seeded" once most have settled, then keeps running until killed. "hold N" on its
// stdin starts N slow sessions more, and it prints "holding N" once they all run.
//   node out/test/e2e/seedFleet.js HOME REPO UPSTREAM_URL
import { Engine } from '../../src/host/engine';
import { silentSink } from '../../src/host/events';
import { withDefaults } from '../../src/host/settings';
import type { SessionInfo } from '../../src/protocol/types';

const [home, repo, baseURL] = process.argv.slice(2);
const plan: { script: string; title: string; budgetUsd?: number }[] = [
  ...Array.from({ length: 55 }, (_, i) => ({ script: 'default', title: `Triage issue #${1200 + i}` })),
  ...Array.from({ length: 30 }, (_, i) => ({ script: 'e2e-long', title: `Refactor module ${String.fromCharCode(65 + (i % 26))}${i >= 26 ? i : ''}` })),
  ...Array.from({ length: 5 }, (_, i) => ({ script: 'loop', title: `Fix flaky test ${i + 1}` })),
  ...Array.from({ length: 5 }, (_, i) => ({ script: 'default', title: `Review PR ${400 + i}`, budgetUsd: 0.02 })),
  ...Array.from({ length: 5 }, (_, i) => ({ script: 'int-slow', title: `Update docs ${i + 1}` })),
];

async function main(): Promise<void> {
  const engine = await Engine.start({
    home,
    settings: withDefaults({ baseURL, model: 'gpt-5.4', maxConcurrentSessions: 20, budgets: { sessionUsd: null, dayUsd: null, monthUsd: null } }),
    apiKey: 'sk-e2e-fleet',
    headless: false,
    sink: silentSink,
  });
  const created: SessionInfo[] = [];
  for (const p of plan) {
    created.push(await engine.sessions.create({ repo, task: `[script:${p.script}] ${p.title}`, title: p.title, budgetUsd: p.budgetUsd, tier: p.script === 'e2e-long' ? 'flex' : undefined }, { report: () => {} }));
  }
  // Two the user stopped, as a fleet's sidebar shows them.
  for (const s of created.slice(-2)) await engine.sessions.stop(s.id);
  const settledCount = () => created.filter(s => !['queued', 'running', 'waiting'].includes(engine.sessions.get(s.id).record.status)).length;
  await new Promise<void>(resolve => {
    const t = setInterval(() => {
      if (settledCount() >= 60) {
        clearInterval(t);
        resolve();
      }
    }, 250);
  });
  process.stdout.write(`seeded ${created.length} sessions\n`);
  // "hold N" on stdin: N more agents that keep the machine busy, as another window's fleet would.
  process.stdin.setEncoding('utf8').on('data', (line: string) => {
    const n = /^hold (\d+)/.exec(line)?.[1];
    if (n) void hold(engine, Number(n), repo!);
  });
  await new Promise(() => {});
}

async function hold(engine: Engine, n: number, repo: string): Promise<void> {
  const held: SessionInfo[] = [];
  for (let i = 1; i <= n; i++) held.push(await engine.sessions.create({ repo, task: `[script:int-slow] Watch benchmark ${i}`, title: `Watch benchmark ${i}` }, { report: () => {} }));
  const t = setInterval(() => {
    if (held.every(s => engine.sessions.get(s.id).record.status === 'running')) {
      clearInterval(t);
      process.stdout.write(`holding ${n}\n`);
    }
  }, 100);
}

main().catch(err => {
  process.stderr.write(`seedFleet: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
