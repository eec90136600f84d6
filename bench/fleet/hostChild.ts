// Entry of the child process that measures the engine (see hostRun.ts).
import { hostRun } from './hostRun';
import { runAsChild, upstreamEvents } from './ipc';
import { dropHostEnv } from '../../src/protocol/host';

dropHostEnv(process.env); // as dist/host.js does

runAsChild(c => hostRun(c, upstreamEvents));
