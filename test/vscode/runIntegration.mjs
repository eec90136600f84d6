// Integration tier: mocha suites inside a real VS Code extension host, started through
// @vscode/test-electron's runTests. Here the "VS Code executable" is a shim that runs code-server (see
// test/vscode/bin/code-test-shim); with a desktop VS Code the same call runs unchanged.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { RESULTS, ROOT } from './paths.mjs';
import { makeGitWorkspace, startUpstream } from './fixtures.mjs';

const run = path.join(RESULTS, 'integration');
rmSync(run, { recursive: true, force: true });
mkdirSync(run, { recursive: true });
const upstream = await startUpstream(path.join(ROOT, 'test/fixtures/scripts/vscode.json'));
await upstream.configure({ faults: [{ match: { script: 'int-slow' }, eventDelayMs: 40 }] });
const workspace = makeGitWorkspace(path.join(run, 'workspace-repo'));
// A window of several folders: one outside any repository first, then two repositories. In the temp folder:
// the results folder lies inside this project's own repository.
const multi = mkdtempSync(path.join(tmpdir(), 'switchyard-multi-root-'));
mkdirSync(path.join(multi, 'notes'), { recursive: true });
writeFileSync(path.join(multi, 'notes', 'todo.md'), '# Notes, in no repository\n');
makeGitWorkspace(path.join(multi, 'app'));
makeGitWorkspace(path.join(multi, 'lib'));
const multiRoot = path.join(multi, 'multi.code-workspace');
writeFileSync(multiRoot, JSON.stringify({ folders: [{ path: 'notes' }, { path: 'app' }, { path: 'lib' }] }));
// A folder in no repository, which the suite makes one.
const plain = path.join(multi, 'plain');
mkdirSync(plain, { recursive: true });
writeFileSync(path.join(plain, 'README.md'), '# Not a repository yet\n');

/** One window's suites: `suites` is the folder of their index.js, `opened` the folder or .code-workspace. */
const runWindow = (suites, opened, name) => runTests({
  vscodeExecutablePath: process.env.VSCODE_EXECUTABLE || path.join(ROOT, 'test/vscode/bin/code-test-shim'),
  extensionDevelopmentPath: ROOT,
  extensionTestsPath: path.join(ROOT, 'out/test/integration', suites, 'index.js'),
  launchArgs: [opened, '--disable-extensions'],
  extensionTestsEnv: {
    SWITCHYARD_HOME: path.join(run, `switchyard-home${name}`),
    SWITCHYARD_RESULTS: RESULTS,
    OPENAI_API_KEY: 'sk-integration-test',
    // Every session's git and commands start from the launcher process, as a big fleet's do.
    SWITCHYARD_LAUNCHER_ABOVE: '0',
    SHIM_RUN_DIR: path.join(run, `vscode${name}`),
    SHIM_SETTINGS: JSON.stringify({
      'switchyard.baseUrl': upstream.url,
      'switchyard.model': 'gpt-5.4',
      'switchyard.budget.sessionUsd': null,
      'switchyard.budget.dayUsd': null,
      'switchyard.budget.monthUsd': null,
    }),
  },
});
let code = 1;
try {
  await runWindow('.', workspace, '');
  await runWindow('multiRoot', multiRoot, '-multi-root');
  await runWindow('noRepo', plain, '-no-repo');
  code = 0;
} catch (err) {
  console.error(`integration run failed: ${err.message}`);
} finally {
  await upstream.stop();
  rmSync(multi, { recursive: true, force: true });
}
process.exit(code);
