/**
 * Errors the receiver turns into HTTP answers. Every stage throws one of these; the one Fastify error handler in
 * receiver.ts writes the response, so status, headers and `google.rpc.Status` body are decided in one place.
 */

/** A refusal with a definite HTTP status (4xx), a developer-facing message and optional extra response headers. */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
  }
}

/**
 * Thrown by `ReceiverOptions.handle` when the data could be accepted later (queue full, sink down): the client gets
 * 503 + `Retry-After` and retries (receiver §1.7, checklist 15–17). Anything else thrown by the handler is a 500.
 */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';

  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** `Retry-After` as whole seconds (receiver pitfall 9: the JS exporter reads seconds or an HTTP-date). */
export function retryAfterHeader(seconds: number): string {
  return String(Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds) : 0);
}

/**
 * `google.rpc.Status.code` for an HTTP status (receiver §4.2). Clients must not act on it; it only helps debugging.
 * Unlisted 4xx fall back to INVALID_ARGUMENT, unlisted 5xx to INTERNAL.
 */
export function rpcCodeFor(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
    case 415:
      return 3; // INVALID_ARGUMENT
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 5; // NOT_FOUND
    case 405:
      return 12; // UNIMPLEMENTED
    case 408:
      return 4; // DEADLINE_EXCEEDED
    case 413:
    case 429:
      return 8; // RESOURCE_EXHAUSTED
    case 503:
      return 14; // UNAVAILABLE
    default:
      return httpStatus < 500 ? 3 : 13; // INVALID_ARGUMENT / INTERNAL
  }
}
