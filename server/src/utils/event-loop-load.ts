import { performance } from 'node:perf_hooks';

/**
 * How busy this process's event loop has been lately (0 = idle, 1 = never idle), measured over
 * windows of `windowMs` with Node's own event-loop utilization counters. Background work asks it
 * before starting a unit of work, so it only takes what the request path leaves over.
 */
export function eventLoopLoad(windowMs = 100): () => number {
  let mark = performance.eventLoopUtilization();
  let markAt = performance.now();
  let last = 0;
  return () => {
    const now = performance.now();
    if (now - markAt >= windowMs) {
      const current = performance.eventLoopUtilization();
      last = performance.eventLoopUtilization(current, mark).utilization;
      mark = current;
      markAt = now;
    }
    return last;
  };
}
