// What the VS Code tiers run against: the project's test upstream (a child process) and a git workspace.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './paths.mjs';

export async function startUpstream(scriptsFile, extraArgs = []) {
  const proc = spawn(process.execPath, [path.join(ROOT, 'out/test/upstream/cli.js'), '--scripts', scriptsFile, ...extraArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    proc.stdout.on('data', d => {
      buf += d;
      const m = /listening on (http:\/\/\S+)/.exec(buf);
      if (m) resolve(m[1]);
    });
    proc.on('exit', c => reject(new Error(`test upstream exited (${c})`)));
  });
  const admin = url.replace(/\/v1$/, '/_admin');
  return {
    url,
    async configure(body) {
      const r = await fetch(`${admin}/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (!r.ok) throw new Error(`upstream admin: ${r.status} ${await r.text()}`);
    },
    async requests() {
      return (await fetch(`${admin}/requests`)).json();
    },
    stop: () => new Promise(resolve => { proc.once('exit', resolve); proc.kill('SIGTERM'); }),
  };
}

export function makeGitWorkspace(dir) {
  mkdirSync(path.join(dir, 'src'), { recursive: true });
  const git = (...args) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Switchyard Tester');
  git('config', 'user.email', 'tester@example.com');
  writeFileSync(path.join(dir, 'README.md'), '# Demo project\n\nA small repository the agents work on.\n');
  writeFileSync(path.join(dir, 'src', 'math.js'), 'export const add = (a, b) => a + b;\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
  return dir;
}
