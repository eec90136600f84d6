// Loaded by VS Code as extensionTestsPath for a window on a folder in no repository (runIntegration.mjs opens it).
import { runSuitesIn } from '../index';

export function run(): Promise<void> {
  return runSuitesIn(__dirname);
}
