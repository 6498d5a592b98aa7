import type { Readable } from 'node:stream';
import { HttpError } from './http-errors.js';

/**
 * Reads a request body into one Buffer, bounded by `max_request_bytes` (checklist 20).
 *
 * Fastify's own `parseAs: 'buffer'` keeps every socket chunk in an array and `Buffer.concat`s them at the end: for a
 * 64 MiB request the chunks and the copy are both alive at that moment (2× the body; issue 8 asks for ≤ 4× in all,
 * decoded data and line protocol included). With a Content-Length, this reader allocates the body once at its
 * announced size and copies each chunk in as it arrives, so the chunks are garbage at once. A Content-Length is at
 * most the limit here (larger ones are refused before a byte is read), and the allocation is not resident until
 * written: a client that announces a large body and sends little costs address space, not memory. Chunked bodies
 * (no Content-Length) are collected and joined, counted against the limit as they come.
 *
 * Always a copy: a socket chunk is a view into the socket's read buffer, which may hold the next request too.
 */

/** The 413 of both checks; the receiver's error handler answers it like any other HttpError. */
function bodyTooLargeError(maxRequestBytes: number): HttpError {
  return new HttpError(413, `request body exceeds max_request_bytes (${maxRequestBytes} bytes)`);
}

/** Fastify's wording for the same case (FST_ERR_CTP_INVALID_CONTENT_LENGTH). */
const LENGTH_MISMATCH = 'Request body size did not match Content-Length';

/** A stream error (client gone, bad framing) without a 4xx status is answered 400, as Fastify's reader does. */
function asClientError(err: Error & { statusCode?: number }): Error {
  if (!(typeof err.statusCode === 'number' && err.statusCode >= 400)) err.statusCode = 400;
  return err;
}

/**
 * Reads `payload` to its end and calls `done` once: with the body, or with the error to answer. `contentLength` is
 * the raw header (undefined for chunked bodies).
 */
export function readBody(
  payload: Readable,
  contentLength: string | undefined,
  maxRequestBytes: number,
  done: (err: Error | null, body?: Buffer) => void,
): void {
  const announced = contentLength === undefined ? Number.NaN : Number(contentLength);
  if (announced > maxRequestBytes) {
    done(bodyTooLargeError(maxRequestBytes));
    return;
  }
  const known = Number.isSafeInteger(announced) && announced >= 0;
  const body = known ? Buffer.allocUnsafe(announced) : null;
  const chunks: Buffer[] = [];
  let received = 0;

  const finish = (err: Error | null, result?: Buffer): void => {
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onError);
    done(err, result);
  };
  const onData = (chunk: Buffer): void => {
    const end = received + chunk.length;
    if (body) {
      // Node's parser never delivers more than Content-Length; checked all the same, a copy must not overrun.
      if (end > body.length) {
        finish(asClientError(new Error(LENGTH_MISMATCH)));
        return;
      }
      chunk.copy(body, received);
    } else {
      if (end > maxRequestBytes) {
        finish(bodyTooLargeError(maxRequestBytes));
        return;
      }
      chunks.push(chunk);
    }
    received = end;
  };
  const onEnd = (): void => {
    if (!body) finish(null, Buffer.concat(chunks, received));
    else if (received === body.length) finish(null, body);
    else finish(asClientError(new Error(LENGTH_MISMATCH)));
  };
  const onError = (err: Error): void => finish(asClientError(err));

  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onError);
  payload.resume();
}
