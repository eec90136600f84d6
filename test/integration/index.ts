// Loaded by VS Code as extensionTestsPath: runs the mocha suites inside the real extension host.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  return runSuitesIn(__dirname);
}

/** Runs every `*.test.js` in `dir` (not below it: a folder of suites is a window of its own). */
export function runSuitesIn(dir: string): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60_000 });
  for (const f of fs.readdirSync(dir).sort()) if (f.endsWith('.test.js')) mocha.addFile(path.join(dir, f));
  return new Promise((resolve, reject) => {
    mocha.run(failures => {
      const total = mocha.suite.total();
      console.log(`integration-suite: ${total - failures} passed, ${failures} failed`);
      if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
      else resolve();
    });
  });
}
