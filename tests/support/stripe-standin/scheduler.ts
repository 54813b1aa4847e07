/**
 * Timers for things Stripe does "later": delayed payment settlement, refund failures, disputes.
 * Tracked so reset()/close() cancel them and tests never leak timers.
 */
export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();

  schedule(delayMs: number, task: () => void | Promise<void>): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        Promise.resolve()
          .then(task)
          .catch((error: unknown) => {
            // A background task has no caller to report to; surface it instead of swallowing it.
            console.error('[stripe-standin] scheduled task failed:', error);
          });
      },
      Math.max(0, delayMs),
    );
    this.timers.add(timer);
  }

  clear(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
