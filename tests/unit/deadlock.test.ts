import { isDeadlock, retryAfterDeadlock } from '../../server/src/utils/unique-violation';

describe('deadlock retry', () => {
  it('knows MariaDB/MySQL and PostgreSQL deadlock victims, and nothing else', () => {
    expect(isDeadlock({ code: 'ER_LOCK_DEADLOCK', errno: 1213 })).toBe(true);
    expect(isDeadlock({ errno: 1205 })).toBe(true);
    expect(isDeadlock({ code: '40P01' })).toBe(true);
    expect(
      isDeadlock(new Error('update `x` - Deadlock found when trying to get lock; try restarting transaction')),
    ).toBe(true);
    expect(isDeadlock({ code: '23505' })).toBe(false);
    expect(isDeadlock(new Error('boom'))).toBe(false);
  });

  it('runs again after a deadlock, at most three times, and never after another error', async () => {
    let calls = 0;
    await expect(
      retryAfterDeadlock(async () => (++calls < 3 ? Promise.reject({ code: '40P01' }) : 'done')),
    ).resolves.toBe('done');
    expect(calls).toBe(3);
    calls = 0;
    await expect(retryAfterDeadlock(async () => (++calls, Promise.reject({ code: '40P01' })))).rejects.toEqual({
      code: '40P01',
    });
    expect(calls).toBe(3);
    calls = 0;
    await expect(retryAfterDeadlock(async () => (++calls, Promise.reject(new Error('boom'))))).rejects.toThrow('boom');
    expect(calls).toBe(1);
  });
});
