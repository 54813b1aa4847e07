/**
 * Timers for things Stripe does "later" (delayed payment settlement, refund failures, disputes,
 * webhook retries, injected hangs). Tracked so reset()/close() can cancel them and tests never
 * leak timers.
 */
export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();

  schedule(delayMs: number, task: () => void | Promise<void>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      Promise.resolve()
        .then(task)
        .catch((error: unknown) => {
          // A background task has no caller to report to; surface it instead of swallowing it.
          console.error('[stripe-standin] scheduled task failed:', error);
        });
    }, Math.max(0, delayMs));
    this.timers.add(timer);
  }

  /** Resolves after delayMs unless the scheduler is cleared first (then it never resolves). */
  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.schedule(delayMs, resolve));
  }

  get pending(): number {
    return this.timers.size;
  }

  clear(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
