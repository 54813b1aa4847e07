import { DomainError } from '../../../server/src/domain';

/** Runs fn, asserts it throws a DomainError with `code`, and returns the error for further checks. */
export function expectDomainError(fn: () => unknown, code: string): DomainError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    const domainError = error as DomainError;
    expect(domainError.code).toBe(code);
    return domainError;
  }
  throw new Error(`expected DomainError "${code}" but nothing was thrown`);
}
