import { HttpError, retryAfterHeader } from './http-errors.js';

/**
 * Token buckets per client, as DataKit's API rate limit (datakit reference §2: 100 requests/s per client IP and
 * route, burst 500 → 429). The receiver keeps one `RateLimiter` per route, keyed by the socket peer's address: the
 * forwarded headers are set by the client and would let anyone pick a fresh bucket per request.
 */

export interface RateLimiterOptions {
  /** Tokens added per second; > 0. */
  rps: number;
  /** Bucket size: requests a fresh client may send at once; ≥ 1. */
  burst: number;
  /**
   * Buckets kept. Past it the oldest one is dropped; its client then starts over with a full bucket, so an attacker
   * cycling addresses makes the limit more lenient for others, never stricter. Default 10 000.
   */
  maxClients?: number;
  /** Milliseconds, monotonic. Default `performance.now`. */
  now?: () => number;
}

interface Bucket {
  tokens: number;
  /** `now()` when `tokens` was last brought up to date. */
  at: number;
}

const DEFAULT_MAX_CLIENTS = 10_000;

export class RateLimiter {
  readonly rps: number;
  readonly burst: number;
  private readonly maxClients: number;
  private readonly now: () => number;
  private readonly tokensPerMs: number;
  /** An untouched bucket is full again after this long, and is then the same as no bucket at all. */
  private readonly refillMs: number;
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep: number;

  constructor(opts: RateLimiterOptions) {
    this.rps = opts.rps;
    this.burst = opts.burst;
    this.maxClients = opts.maxClients ?? DEFAULT_MAX_CLIENTS;
    this.now = opts.now ?? (() => performance.now());
    this.tokensPerMs = opts.rps / 1000;
    this.refillMs = opts.burst / this.tokensPerMs;
    this.lastSweep = this.now();
  }

  /** Buckets held (bounded by `maxClients`; idle clients are forgotten). */
  get clients(): number {
    return this.buckets.size;
  }

  /** Spends one token of `client`: 0 when the request may proceed, else the seconds until a token is available. */
  take(client: string): number {
    const now = this.now();
    if (now - this.lastSweep >= this.refillMs) this.sweep(now);
    let bucket = this.buckets.get(client);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxClients) this.buckets.delete(this.buckets.keys().next().value!);
      bucket = { tokens: this.burst, at: now };
      this.buckets.set(client, bucket);
    } else {
      bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * this.tokensPerMs);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return (1 - bucket.tokens) / this.rps;
  }

  /** Drops the buckets that have refilled: amortised, at most once per refill period. */
  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [client, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * this.tokensPerMs >= this.burst) this.buckets.delete(client);
    }
  }
}

/** 429 + `Retry-After` (receiver §3: throttling answers carry it, unlike the Collector's), or undefined. */
export function rateLimitRefusal(limiter: RateLimiter, client: string, route: string): HttpError | undefined {
  const waitSeconds = limiter.take(client);
  if (waitSeconds === 0) return undefined;
  const retryAfter = retryAfterHeader(waitSeconds);
  return new HttpError(
    429,
    `rate limit exceeded for ${client} on ${route}: ${limiter.rps} requests/s, burst ${limiter.burst} ([gateway] rate_limit_rps, rate_limit_burst); retry after ${retryAfter} s`,
    { 'retry-after': retryAfter },
  );
}
