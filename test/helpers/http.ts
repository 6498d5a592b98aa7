/**
 * A small raw HTTP/1.1 client for tests, on `node:http` without an agent (one connection per request, so nothing
 * keeps the test process alive). It sends exactly the headers it is given (duplicates as arrays, any case) and
 * reads the status, headers and body bytes as they came back. Unlike `fetch` it can:
 * - send a chunked body (`chunked: true`, or a list of chunks to send each as its own chunk),
 * - send a `Content-Length` that does not match the body,
 * - send only the headers and wait for an answer that must come before the body (`holdBody: true`).
 */
import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';

export interface RequestOptions {
  /** Default `POST`. */
  method?: string;
  /** Sent as given; an array value sends the header once per element. Nothing is added except `Host`. */
  headers?: OutgoingHttpHeaders;
  /** One buffer (or string), or several buffers that each go out as their own write (chunk when `chunked`). */
  body?: Buffer | string | readonly Buffer[];
  /**
   * `Transfer-Encoding: chunked` instead of a `Content-Length`. Without it, `Content-Length` is the body's size
   * unless `headers` already has one.
   */
  chunked?: boolean;
  /**
   * Send the headers and no body, and wait for the response (the server must answer without reading a body); the
   * request is then aborted.
   */
  holdBody?: boolean;
  /** Fail when the connection stays idle this long (a server that waits for a body it should not need). Default 10 s. */
  idleTimeoutMs?: number;
}

export interface Response {
  status: number;
  /** Lower-cased names, as Node parses them (`set-cookie` is an array, other duplicates are joined). */
  headers: IncomingHttpHeaders;
  /** Names and values in wire order and case: `[name, value, name, value, …]`. */
  rawHeaders: string[];
  body: Buffer;
}

function hasHeader(headers: OutgoingHttpHeaders, lowerName: string): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase() === lowerName);
}

/** Sends one request to `url` and resolves with the complete response; rejects only if no response arrived. */
export function request(url: string, opts: RequestOptions = {}): Promise<Response> {
  const chunks = opts.body === undefined ? [] : typeof opts.body === 'string' || Buffer.isBuffer(opts.body) ? [Buffer.from(opts.body)] : opts.body;
  const headers: OutgoingHttpHeaders = { ...opts.headers };
  if (!opts.chunked && !opts.holdBody && !hasHeader(headers, 'content-length')) {
    headers['Content-Length'] = chunks.reduce((n, c) => n + c.length, 0);
  }

  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(url, { method: opts.method ?? 'POST', headers, agent: false }, (res) => {
      answered = true;
      const body: Buffer[] = [];
      res.on('data', (c: Buffer) => body.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(body) });
        if (opts.holdBody) req.destroy();
      });
      res.on('error', reject);
    });
    // A server may answer early (413, 503) and close while the body is still going out: that EPIPE/ECONNRESET is
    // not a failure of the request once the response is in.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    req.setTimeout(opts.idleTimeoutMs ?? 10_000, () => req.destroy(new Error(`no response from ${url} while the connection was idle`)));
    if (opts.holdBody) {
      req.flushHeaders();
      return;
    }
    for (const c of chunks) req.write(c);
    req.end();
  });
}

/** The body parsed as JSON (throws if it is not JSON, so a test asserting on it fails). */
export function jsonBody(res: Response): unknown {
  return JSON.parse(res.body.toString('utf8'));
}
