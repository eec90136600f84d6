// Runs the built CLI (dist/cli.js) as a user would, in its own process.
import { spawn } from 'node:child_process';
import path from 'node:path';

export const CLI = path.resolve('dist/cli.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string | undefined> = {}, onStderr?: (chunk: string) => void, cwd?: string): Promise<CliResult> & { pid?: number; kill(sig: NodeJS.Signals): void } {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], cwd });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', d => (stdout += d));
  child.stderr.on('data', d => {
    stderr += d;
    onStderr?.(String(d));
  });
  const p = new Promise<CliResult>(resolve => child.on('exit', code => resolve({ code, stdout, stderr }))) as Promise<CliResult> & { pid?: number; kill(sig: NodeJS.Signals): void };
  p.pid = child.pid;
  p.kill = sig => child.kill(sig);
  return p;
}
