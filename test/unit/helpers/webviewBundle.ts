// The webview bundle as the extension ships it (minified, its CSS beside it), built into a new temporary
// folder for tests that load it in Chromium; the folder is returned (the caller removes it).
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';

export async function builtWebviewBundle(prefix: string): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  await esbuild.build({
    entryPoints: { webview: path.resolve('src/webview/main.ts') }, bundle: true, minify: true, format: 'iife', target: 'es2022',
    platform: 'browser', outdir: dir, loader: { '.css': 'css' }, logLevel: 'warning',
  });
  return dir;
}
