import { Cron } from 'croner';
import { intervalRule } from '../../server/src/services/background';

/** The worker's, outbox's and sweep's intervals as Strapi cron rules (croner, seconds field first). */
describe('intervalRule', () => {
  it.each([
    [200, '*/1 * * * * *'],
    [5_000, '*/5 * * * * *'],
    [59_000, '*/59 * * * * *'],
    [300_000, '0 */5 * * * *'],
    [7_200_000, '0 0 */2 * * *'],
  ])('%i ms → %s', (ms, rule) => {
    expect(intervalRule(ms)).toBe(rule);
  });

  it('gives rules croner accepts, firing no later than the interval', () => {
    for (const ms of [200, 1_000, 1_500, 7_000, 45_000, 90_000, 300_000, 3_600_000, 5_400_000]) {
      const job = new Cron(intervalRule(ms), { paused: true });
      const [a, b] = job.nextRuns(2, new Date('2026-01-01T00:00:00Z'));
      job.stop();
      expect(b!.getTime() - a!.getTime()).toBeLessThanOrEqual(Math.max(1_000, ms));
    }
  });
});
