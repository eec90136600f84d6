// Command-line arguments of the test upstream's CLI (cli.ts), kept apart so tests can check them
// without starting a process.
import { readFileSync } from 'node:fs';
import { ConfigError, parseScripts } from './config';
import type { UpstreamOptions } from './types';

export const USAGE = 'usage: cli.js [--port N] [--scripts file.json] [--event-delay-ms N] [--served-tier T] [--require-key K] [--chat-only] [--unknown-paths-answer-200] [--rate-limit requests,tokens[,windowMs]]';

export function parseCliArgs(argv: readonly string[]): UpstreamOptions {
  const opts: UpstreamOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new ConfigError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--port': opts.port = integer(flag, value()); break;
      case '--event-delay-ms': opts.eventDelayMs = integer(flag, value()); break;
      case '--served-tier': opts.servedTier = value(); break;
      case '--require-key': opts.requireKey = value(); break;
      case '--chat-only': opts.chatOnly = true; break;
      case '--unknown-paths-answer-200': opts.unknownPathsAnswer200 = true; break;
      case '--rate-limit': {
        // requests,tokens[,windowMs]: a small window lets a test see a reset without waiting a minute.
        const text = value();
        const [requests, tokens, windowMs, ...rest] = text.split(',').map(part => integer(flag, part.trim()));
        if (requests === undefined || tokens === undefined || rest.length) throw new ConfigError(`${flag}: expected requests,tokens[,windowMs], got '${text}'`);
        opts.rateLimit = { requests, tokens, ...(windowMs !== undefined ? { windowMs } : {}) };
        break;
      }
      case '--scripts': {
        const file = value();
        let json: unknown;
        try {
          json = JSON.parse(readFileSync(file, 'utf8'));
        } catch (err) {
          throw new ConfigError(`--scripts ${file}: ${err instanceof Error ? err.message : String(err)}`);
        }
        opts.scripts = parseScripts(json, file);
        break;
      }
      default: throw new ConfigError(`unknown argument: ${flag}`);
    }
  }
  return opts;
}

function integer(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${flag}: expected an integer >= 0, got '${text}'`);
  return n;
}
