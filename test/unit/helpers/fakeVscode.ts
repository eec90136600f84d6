// A `vscode` module for plain-Node unit tests of code that reads settings: the one the editor gives is not
// there outside VS Code. Import this before the code under test; it answers `require('vscode')` from then on.
import Module from 'node:module';

/** A setting's value in each layer, as `WorkspaceConfiguration.inspect` gives them. */
export interface SettingLayers {
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

const layers = new Map<string, SettingLayers>();

/** Replaces every setting of the section with these (keys without the section: `budget.monthUsd`). */
export function setSettings(values: Record<string, SettingLayers>): void {
  layers.clear();
  for (const [key, value] of Object.entries(values)) layers.set(key, value);
}

// The nearest layer wins, as in VS Code; null is a value (no cap), not an absent one.
const effective = (l: SettingLayers | undefined): unknown =>
  [l?.workspaceFolderValue, l?.workspaceValue, l?.globalValue].find(v => v !== undefined);

const fake = {
  workspace: {
    isTrusted: true,
    getConfiguration: (section: string) => ({
      get: (key: string): unknown => effective(layers.get(key)),
      inspect: (key: string) => ({ key: `${section}.${key}`, ...layers.get(key) }),
    }),
  },
};

type Load = (request: string, parent: unknown, isMain: boolean) => unknown;
const loader = Module as unknown as { _load: Load };
const load = loader._load;
loader._load = (request, parent, isMain) => (request === 'vscode' ? fake : load(request, parent, isMain));
