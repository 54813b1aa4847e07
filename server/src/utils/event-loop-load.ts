import { performance } from 'node:perf_hooks';

/** Node's clock and event-loop utilization counters (`performance`), or a test's stand-in. */
export type LoadClock = Pick<typeof performance, 'now' | 'eventLoopUtilization'>;

/**
 * How busy this process's event loop has been lately (0 = idle, 1 = never idle), measured over
 * windows of `windowMs` with Node's own event-loop utilization counters. Background work asks it
 * before starting a unit of work, so it only takes what the request path leaves over.
 */
export function eventLoopLoad(windowMs = 100, clock: LoadClock = performance): () => number {
  let mark = clock.eventLoopUtilization();
  let markAt = clock.now();
  let last = 0;
  return () => {
    const now = clock.now();
    if (now - markAt >= windowMs) {
      const current = clock.eventLoopUtilization();
      last = clock.eventLoopUtilization(current, mark).utilization;
      mark = current;
      markAt = now;
    }
    return last;
  };
}
