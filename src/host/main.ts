// dist/host.js: the agent host and the CLI in one bundle. The extension starts it over IPC
// (vscode-languageclient passes --node-ipc); dist/cli.js is a two-line script that requires it and runs
// the CLI, so the engine ships once in the VSIX.
import { runCli } from '../cli/main';
import { startIpcServer } from './ipcServer';
import { dropHostEnv, hostPriorityOf } from '../protocol/host';
import { applyHostPriority } from './util/priority';

export { runCli };

// First, before anything starts a child: the host's own malloc settings are not for them.
dropHostEnv(process.env);
if (process.argv.includes('--node-ipc')) {
  // Before anything starts a child, so git, the launcher and the agents' commands inherit it.
  const problem = applyHostPriority(hostPriorityOf(process.argv));
  if (problem) console.error(problem);
  startIpcServer();
}
