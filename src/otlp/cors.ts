import type { AccessControlConfig } from '../config/types.js';

/**
 * CORS for browser exporters (receiver checklist 35, §2.6): an origin allow-list with exact origins, one `*`
 * wildcard each (`https://*.example.com`) or `*` alone. `Access-Control-Allow-Origin` goes on every answer (POST,
 * errors), not only on preflight, or the browser hides the answer (and its Retry-After) from the exporter.
 *
 * A listed origin is echoed with `Access-Control-Allow-Credentials: true` (the browser exporter's sendBeacon always
 * sends credentials); a bare `*` is answered with a literal `*` and never with credentials, which browsers refuse
 * (the Collector sends both, collector#13402).
 */

type CorsConfig = AccessControlConfig['cors'];
type Headers = Readonly<Record<string, string>>;

/** Always allowed besides the configured ones: what an OTLP exporter sends beyond the CORS safelist. */
const BASE_ALLOWED_HEADERS = ['Content-Type', 'Content-Encoding', 'Authorization'];
/** A 429/503 tells the exporter when to retry; Retry-After is not a CORS-safelisted response header. */
const EXPOSED_HEADERS = 'Retry-After';
/** The answer depends on the request's Origin, so caches must keep one copy per origin. */
const VARY = { vary: 'Origin' } as const;

/** `prefix*suffix`, lower-cased (origins compare case-insensitively, RFC 6454 §6.1). */
interface Wildcard {
  readonly prefix: string;
  readonly suffix: string;
}

export class CorsPolicy {
  private readonly exact = new Set<string>();
  private readonly wildcards: Wildcard[] = [];
  private readonly anyOrigin: boolean;
  /** Preflight headers other than the origin ones, the same for every request. */
  private readonly preflight: Headers;
  private readonly anyOriginAnswer: Headers;
  private readonly anyOriginPreflight: Headers;

  /** The policy, or null when `cors_allowed_origins` is empty (CORS off, as in the Collector). */
  static compile(config: CorsConfig): CorsPolicy | null {
    return config.allowedOrigins.length === 0 ? null : new CorsPolicy(config);
  }

  private constructor(config: CorsConfig) {
    let anyOrigin = false;
    for (const pattern of config.allowedOrigins.map((p) => p.toLowerCase())) {
      const star = pattern.indexOf('*');
      if (pattern === '*') anyOrigin = true;
      else if (star < 0) this.exact.add(pattern);
      else this.wildcards.push({ prefix: pattern.slice(0, star), suffix: pattern.slice(star + 1) });
    }
    this.anyOrigin = anyOrigin;
    this.preflight = {
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': [...BASE_ALLOWED_HEADERS, ...config.allowedHeaders].join(', '),
      'access-control-max-age': String(config.maxAgeSeconds),
      ...VARY,
    };
    this.anyOriginAnswer = { 'access-control-allow-origin': '*', 'access-control-expose-headers': EXPOSED_HEADERS, ...VARY };
    this.anyOriginPreflight = { 'access-control-allow-origin': '*', ...this.preflight };
  }

  /** Headers for an answer (other than a preflight) to a request from `origin`; only `Vary` when it is not allowed. */
  answerHeaders(origin: string): Headers {
    if (this.isListed(origin)) {
      return { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', 'access-control-expose-headers': EXPOSED_HEADERS, ...VARY };
    }
    return this.anyOrigin ? this.anyOriginAnswer : VARY;
  }

  /** Headers of the 204 preflight answer for `origin`, or null when it is not allowed. */
  preflightHeaders(origin: string): Headers | null {
    if (this.isListed(origin)) return { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', ...this.preflight };
    return this.anyOrigin ? this.anyOriginPreflight : null;
  }

  /** Allowed by an exact origin or a wildcard (not by a bare `*`); the wildcard must stand for ≥ 1 character. */
  private isListed(origin: string): boolean {
    const o = origin.toLowerCase();
    if (this.exact.has(o)) return true;
    for (const { prefix, suffix } of this.wildcards) {
      if (o.length > prefix.length + suffix.length && o.startsWith(prefix) && o.endsWith(suffix)) return true;
    }
    return false;
  }
}
