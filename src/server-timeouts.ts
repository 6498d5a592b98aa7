import { STATUS_CODES } from 'node:http';
import http2, { type Http2SecureServer } from 'node:http2';
import type { Socket } from 'node:net';
import { statusBody } from './otlp/responses.js';

/**
 * Slowloris protection (receiver checklist 39): how long a connection may take to send its headers, its whole
 * request, or nothing at all. Fixed defaults rather than `[gateway]` keys; the body-read bound grows with
 * `max_request_bytes` so that a legitimate maximum-size export on a slow link still fits.
 */
export interface ServerTimeouts {
  /** From connect (or the previous response) to the end of the request headers. */
  headersMs: number;
  /** From connect to the end of the request body; answered 408. */
  requestMs: number;
  /** An idle keep-alive connection between requests. */
  keepAliveMs: number;
  /** A socket on which no byte moves in either direction (a stalled client or a dead peer). */
  idleMs: number;
  /** Node enforces `headersMs` and `requestMs` on this tick, so they may run over by up to one interval. */
  checkIntervalMs: number;
}

/** Short enough to shed a Slowloris quickly, long enough for a client on a bad link (Node's default is 60 s). */
const HEADERS_MS = 30_000;
/** The body-read budget: at least this long… */
const MIN_REQUEST_MS = 30_000;
/** …and at least long enough to receive `max_request_bytes` at 1 MiB/s (64 s for the 64 MiB default). */
const SLOWEST_BODY_BYTES_PER_MS = (1024 * 1024) / 1000;
/** Above the 60 s idle timeout of common load balancers (AWS ALB), so that they, not we, close idle connections. */
const KEEP_ALIVE_MS = 72_000;
/** Node's default check tick is 30 s, which would let a 30 s headers timeout last a minute. */
const CHECK_INTERVAL_MS = 5_000;

export function defaultServerTimeouts(maxRequestBytes: number): ServerTimeouts {
  const requestMs = Math.max(MIN_REQUEST_MS, Math.ceil(maxRequestBytes / SLOWEST_BODY_BYTES_PER_MS));
  // A socket silent for as long as a whole request may take is dead; a slower handler (a sink applying
  // backpressure) still answers within it, because the request budget is what a client waits for anyway.
  return { headersMs: HEADERS_MS, requestMs, keepAliveMs: KEEP_ALIVE_MS, idleMs: requestMs, checkIntervalMs: CHECK_INTERVAL_MS };
}

/** The Fastify (and Node `http.createServer`) options that apply `t`. */
export function fastifyTimeoutOptions(t: ServerTimeouts) {
  return {
    connectionTimeout: t.idleMs,
    keepAliveTimeout: t.keepAliveMs,
    requestTimeout: t.requestMs,
    // Node-only knobs Fastify has no option for (ignored should an `https`/`http2` server be configured).
    http: { headersTimeout: t.headersMs, connectionsCheckingInterval: t.checkIntervalMs },
    clientErrorHandler: answerClientError,
  };
}

/**
 * With `[http_api.tls]`: an HTTP/2 server (HTTP/2 by ALPN, HTTP/1.1 over TLS still accepted), to which Fastify and
 * Node apply none of the HTTP/1 timeouts (its `connectionTimeout` only emits 'timeout' on HTTP/2 streams). The
 * equivalents: the TLS handshake gets the headers budget (a client stalled before TLS completes sends no headers
 * either), a session with no traffic is closed after `keepAliveMs`, and `applyHttp2RequestDeadline` bounds each
 * stream's request.
 */
export function fastifyTlsOptions(t: ServerTimeouts, keys: { key: Buffer; cert: Buffer }) {
  const { http: _http1Only, ...common } = fastifyTimeoutOptions(t);
  return {
    ...common,
    http2: true as const,
    https: { allowHTTP1: true, ...keys, handshakeTimeout: t.headersMs },
    http2SessionTimeout: t.keepAliveMs,
  };
}

/**
 * HTTP/1.1 connections on the HTTP/2 server go through Node's HTTP/1 parser, which reads its timeouts from the
 * server object, where Fastify sets none of them for an http2 server: set them as for plain HTTP. Before `listen()`,
 * which starts the checking tick.
 */
export function applyHttp1OverTlsTimeouts(server: object, t: ServerTimeouts): void {
  Object.assign(server, {
    headersTimeout: t.headersMs,
    requestTimeout: t.requestMs,
    keepAliveTimeout: t.keepAliveMs,
    connectionsCheckingInterval: t.checkIntervalMs,
  });
}

/**
 * Node has no request timeout for HTTP/2: a stream whose request has not fully arrived `requestMs` after it opened
 * (a trickling or stalled body, which keeps the session alive) is reset with CANCEL, where HTTP/1 answers 408.
 */
export function applyHttp2RequestDeadline(server: Http2SecureServer, requestMs: number): void {
  server.on('stream', (stream) => {
    const deadline = setTimeout(() => stream.close(http2.constants.NGHTTP2_CANCEL), requestMs);
    const done = () => clearTimeout(deadline);
    // 'end': the whole body was read; 'close': the stream finished some other way (answered unread, reset).
    stream.once('end', done);
    stream.once('close', done);
  });
}

const CLIENT_ERROR_STATUS: Readonly<Record<string, readonly [number, string]>> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'the request was not received in time (headers or body too slow)'],
  HPE_HEADER_OVERFLOW: [431, 'request headers too large'],
};

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (timeouts, malformed HTTP): answered like every
 * other refusal, with a `google.rpc.Status` body, in JSON since the request's encoding is unknown (checklist 14),
 * instead of Fastify's own `{"error": …}` shape. Then the connection is closed, as Node does.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] = CLIENT_ERROR_STATUS[err.code ?? ''] ?? [400, 'malformed HTTP request'];
  // Not when a response has begun on this socket: the client would read our bytes as part of it.
  const response = (socket as Socket & { _httpMessage?: { headersSent: boolean } })._httpMessage;
  if (socket.writable && !response?.headersSent) {
    const body = statusBody('json', status, message);
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
    socket.write(body);
  }
  socket.destroy(err);
}
