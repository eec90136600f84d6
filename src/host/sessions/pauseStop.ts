// Pausing and stopping a session (and every session, as the host shuts down): its status changes at once,
// then its run here (if any) is ended and waited for. A run whose agent is still ending keeps its scheduler
// slot until it has ended (startQueued frees it), so that a resume meanwhile cannot start a second agent in
// the worktree beside it.
import { STOPPED_WHILE_RUNNING } from '../../protocol/sessions';
import { ACTIVE_STATUSES, STOPPABLE_STATUSES, type SessionInfo } from '../../protocol/types';
import type { LiveSession } from './liveSession';
import type { SessionManager } from './sessionManager';

export async function pauseSession(mgr: SessionManager, id: string, why?: string): Promise<SessionInfo> {
  const s = mgr.get(id);
  await mgr.change(s, { action: 'pause' }, async () => {
    if (s.record.status === 'queued') {
      letGoIfIdle(mgr, s);
      mgr.setStatus(s, 'paused', why ?? 'Paused by the user before it started.');
    } else if (s.record.status === 'running' || s.record.status === 'waiting') {
      mgr.setStatus(s, 'paused', why ?? 'Paused by the user.');
      await mgr.stopRun(s);
    }
  });
  return mgr.info(s);
}

export async function stopSession(mgr: SessionManager, id: string, why?: string): Promise<SessionInfo> {
  const s = mgr.get(id);
  await mgr.change(s, { action: 'stop', ...(why ? { why } : {}) }, async () => {
    if (!STOPPABLE_STATUSES.includes(s.record.status)) return;
    letGoIfIdle(mgr, s);
    mgr.setStatus(s, 'stopped', why ?? 'Stopped by the user.');
    await mgr.stopRun(s);
    // A paused session's last response was left open for its resume; stopped, it is the trace's last turn.
    await mgr.ctx.gateway.closeTurns(s.id);
  });
  return mgr.info(s);
}

/** With no run here, the session leaves the queue, and nothing holds it: another process may take it over. */
function letGoIfIdle(mgr: SessionManager, s: LiveSession): void {
  if (s.run) return;
  mgr.scheduler.release(s.id);
  s.record.owner = undefined;
}

/**
 * Host shutdown: running sessions are saved as paused so they come back that way. Queued ones stay queued
 * and are let go of, for the next host (or another one open now) to start.
 */
export async function pauseForShutdown(mgr: SessionManager): Promise<void> {
  const running = mgr.all().filter(s => s.run);
  // A run already being paused or stopped keeps that status.
  for (const s of running) if (ACTIVE_STATUSES.includes(s.record.status)) mgr.setStatus(s, 'paused', `${STOPPED_WHILE_RUNNING}. Resume it to continue.`);
  await Promise.all(running.map(s => mgr.stopRun(s)));
  for (const s of mgr.all()) {
    if (s.run || s.record.status !== 'queued' || s.record.owner?.hostId !== mgr.ctx.hostId) continue;
    s.record.owner = undefined;
    void mgr.save(s);
  }
}
