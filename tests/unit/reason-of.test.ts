import { runInNewContext } from 'node:vm';
import { reasonOf } from '../../server/src/utils/errors';

describe('reasonOf: what a log line or a stored failure says went wrong', () => {
  it("gives an Error's message", () => {
    expect(reasonOf(new TypeError('bad input'))).toBe('bad input');
  });

  it("gives the message of another realm's Error and of a plain object with one", () => {
    const foreign: unknown = runInNewContext('new Error("from a driver")');
    expect(foreign instanceof Error).toBe(false);
    expect(reasonOf(foreign)).toBe('from a driver');
    expect(reasonOf({ message: 'thrown as an object', code: '23505' })).toBe('thrown as an object');
  });

  it('says what kind of value was thrown when it carries no message, or uses the fallback', () => {
    expect(reasonOf('a string')).toBe('unknown error ([object String])');
    expect(reasonOf(null)).toBe('unknown error ([object Null])');
    expect(reasonOf(undefined)).toBe('unknown error ([object Undefined])');
    expect(reasonOf({ message: 42 })).toBe('unknown error ([object Object])');
    expect(reasonOf(new Error(''))).toBe('unknown error ([object Error])');
    expect(reasonOf({ message: ' ' }, 'The connection to Mollie could not be checked.')).toBe(
      'The connection to Mollie could not be checked.',
    );
    const throwing = Object.defineProperty({}, 'message', {
      get() {
        throw new Error('getter');
      },
    });
    expect(reasonOf(throwing)).toBe('unknown error ([object Object])');
    expect(reasonOf(7, 'The connection to Stripe could not be checked.')).toBe(
      'The connection to Stripe could not be checked.',
    );
  });
});
