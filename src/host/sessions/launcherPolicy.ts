// When the host starts its processes from the launcher process (src/host/util/launcher.ts): while more
// sessions than the threshold are being created or running. A fleet's busiest moments for processes are
// its edges, when every session creates its worktree and, at the end, commits and cleans up after the
// running count has already dropped; so sessions being created count, and the launcher stays a while
// after the count falls.
import { launcherWanted, useLauncherProcess } from '../util/launcher';

/** How long the launcher outlives the need for it: a fleet's last sessions finish within seconds of each other. */
export const LAUNCHER_LINGER_MS = 10_000;

export class LauncherPolicy {
  private creating = 0;
  private running = 0;
  private offTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly use: (on: boolean) => unknown = useLauncherProcess,
    private readonly wanted: (sessions: number) => boolean = n => launcherWanted(n),
    private readonly lingerMs = LAUNCHER_LINGER_MS,
  ) {}

  /** The scheduler's count of running sessions changed. */
  runningCount(n: number): void {
    this.running = n;
    this.update();
  }

  /** Counts a session being created until `work` settles. */
  async creatingWhile<T>(work: () => Promise<T>): Promise<T> {
    this.creating++;
    this.update();
    try {
      return await work();
    } finally {
      this.creating--;
      this.update();
    }
  }

  dispose(): void {
    clearTimeout(this.offTimer);
    this.offTimer = undefined;
  }

  private update(): void {
    if (this.wanted(this.running + this.creating)) {
      clearTimeout(this.offTimer);
      this.offTimer = undefined;
      this.use(true);
    } else if (!this.offTimer) {
      this.offTimer = setTimeout(() => {
        this.offTimer = undefined;
        this.use(false);
      }, this.lingerMs);
      this.offTimer.unref();
    }
  }
}
