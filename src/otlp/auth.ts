import { timingSafeEqual } from 'node:crypto';
import { HttpError } from './http-errors.js';

/**
 * `[gateway] auth_token` (receiver checklist 36): a request must carry the token as `Authorization: Bearer <token>`
 * or as the `token` query parameter, the way DataKit's dataway URLs carry theirs (`?token=tkn_…`). Either one
 * matching is enough: OpenLLMetry sends `Authorization: Bearer undefined` when it has no API key, so a token in the
 * URL must still work next to it.
 */

const BEARER = /^bearer +([^ ]+) *$/i;

export class TokenAuth {
  private readonly token: Buffer;

  constructor(token: string) {
    this.token = Buffer.from(token);
  }

  /** 401 + `WWW-Authenticate` (RFC 6750 §3) when neither credential matches, else undefined. */
  refusal(authorization: string | undefined, query: unknown): HttpError | undefined {
    const bearer = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
    const queryToken = (query as Record<string, unknown> | undefined)?.token;
    const fromQuery = typeof queryToken === 'string' ? queryToken : undefined;
    if ((bearer !== undefined && this.matches(bearer)) || (fromQuery !== undefined && this.matches(fromQuery))) return undefined;
    if (bearer === undefined && fromQuery === undefined) {
      return new HttpError(401, 'missing token: send "Authorization: Bearer <token>" or ?token=<token> ([gateway] auth_token is set)', {
        'www-authenticate': 'Bearer',
      });
    }
    return new HttpError(401, 'invalid token', { 'www-authenticate': 'Bearer error="invalid_token"' });
  }

  /** Constant time for a candidate of the right length, so the token cannot be guessed byte by byte. */
  private matches(candidate: string): boolean {
    const given = Buffer.from(candidate);
    return given.length === this.token.length && timingSafeEqual(given, this.token);
  }
}
