import type { Encoding } from './media-type.js';
import type { Signal } from './model.js';

/**
 * What the receiver tells an observer about each request it answers (otlp-http-receiver.md checklist 42), so that
 * self-metrics live outside the receiver. Every value is from a small fixed set: never a client-supplied string.
 */

/** `accepted`: 200. `refused`: a 4xx or 503, the client's or the load's doing. `failed`: 500, ours. */
export type Outcome = 'accepted' | 'refused' | 'failed';

/**
 * Why a request was not accepted. `decode`: undecodable body or bad compressed stream (400); `size`: over a byte
 * limit (413); `content_type` / `encoding`: unsupported Content-Type / Content-Encoding (415; strict mode's 400);
 * `auth` (401); `cors`: origin not allowed (403); `throttled`: rate limit (429); `overloaded`: a sink's queue is full
 * or a sink could not store the data (503); `closing`: the gateway is shutting down (503); `method` (405);
 * `not_found` (404); `client`: another client-side failure Fastify reported (aborted body, bad URL, …); `internal`: 500.
 */
export type RefusalReason =
  | 'decode'
  | 'size'
  | 'content_type'
  | 'encoding'
  | 'auth'
  | 'cors'
  | 'throttled'
  | 'overloaded'
  | 'closing'
  | 'method'
  | 'not_found'
  | 'client'
  | 'internal';

export interface AnsweredRequest {
  /** Undefined when the path is not an OTLP route. */
  readonly signal: Signal | undefined;
  /** From the Content-Type; undefined when it names neither encoding. */
  readonly encoding: Encoding | undefined;
  readonly outcome: Outcome;
  /** Set unless `outcome` is `accepted`. */
  readonly reason: RefusalReason | undefined;
  /** Spans, data points or log records, once the body was decoded. */
  readonly items: number | undefined;
  /** The body as received, once it was read. */
  readonly bytes: number | undefined;
  /** The body after decompression, once it was decompressed. */
  readonly decompressedBytes: number | undefined;
  /** From the start of the request to the answer. */
  readonly seconds: number;
}

export interface ReceiverObserver {
  /** Called once per request the receiver answers (OTLP routes, 404s, 405s; not preflights or other routes). */
  answered(request: AnsweredRequest): void;
}
