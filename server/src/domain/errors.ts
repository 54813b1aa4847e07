/**
 * The one error type the domain layer throws. `code` is stable and machine
 * readable (callers map it to HTTP status / UI copy); `message` is written for
 * a person and can be shown as is; `details` carries context such as the
 * offending field.
 */
export class DomainError extends Error {
  readonly code: string;
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}

/** Type guard usable on anything caught in a `catch` block. */
export function isDomainError(value: unknown): value is DomainError {
  return value instanceof DomainError;
}
