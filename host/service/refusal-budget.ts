// How many refusals one admin actor may write to the audit log a minute. A token holder sending refused paths
// in a loop grew the log without bound, and every append reads the whole log to verify it: the log's
// growth is bounded per actor, the refusals past it counted (admin_refusals_unrecorded_total), not written.

/** Refusal lines one actor may write within a minute (a fixed window from its first refusal). */
export const REFUSALS_LOGGED_PER_MINUTE = 10;
const WINDOW_MS = 60_000;

export class RefusalBudget {
  private readonly windows = new Map<string, { start: number; used: number }>();

  constructor(
    private readonly perMinute = REFUSALS_LOGGED_PER_MINUTE,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether `actor` may log one more refusal now (and counts it if so). */
  take(actor: string): boolean {
    const now = this.now();
    let window = this.windows.get(actor);
    if (window === undefined || now - window.start >= WINDOW_MS) {
      window = { start: now, used: 0 };
      this.windows.set(actor, window);
    }
    if (window.used >= this.perMinute) return false;
    window.used++;
    return true;
  }
}
