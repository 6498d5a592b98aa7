import type { Category, PointBatch } from '../datakit/point.js';

/**
 * Network sinks are split in two, like the OpenTelemetry Collector's exporters: a `Transport` knows the wire format
 * and the backend (encode a batch once into one or more requests, send each once), and the shared delivery machinery
 * (`queue.ts`: bounded queue, retries with backoff, disk spool, draining on shutdown) wraps it into a `Sink`.
 * Envelopes are plain bytes so that they can be queued, measured and spooled without knowing what is inside.
 */
export interface Envelope {
  category: Category;
  /** Points (or OTLP items) inside, for queue limits and counters. */
  items: number;
  /** Where it goes, relative to the transport's base URL, e.g. `/v1/write/tracing` or `/v1/traces`. */
  route: string;
  /** Request headers specific to this envelope, e.g. `content-type`, `content-encoding`, `x-points`. */
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface Transport {
  /** For logs, e.g. `dataway:https://openway.guance.com` (never the token). */
  readonly name: string;
  readonly categories: ReadonlySet<Category>;
  /**
   * Encodes a batch, on the request path, into the requests that carry it (several when the backend limits a request's
   * size); empty when there is nothing to send. The QueuedSink takes all of them or none, so a refused write (503)
   * never leaves part of a batch queued.
   */
  encode(batch: PointBatch): Envelope[];
  /** One attempt. Resolves when the backend accepted it; throws `DeliveryError` (anything else counts as retryable). */
  send(envelope: Envelope, signal: AbortSignal): Promise<void>;
  close?(): Promise<void>;
}

export interface DeliveryErrorInfo {
  /** Connection errors, timeouts, 408, 429 and 5xx are worth retrying; other 4xx are permanent. */
  retryable: boolean;
  /** The backend's `Retry-After`, in ms, when it gave one. */
  retryAfterMs?: number;
  /** HTTP status, when there was a response. */
  status?: number;
  /** The start of the response body, for the log line of a permanent failure. */
  responseBody?: string;
}

export class DeliveryError extends Error {
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;
  readonly responseBody: string | undefined;

  constructor(message: string, info: DeliveryErrorInfo) {
    super(message);
    this.name = 'DeliveryError';
    this.retryable = info.retryable;
    this.retryAfterMs = info.retryAfterMs;
    this.status = info.status;
    this.responseBody = info.responseBody;
  }
}
