// Shared set-up for benchmarks: a temporary repository and a real gateway over a fresh ledger.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Gateway } from '../src/host/gateway/gateway';
import { commitInitial } from '../test/unit/helpers/engineKit';
import { createGateway, RecordingLink } from '../test/unit/helpers/gatewayKit';

export interface TempRepo {
  dir: string;
  /** A folder outside the repository for conversation files and scratch. */
  state: string;
  files: string[];
  remove(): void;
}

export function makeTempRepo(populate: (dir: string) => string[]): TempRepo {
  const root = mkdtempSync(path.join(os.tmpdir(), 'sy-bench-'));
  const dir = path.join(root, 'repo');
  const state = path.join(root, 'state');
  mkdirSync(dir, { recursive: true });
  mkdirSync(state, { recursive: true });
  const files = populate(dir);
  commitInitial(dir, { name: 'Bench', email: 'bench@example.com' });
  return { dir, state, files, remove: () => rmSync(root, { recursive: true, force: true }) };
}

export async function newGatewayFor(upstreamUrl: string, model: string): Promise<{ gateway: Gateway; link: RecordingLink; close(): Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-bench-gw-'));
  const kit = await createGateway(dir, upstreamUrl);
  return {
    gateway: kit.gateway,
    link: new RecordingLink('bench', model),
    close: async () => {
      await kit.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
