// Every request the host answers, one file each, grouped by area.
import type { HandlerDef } from './handler';
import branches from './repo/branches';
import resolveRepo from './repo/resolve';
import roles from './repo/roles';
import changes from './sessions/changes';
import create from './sessions/create';
import discard from './sessions/discard';
import fileAtBase from './sessions/fileAtBase';
import firstRequest from './sessions/firstRequest';
import list from './sessions/list';
import merge from './sessions/merge';
import pause from './sessions/pause';
import prune from './sessions/prune';
import resume from './sessions/resume';
import retry from './sessions/retry';
import saveTrace from './sessions/saveTrace';
import setTier from './sessions/setTier';
import stop from './sessions/stop';
import transcript from './sessions/transcript';
import watch from './sessions/watch';
import exportCsv from './spend/exportCsv';
import models from './spend/models';
import raiseBudget from './spend/raiseBudget';
import report from './spend/report';
import series from './spend/series';
import summary from './spend/summary';

// The element type is erased on purpose: each definition is typed where it is written.
export const HANDLERS: readonly HandlerDef<never, unknown>[] = [
  create, list, pause, resume, stop, retry, discard, merge, changes, fileAtBase, transcript, watch, setTier, saveTrace, prune,
  branches, roles, resolveRepo, firstRequest,
  summary, series, report, exportCsv, raiseBudget, models,
] as unknown as readonly HandlerDef<never, unknown>[];
