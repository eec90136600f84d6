// The environment tools give to the processes they start.

// Secrets of the user's account never reach an agent's commands; agents talk to the model through the gateway.
const SECRET_KEYS = ['OPENAI_API_KEY', 'OPENAI_ADMIN_KEY'];
// Nor other secrets the user's shell holds (cloud keys, registry and forge tokens): whatever a command
// prints goes to the model and into the session's records. Known by their names, as they are named.
const SECRET_NAME = /(?:^|_)(?:API_?KEY|ACCESS_?KEY|SECRET|SECRETS|TOKEN|PASSWORD|PASSWD|PASS|PRIVATE_?KEY|CREDENTIALS?|AUTH|SESSION_?KEY)(?:_|$)/i;

/** Whether a variable of the user's environment is kept from agents' commands. */
export function isSecretName(name: string): boolean {
  return SECRET_KEYS.includes(name) || SECRET_NAME.test(name);
}

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
    if (v === undefined || isSecretName(k) || GIT_LOCATION_KEYS.includes(k)) continue;
    // A password in an address (a proxy's, a base URL's) stays out too, with its user name.
    env[k] = v.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+:[^\s/@]*@/gi, '$1');
  }
  // Nothing may wait for a password on a terminal nobody is watching.
  env.GIT_TERMINAL_PROMPT = '0';
  return { ...env, ...extra };
}
