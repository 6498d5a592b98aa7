/**
 * The warn line for requests refused with a 5xx other than 500 (503 + Retry-After: overload, a full sink queue,
 * shutting down), at most one per reason per interval. Under overload every refused request would otherwise log a
 * line: thousands a second on 2 cores in the bench, a log flood (and CPU spent on it) exactly when the gateway has
 * the least to spare. The line that follows a quiet spell says how many were left out; `/metrics` counts them all
 * (`otelgw_receiver_refused_requests_total`).
 */
export class RefusalLog {
  private readonly runs = new Map<string, { loggedAt: number; leftOut: number }>();

  constructor(
    private readonly intervalMs = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The line to log for this refusal, or null when one with the same key was logged less than the interval ago. */
  line(key: string, message: string): string | null {
    const at = this.now();
    const run = this.runs.get(key);
    if (run && at - run.loggedAt < this.intervalMs) {
      run.leftOut++;
      return null;
    }
    this.runs.set(key, { loggedAt: at, leftOut: 0 });
    if (!run || run.leftOut === 0) return message;
    const seconds = Math.round((at - run.loggedAt) / 1000);
    return `${message} (${run.leftOut} more refused like it in the ${seconds} s before, not logged one by one)`;
  }
}
