// The environment tools give to the processes they start.

// Secrets of the user's account never reach an agent's commands; agents talk to the model through the gateway.
const SECRET_KEYS = ['OPENAI_API_KEY', 'OPENAI_ADMIN_KEY'];

// Set by git hooks or a parent git; inherited, they would point commands at another repository.
const GIT_LOCATION_KEYS = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_COMMON_DIR',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_NAMESPACE',
  'GIT_PREFIX',
];

export function childEnv(
  base: NodeJS.ProcessEnv = process.env,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) {
    if (v === undefined || SECRET_KEYS.includes(k) || GIT_LOCATION_KEYS.includes(k)) continue;
    env[k] = v;
  }
  // Nothing may wait for a password on a terminal nobody is watching.
  env.GIT_TERMINAL_PROMPT = '0';
  return { ...env, ...extra };
}
