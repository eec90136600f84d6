// Runs the test upstream as its own process (for the VS Code end-to-end tests and benchmarks):
//   node out/test/upstream/cli.js [--port N] [--scripts file.json] [--event-delay-ms N]
//                                 [--served-tier T] [--require-key K] [--chat-only]
//                                 [--rate-limit requests,tokens[,windowMs]]
// Prints one line "test-upstream listening on http://127.0.0.1:PORT/v1" once it accepts requests;
// configure it further through POST /_admin/config, inspect it through GET /_admin/requests.
import { parseCliArgs, USAGE } from './cliArgs';
import { startTestUpstream, type UpstreamOptions } from './server';

async function main(): Promise<void> {
  let opts: UpstreamOptions;
  try {
    opts = parseCliArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`test-upstream: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    process.exit(2);
  }
  const upstream = await startTestUpstream(opts);
  const stop = (): void => void upstream.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  console.log(`test-upstream listening on ${upstream.url}`);
}

main().catch(err => {
  console.error(`test-upstream: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
