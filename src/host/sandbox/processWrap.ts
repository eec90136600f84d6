// A whole agent process (the `command` agent kind) inside the session's sandbox, with one way out: the
// gateway's loopback port. On Linux the sandbox has a network namespace of its own, so 127.0.0.1 there
// is not the host's; a relay inside the sandbox listens on the gateway's port and carries each
// connection through the library's filtering proxy, which lets this one command reach 127.0.0.1:<port>
// and nothing else that is not an allowed domain. The agent keeps using OPENAI_BASE_URL unchanged.
import type { SandboxPolicy } from './policy';
import type { SandboxRuntime, WrappedCommand } from './runtime';
import { shQuote, shQuoteArgv } from './shell';
import { makeDir } from '../util/makeDir';

export interface ProcessWrapOptions {
  cwd: string;
  gatewayPort: number;
}

/** Exit status of the wrapper when the relay to the gateway could not start (EX_SOFTWARE). */
export const RELAY_FAILED_EXIT = 70;

export async function wrapAgentProcess(
  runtime: SandboxRuntime,
  policy: SandboxPolicy,
  argv: readonly string[],
  o: ProcessWrapOptions,
): Promise<{ argv: string[]; release(): void }> {
  if (argv.length === 0) throw new RangeError('wrapAgentProcess needs a command to run');
  if (!Number.isInteger(o.gatewayPort) || o.gatewayPort <= 0 || o.gatewayPort > 65535) {
    throw new RangeError(`not a gateway port: ${o.gatewayPort}`);
  }
  await makeDir(policy.tempDir);
  const script = [`export TMPDIR=${shQuote(policy.tempDir)}`, `cd ${shQuote(o.cwd)} || exit 1`, ...gatewayAccess(o.gatewayPort), shQuoteArgv(argv)];
  if (process.platform === 'linux') script.push('rc=$?', 'kill "$relay" 2>/dev/null', 'exit $rc');
  const wrapped: WrappedCommand = await runtime.wrap({ script: script.join('\n'), policy, extraHosts: [`127.0.0.1:${o.gatewayPort}`] });
  return { argv: ['/bin/sh', '-c', wrapped.command], release: wrapped.release };
}

function gatewayAccess(port: number): string[] {
  if (process.platform !== 'linux') {
    // macOS has no network namespace: the proxy is the way to the gateway, for clients that honour
    // the proxy variables (Node's fetch does with NODE_USE_ENV_PROXY=1).
    return ['export NO_PROXY= no_proxy= NODE_USE_ENV_PROXY=1'];
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return [
    // The library names the proxy's port and credentials in these variables (for gcloud); the relay
    // presents the same credentials, so the proxy applies this command's own allow list.
    ': "${CLOUDSDK_PROXY_PORT:?the sandbox proxy is not configured}" "${CLOUDSDK_PROXY_USERNAME:?}" "${CLOUDSDK_PROXY_PASSWORD:?}"',
    `socat TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork "PROXY:localhost:127.0.0.1:${port},proxyport=$CLOUDSDK_PROXY_PORT,proxyauth=$CLOUDSDK_PROXY_USERNAME:$CLOUDSDK_PROXY_PASSWORD" </dev/null >/dev/null 2>&1 &`,
    'relay=$!',
    // The agent's first request must not race the relay: wait until it listens (0A = LISTEN).
    'n=0',
    `until grep -q ':${hexPort} 00000000:0000 0A' /proc/net/tcp 2>/dev/null; do`,
    `  kill -0 "$relay" 2>/dev/null || { echo 'switchyard: the relay to the gateway exited' >&2; exit ${RELAY_FAILED_EXIT}; }`,
    `  n=$((n+1)); [ "$n" -gt 500 ] && { echo 'switchyard: the relay to the gateway did not start' >&2; exit ${RELAY_FAILED_EXIT}; }`,
    '  sleep 0.01',
    'done',
  ];
}
