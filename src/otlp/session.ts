import type { FastifyRequest } from 'fastify';
import { HttpError } from './http-errors.js';

/** The header a client names its session with (the fixture API scopes queries and resets to it). */
export const SESSION_HEADER = 'x-gateway-session';
/** The query parameter that does the same, for SDKs that cannot add headers (e.g. `…/otel/v1/traces?session=t1`). */
export const SESSION_PARAM = 'session';

/** Labels, not data: short and printable, so they can be echoed in URLs, logs and file names of snapshots. */
const VALID_SESSION = /^[A-Za-z0-9._:@/-]{1,128}$/;

/** Checks a session label; throws a 400 HttpError naming what is allowed. */
export function validSession(value: string): string {
  if (!VALID_SESSION.test(value)) {
    throw new HttpError(400, `invalid session ${JSON.stringify(value.slice(0, 140))}: 1–128 characters of A–Z a–z 0–9 . _ : @ / -`);
  }
  return value;
}

/** The request's session label (header first, then query parameter), or undefined when it names none. */
export function sessionOf(request: FastifyRequest): string | undefined {
  const header = request.headers[SESSION_HEADER];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  if (fromHeader !== undefined && fromHeader !== '') return validSession(fromHeader);
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = query?.[SESSION_PARAM];
  if (typeof fromQuery === 'string' && fromQuery !== '') return validSession(fromQuery);
  return undefined;
}
