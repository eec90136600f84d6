// At most N agents run at once on this machine; the rest wait in a queue and start in order as slots free.
// With a gate (machineSlots.ts), the N counts every window's and CLI run's agents, not only this process's.
import type { MachineBusy, SlotGate } from './machineSlots';

/** While the machine is full, how often a process with sessions waiting looks again for a free slot. */
const MACHINE_RETRY_MS = 250;

export class Scheduler {
  private readonly queue: string[] = [];
  private readonly running = new Set<string>();
  private reported = 0;

  private limit: number;
  private closed = false;
  /** A gate's answer is awaited; a pump asked for meanwhile runs once it is in. */
  private admitting = false;
  private pumpAgain = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    limit: number,
    private readonly start: (sessionId: string) => void,
    /** Told whenever the number of running sessions changes. */
    private readonly onRunningCount: (running: number) => void = () => {},
    private readonly gate?: SlotGate,
    /** Told when sessions that were waiting for the machine start, or begin to wait for it. */
    private readonly onMachineWait: () => void = () => {},
  ) {
    this.limit = atLeastOne(limit);
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
    this.gate?.left(sessionId);
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
    return this.queue.length ? this.gate?.busy : undefined;
  }

  get runningCount(): number {
    return this.running.size;
  }

  /** Starts nothing from now on (the host is closing); what is queued stays queued on disk, for the next host. */
  close(): void {
    this.closed = true;
    for (const id of this.queue.splice(0)) this.gate?.left(id);
    if (this.retry) clearTimeout(this.retry);
  }

  private pump(): void {
    if (this.gate) {
      this.pumpGated(this.gate);
      return;
    }
    while (!this.closed && this.running.size < this.limit && this.queue.length) this.startNext(this.queue.shift()!);
    this.reportCount();
  }

  /** As `pump`, asking the machine first: one question at a time, the queue's head as it stands then. */
  private pumpGated(gate: SlotGate): void {
    if (this.admitting) {
      this.pumpAgain = true;
      return;
    }
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    if (this.closed || !this.queue.length) return;
    const candidates = this.queue.slice(0, Math.max(0, this.limit - this.running.size));
    const busyBefore = JSON.stringify(gate.busy);
    this.admitting = true;
    void gate.admit(candidates, this.limit).then(admitted => {
      for (const id of admitted) {
        const i = this.queue.indexOf(id);
        // Left the queue, or the host began to close, while the machine was asked.
        if (i < 0 || this.closed || this.running.size >= this.limit) {
          gate.left(id);
          continue;
        }
        this.queue.splice(i, 1);
        this.startNext(id);
      }
      if (admitted.length < candidates.length && !this.closed) {
        this.retry = setTimeout(() => this.pump(), MACHINE_RETRY_MS);
        this.retry.unref();
      }
      if (JSON.stringify(gate.busy) !== busyBefore) this.onMachineWait();
    }).finally(() => {
      this.admitting = false;
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
    this.onRunningCount(this.reported);
  }
}

/** A limit below one (or not a number, from a settings file edited by hand) would start nothing, ever. */
function atLeastOne(limit: number): number {
  return Number.isFinite(limit) ? Math.max(1, Math.floor(limit)) : 1;
}
