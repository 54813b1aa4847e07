import { eventLoopLoad } from '../../server/src/utils/event-loop-load';

/** The measure settlement uses to decide whether webhook deliveries leave it room to run. */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('reads near 1 after a busy window and near 0 after an idle one', async () => {
  const load = eventLoopLoad(50);
  const until = Date.now() + 120;
  while (Date.now() < until) {
    // keep the loop busy, as a burst of requests would
  }
  expect(load()).toBeGreaterThan(0.8);
  await sleep(200);
  expect(load()).toBeLessThan(0.3);
});

it('keeps its last reading within a window (cheap to ask often)', async () => {
  const load = eventLoopLoad(10_000);
  const first = load();
  const until = Date.now() + 50;
  while (Date.now() < until) {
    // busy, but the window is not over
  }
  expect(load()).toBe(first);
});
