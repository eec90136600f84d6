// Loaded by VS Code as extensionTestsPath for bench/extensionHost.ts: runs the benchmark suite inside the
// real extension host (same mocha set-up as test/integration, with room for a long fleet).
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 30 * 60_000 });
  for (const f of fs.readdirSync(__dirname).sort()) if (f.endsWith('.test.js')) mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    mocha.run(failures => {
      console.log(`bench-suite: ${mocha.suite.total() - failures} passed, ${failures} failed`);
      if (failures > 0) reject(new Error(`${failures} benchmark suite test(s) failed`));
      else resolve();
    });
  });
}
