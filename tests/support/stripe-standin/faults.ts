/**
 * Injected faults for resilience tests: the next `times` matching requests fail (500/429/...),
 * hang for `timeoutMs` first, or — with afterProcessing — are processed and *then* answered with
 * a 500.
 *
 * Idempotency follows https://docs.stripe.com/api/idempotent_requests: Stripe "saves the resulting
 * status code and body of the first request made for any given idempotency key, regardless of
 * whether it succeeds or fails ... including 500 errors", and saves nothing when the endpoint never
 * started executing. So a 5xx fault is by default a failure *while executing*: it is saved under
 * the request's Idempotency-Key and every retry with that key gets the same 500 (see
 * `savedUnderKey`). `beforeExecution: true` models a 5xx that happened before the endpoint ran
 * (nothing saved: a retry with the same key executes). 429s (rate limiting happens before
 * execution, https://docs.stripe.com/rate-limits), other 4xx, and hangs without afterProcessing are
 * never saved.
 */
export interface FaultSpec {
  /** HTTP method to match; any when omitted. */
  method?: string;
  /** Exact path, or a pattern with `*` (any characters) / `:param` (one segment). */
  path: string;
  /** Status to answer with (500 -> api_error, 429 -> rate_limit_error). Default 500 unless only timeoutMs is set. */
  status?: number;
  /** How many matching requests are affected (default 1). */
  times?: number;
  /** Hang this long before answering (before processing, or after it with afterProcessing). */
  timeoutMs?: number;
  /** Process the request normally, then answer with the fault status instead of the result. */
  afterProcessing?: boolean;
  /** Override the error message. */
  message?: string;
  /** Stripe-Should-Retry header value; defaults to true for injected 5xx/429. */
  shouldRetry?: boolean;
  /**
   * A 5xx that happened before the endpoint started executing: not saved under the
   * Idempotency-Key, so a retry with the same key runs normally. Default false (saved, as
   * Stripe saves 500s raised while executing).
   */
  beforeExecution?: boolean;
}

/**
 * Whether the fault strikes before idempotency is looked at (nothing is saved): rate limits, 4xx,
 * hangs before processing (a pure delay then processes normally), and 5xx marked beforeExecution.
 */
export function strikesBeforeExecution(fault: FaultSpec): boolean {
  if (fault.afterProcessing) return false;
  if (fault.beforeExecution || fault.timeoutMs !== undefined) return true;
  const status = fault.status ?? 500;
  return status < 500;
}

/** Whether the fault's error answer is saved under the Idempotency-Key and replayed to retries. */
export function savedUnderKey(fault: FaultSpec): boolean {
  return (
    !strikesBeforeExecution(fault) &&
    (fault.status !== undefined || fault.timeoutMs === undefined) &&
    (fault.status ?? 500) >= 500
  );
}

export interface Fault extends FaultSpec {
  id: number;
  remaining: number;
}

function compilePath(pattern: string): RegExp {
  const escaped = pattern
    .split('/')
    .map((segment) =>
      segment.startsWith(':')
        ? '[^/]+'
        : segment
            .split('*')
            .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
            .join('.*'),
    )
    .join('/');
  return new RegExp(`^${escaped}$`);
}

export class FaultQueue {
  private faults: Array<Fault & { regex: RegExp }> = [];
  private nextId = 1;

  add(spec: FaultSpec): Fault {
    if (!spec.path) throw new Error('A fault needs a path');
    const fault = {
      ...spec,
      method: spec.method?.toUpperCase(),
      id: this.nextId,
      remaining: Math.max(1, Math.floor(spec.times ?? 1)),
      regex: compilePath(spec.path),
    };
    this.nextId += 1;
    this.faults.push(fault);
    return FaultQueue.publicView(fault);
  }

  /** Consumes one use of the first fault matching the request (and `where`, if given). */
  take(method: string, path: string, where: (fault: FaultSpec) => boolean = () => true): Fault | undefined {
    const fault = this.faults.find(
      (candidate) =>
        (!candidate.method || candidate.method === method) && candidate.regex.test(path) && where(candidate),
    );
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults = this.faults.filter((candidate) => candidate !== fault);
    return FaultQueue.publicView(fault);
  }

  list(): Fault[] {
    return this.faults.map(FaultQueue.publicView);
  }

  clear(): void {
    this.faults = [];
  }

  private static publicView(fault: Fault & { regex: RegExp }): Fault {
    const { regex: _regex, ...rest } = fault;
    return { ...rest };
  }
}
