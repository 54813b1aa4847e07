import type { EventLoopUtilization } from 'node:perf_hooks';
import { eventLoopLoad, type LoadClock } from '../../server/src/utils/event-loop-load';

/** The measure settlement uses to decide whether webhook deliveries leave it room to run. */

/**
 * A clock whose loop is busy or idle exactly when the test says (Node's counters also count the
 * test runner's own work, so a real idle window is not idle on a loaded machine).
 */
function fakeClock() {
  let at = 0;
  let active = 0;
  const elu = (a?: EventLoopUtilization, b?: EventLoopUtilization): EventLoopUtilization => {
    const now = { idle: at - active, active, utilization: at ? active / at : 0 };
    const [to, from] = a && b ? [a, b] : a ? [now, a] : [now, null];
    if (!from) return to;
    const d = { idle: to.idle - from.idle, active: to.active - from.active };
    return { ...d, utilization: d.active / (d.active + d.idle) };
  };
  const clock: LoadClock = { now: () => at, eventLoopUtilization: elu as LoadClock['eventLoopUtilization'] };
  return {
    clock,
    busy(ms: number) {
      at += ms;
      active += ms;
    },
    idle(ms: number) {
      at += ms;
    },
  };
}

it('reads the share of the last window the loop was busy', () => {
  const t = fakeClock();
  const load = eventLoopLoad(50, t.clock);
  t.busy(120);
  expect(load()).toBe(1);
  t.idle(200);
  expect(load()).toBe(0);
  t.busy(30);
  t.idle(70);
  expect(load()).toBeCloseTo(0.3);
});

it('keeps its last reading within a window (cheap to ask often)', () => {
  const t = fakeClock();
  const load = eventLoopLoad(100, t.clock);
  t.busy(150);
  expect(load()).toBe(1);
  t.idle(60);
  expect(load()).toBe(1);
  t.idle(40);
  expect(load()).toBeCloseTo(0);
});

it("reads Node's own counters by default: a busy loop reads near 1", () => {
  const load = eventLoopLoad(50);
  const until = Date.now() + 120;
  while (Date.now() < until) {
    // keep the loop busy, as a burst of requests would (descheduled time still counts as busy)
  }
  expect(load()).toBeGreaterThan(0.8);
});
