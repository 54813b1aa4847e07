/**
 * The listener guard of tests/support/integration-environment.js: Strapi's destroy() removes every
 * process listener; the guard puts back everyone else's and drops that Strapi's own.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS jest environment
const { guardListeners } = require('../support/integration-environment.js') as {
  guardListeners(): { loaded(): void; destroy(run: () => Promise<void>): Promise<void> };
};

const EVENTS = ['ip-guard-a', 'ip-guard-b', 'ip-guard-c'] as const;
const emitter = process as unknown as NodeJS.EventEmitter;
const removeAll = async () => {
  for (const event of EVENTS) emitter.removeAllListeners(event);
};

afterEach(removeAll);

it('after destroy: the listeners from before and another instance’s are back, this Strapi’s are gone', async () => {
  const calls: string[] = [];
  const before = () => calls.push('before');
  const onceBefore = () => calls.push('once');
  emitter.on('ip-guard-a', before);
  emitter.once('ip-guard-b', onceBefore);

  const guard = guardListeners();
  const own = () => calls.push('own');
  emitter.on('ip-guard-a', own);
  emitter.on('ip-guard-c', own);
  guard.loaded();
  const other = () => calls.push('other');
  emitter.on('ip-guard-c', other);

  await guard.destroy(removeAll);

  expect(emitter.listeners('ip-guard-a')).toEqual([before]);
  expect(emitter.listeners('ip-guard-c')).toEqual([other]);
  emitter.emit('ip-guard-a');
  emitter.emit('ip-guard-b');
  emitter.emit('ip-guard-b');
  emitter.emit('ip-guard-c');
  // The once() listener is still a once() listener.
  expect(calls).toEqual(['before', 'once', 'other']);
});

it('puts the listeners back even when destroy throws', async () => {
  const before = () => undefined;
  emitter.on('ip-guard-a', before);
  const guard = guardListeners();
  guard.loaded();
  await expect(
    guard.destroy(async () => {
      await removeAll();
      throw new Error('destroy failed');
    }),
  ).rejects.toThrow('destroy failed');
  expect(emitter.listeners('ip-guard-a')).toEqual([before]);
});
