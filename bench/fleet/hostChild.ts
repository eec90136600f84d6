// Entry of the child process that measures the engine (see hostRun.ts).
import { hostRun } from './hostRun';
import { runAsChild, upstreamEvents } from './ipc';

runAsChild(c => hostRun(c, upstreamEvents));
