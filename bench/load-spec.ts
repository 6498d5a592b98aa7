import { runJsonChild } from './child-json.js';

/** One load run, handed to the load generator (load.ts) as JSON. */
export interface LoadSpec {
  url: string;
  bodyFile: string;
  contentType: string;
  contentEncoding?: string;
  connections: number;
  /** Seconds; ignored when `amount` is set. */
  seconds: number;
  /** A fixed number of requests instead of a duration. */
  amount?: number;
  /** Requests per second over all connections, evenly spaced (steady-load.ts) instead of as fast as answered. */
  overallRate?: number;
  /** Clients that wait `Retry-After` after a 429/503 before they post again, as exporters do (exporter-load.ts). */
  honourRetryAfter?: boolean;
  /** Seconds to wait for one answer. Default 10. */
  timeoutSeconds?: number;
}

export interface LoadResult {
  /** Answers received, any status. */
  requests: number;
  elapsedMs: number;
  /** HTTP status → count. */
  statuses: Record<string, number>;
  /** Latency of the 2xx answers, ms (autocannon's 1 ms resolution). */
  p50Ms: number;
  p99Ms: number;
  /** Connection errors and requests without an answer in time. */
  errors: number;
  timeouts: number;
}

/**
 * Runs the load generator in its own process (its CPU is not the server's) and resolves with its results: autocannon
 * (load.ts) as fast as answered, steady-load.ts for a steady `overallRate`, exporter-load.ts for clients that honour
 * Retry-After.
 */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const generator = spec.overallRate ? 'steady-load.ts' : spec.honourRetryAfter ? 'exporter-load.ts' : 'load.ts';
  return runJsonChild(generator, [JSON.stringify(spec)]);
}
