// Entry of the child process that measures the SDK floor (see sdkRun.ts).
import { runAsChild, upstreamEvents } from './ipc';
import { sdkRun } from './sdkRun';

runAsChild(c => sdkRun(c, upstreamEvents));
