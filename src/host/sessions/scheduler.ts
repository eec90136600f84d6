// At most N agents run at once on this machine; the rest wait in a queue and start in order as slots free.
// The N counts every window's and CLI run's agents: the gate (machineSlots.ts) is asked before each start.
import type { MachineBusy, SlotGate } from './machineSlots';

/** While the machine is full, how often a process with sessions waiting looks again for a free slot. */
const MACHINE_RETRY_MS = 250;

export interface SchedulerOptions {
  /** Told whenever the number of running sessions changes. */
  onRunningCount?(running: number): void;
  /** Told when sessions that were waiting for the machine start, or begin to wait for it. */
  onMachineWait?(): void;
  /** What threw after the machine's answer (a start): nobody else is there to catch it. */
  onError?(err: unknown): void;
}

export class Scheduler {
  private readonly queue: string[] = [];
  private readonly running = new Set<string>();
  private reported = 0;

  private limit: number;
  private closed = false;
  /** A gate's answer is awaited; a pump asked for meanwhile runs once it is in. */
  private admitting = false;
  private pumpAgain = false;
  /** Released while the machine was asked: not started from that answer, even if queued again since. */
  private readonly releasedWhileAdmitting = new Set<string>();
  private retry: NodeJS.Timeout | undefined;
  /** What the machine kept waiting at its last answer, and why: told on when it changes. */
  private machineWait = '';

  private readonly on: Required<SchedulerOptions>;

  constructor(
    limit: number,
    private readonly start: (sessionId: string) => void,
    /** The machine's slots, shared with other processes. */
    private readonly gate: SlotGate,
    o: SchedulerOptions = {},
  ) {
    this.limit = atLeastOne(limit);
    this.on = { onRunningCount: o.onRunningCount ?? (() => {}), onMachineWait: o.onMachineWait ?? (() => {}), onError: o.onError ?? (() => {}) };
  }

  setLimit(limit: number): void {
    this.limit = atLeastOne(limit);
    this.pump();
  }

  enqueue(sessionId: string): void {
    if (this.running.has(sessionId) || this.queue.includes(sessionId)) return;
    this.queue.push(sessionId);
    this.pump();
  }

  /** The session stopped running (finished, paused, failed…) or left the queue. */
  release(sessionId: string): void {
    const i = this.queue.indexOf(sessionId);
    if (i >= 0) this.queue.splice(i, 1);
    const wasRunning = this.running.delete(sessionId);
    if (this.admitting) this.releasedWhileAdmitting.add(sessionId);
    this.gate.left(sessionId);
    if (wasRunning || i >= 0) this.pump();
    this.reportCount();
  }

  isRunning(sessionId: string): boolean {
    return this.running.has(sessionId);
  }

  /** 1-based position in the queue, or undefined when not queued. */
  position(sessionId: string): number | undefined {
    const i = this.queue.indexOf(sessionId);
    return i >= 0 ? i + 1 : undefined;
  }

  /** Other processes' agents fill the machine, and this one's queue waits for them (undefined when not). */
  get machineBusy(): MachineBusy | undefined {
    return this.queue.length ? this.gate.busy : undefined;
  }

  /** The session would start but for other processes' agents. */
  waitsForMachine(sessionId: string): boolean {
    return this.gate.waitsForMachine(sessionId);
  }

  get runningCount(): number {
    return this.running.size;
  }

  /** Starts nothing from now on (the host is closing); what is queued stays queued on disk, for the next host. */
  close(): void {
    this.closed = true;
    for (const id of this.queue.splice(0)) this.gate.left(id);
    if (this.retry) clearTimeout(this.retry);
  }

  /** Asks the machine for the queue's head as it stands, one question at a time, and starts what it lets in. */
  private pump(): void {
    const gate = this.gate;
    if (this.admitting) {
      this.pumpAgain = true;
      return;
    }
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    if (this.closed || !this.queue.length) return;
    const candidates = this.queue.slice(0, Math.max(0, this.limit - this.running.size));
    this.admitting = true;
    void gate.admit(candidates, this.limit).then(admitted => {
      for (const id of admitted) {
        const i = this.queue.indexOf(id);
        // Left the queue (even if back in it since: its slot may be gone with it), or the host began to
        // close, while the machine was asked. If queued, it asks again.
        if (i < 0 || this.releasedWhileAdmitting.has(id) || this.closed || this.running.size >= this.limit) {
          gate.left(id);
          continue;
        }
        this.queue.splice(i, 1);
        try {
          this.startNext(id);
        } catch (err) {
          this.running.delete(id);
          gate.left(id);
          this.on.onError(err);
        }
      }
      if (admitted.length < candidates.length && !this.closed) {
        this.retry = setTimeout(() => this.pump(), MACHINE_RETRY_MS);
        this.retry.unref();
      }
      const wait = JSON.stringify([gate.busy, candidates.filter(id => gate.waitsForMachine(id))]);
      if (wait !== this.machineWait) {
        this.machineWait = wait;
        this.on.onMachineWait();
      }
    }).catch(this.on.onError).finally(() => {
      this.admitting = false;
      this.releasedWhileAdmitting.clear();
      this.reportCount();
      if (this.pumpAgain) {
        this.pumpAgain = false;
        this.pump();
      }
    });
  }

  private startNext(id: string): void {
    this.running.add(id);
    this.start(id);
  }

  private reportCount(): void {
    if (this.running.size === this.reported) return;
    this.reported = this.running.size;
    this.on.onRunningCount(this.reported);
  }
}

/** A limit below one (or not a number, from a settings file edited by hand) would start nothing, ever. */
function atLeastOne(limit: number): number {
  return Number.isFinite(limit) ? Math.max(1, Math.floor(limit)) : 1;
}
