/**
 * When to try again: the backoff between delivery attempts, exponential with full jitter (AWS architecture blog,
 * "Exponential Backoff And Jitter") as the OpenTelemetry Collector's exporters do, and the backend's `Retry-After`.
 * Pure functions; `random` and the clock are injectable for tests.
 */
export interface BackoffPolicy {
  retryInitialMs: number;
  retryMaxMs: number;
}

/**
 * The wait before retry number `attempt` (0 = the first retry): the backend's `Retry-After` when it gave one (honoured
 * in full: it knows best when it can take data again), else `random() * min(retryMaxMs, retryInitialMs * 2^attempt)`.
 * Never longer than `remainingMs`, the time left before the batch is given up, so the last attempt still happens.
 */
export function retryDelayMs(
  attempt: number,
  retryAfterMs: number | undefined,
  remainingMs: number,
  policy: BackoffPolicy,
  random: () => number,
): number {
  const delay = retryAfterMs ?? random() * Math.min(policy.retryMaxMs, policy.retryInitialMs * 2 ** attempt);
  return Math.max(0, Math.min(delay, remainingMs));
}

/** `Retry-After` as delta-seconds or an HTTP date (RFC 9110 §10.2.3), in ms from `nowMs`; undefined if unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Every HTTP-date form names the day and month; without letters Date.parse would read "-5" as a year.
  const at = /[a-z]/i.test(text) ? Date.parse(text) : NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
