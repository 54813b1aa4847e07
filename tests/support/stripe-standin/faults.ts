/**
 * Injected faults for resilience tests: the next `times` matching requests fail (500/429/...),
 * hang for `timeoutMs` first, or — with afterProcessing — are processed and *then* answered with
 * a 500, the case where only a retry with the same Idempotency-Key avoids a duplicate.
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

  /** Consumes one use of the first fault matching the request. */
  take(method: string, path: string): Fault | undefined {
    const fault = this.faults.find(
      (candidate) => (!candidate.method || candidate.method === method) && candidate.regex.test(path),
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
