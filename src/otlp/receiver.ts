import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessControlConfig, GatewayConfig, OtelInputConfig } from '../config/types.js';
import { AdmissionControl, admissionLimitsOf, type AdmissionWatcher } from './admission.js';
import { TokenAuth } from './auth.js';
import { CorsPolicy } from './cors.js';
import { decodeRequest, type JsonDecodeOptions } from './decode.js';
import { readBody } from './body-reader.js';
import { RefusalLog } from './refusal-log.js';
import { DecodeError } from './decode-error.js';
import { ACCEPTED_CODINGS, contentCodingOf, dataKitContentCodingOf, decompress, type ContentCoding } from './decompress.js';
import { HttpError, RetryableError, retryAfterHeader } from './http-errors.js';
import {
  compileExpectedHeaders,
  dataKitEncodingOfRequest,
  encodingOf,
  isDataKitExactContentType,
  MEDIA_TYPE,
  SUPPORTED_MEDIA_TYPES,
  type Encoding,
  type ExpectedHeader,
} from './media-type.js';
import { countItems, type LogsRequest, type MetricsRequest, type Signal, type TracesRequest } from './model.js';
import type { Outcome, ReceiverObserver, RefusalReason } from './observer.js';
import { registerPing } from './ping.js';
import { RateLimiter, rateLimitRefusal } from './rate-limit.js';
import { peerHost, remoteIpOf } from './remote-ip.js';
import { sessionOf } from './session.js';
import { exportResponseBody, statusBody, type ExportResult } from './responses.js';

/**
 * The OTLP/HTTP receiver as a Fastify plugin: DataKit's routes, content negotiation, bounded decompression, decoding
 * and spec-shaped answers (otlp-http-receiver.md checklist 1–34; datakit-opentelemetry.md §2, §3). Per input,
 * `strict_datakit = true` answers exactly as DataKit 1.84 does instead (Q3–Q9, Q48), except that limits and bad
 * gzip stay safe (Q8, Q10 never).
 *
 * Order of a request: CORS headers (and the answer to a preflight) → route (404/405, before any body is read) →
 * rate limit (429) → auth (401) → `admit` (load shedding, before the body) →
 * Content-Type / Content-Encoding (415 / strict 400, before the body) → a concurrency slot (admission.ts: wait in the
 * queue, or 503 + Retry-After, before the body) → body with `maxRequestBytes` (413) →
 * decompression with `maxDecompressedBytes` (413) → decode (400) → `handle` (503 on RetryableError, 500 otherwise)
 * → 200 `Export*ServiceResponse`. Every refusal is thrown and answered by the one error handler below.
 */

export { RetryableError } from './http-errors.js';
export type { ExportResult } from './responses.js';

export interface ReceivedRequest {
  signal: Signal;
  encoding: Encoding;
  input: OtelInputConfig;
  /** Position of `input` in `ReceiverOptions.inputs`. */
  inputIndex: number;
  data: TracesRequest | MetricsRequest | LogsRequest;
  remoteIp: string;
  /** Spans, data points or log records; always ≥ 1 (empty requests never reach the handler). */
  items: number;
  /** Body size as received, before decompression. */
  bytes: number;
  /** The decompressed body (protobuf or JSON per `encoding`): lets a sink forward the request as it came. */
  body: Uint8Array;
  /** The client's session label (session.ts), for the fixture's per-test scoping. */
  session?: string;
}

export interface ReceiverOptions {
  inputs: OtelInputConfig[];
  limits: GatewayConfig['limits'];
  /** For `GET /v1/ping`. */
  datakitVersion: string;
  hostname: string;
  /** Called only for requests with ≥ 1 item (checklist 9). Throw `RetryableError` for 503 + Retry-After. */
  handle(req: ReceivedRequest): Promise<ExportResult>;
  /** Load shedding before the body is read (checklist 18): non-null → 503 + Retry-After, body never read. */
  admit?(signal: Signal): { retryAfterSeconds: number } | null;
  /** `[gateway]` auth token, CORS and rate limit (checklist 35, 36), for every input; absent = all off. */
  access?: AccessControlConfig;
  /** Told about every answered request (self-metrics, checklist 42); shown the admission queue if it watches it. */
  observer?: ReceiverObserver & Partial<AdmissionWatcher>;
}

const SIGNALS: readonly Signal[] = ['traces', 'metrics', 'logs'];
const API_KEY = { traces: 'traceApi', metrics: 'metricApi', logs: 'logsApi' } as const;
const STRICT_HINT = '(set strict_datakit = true to reproduce)';
/** Warnings can quote client input (a Content-Type value): stop remembering new ones past this many. */
const MAX_DISTINCT_WARNINGS = 100;

/** One signal route of one input, compiled at startup. */
interface SignalRoute {
  readonly signal: Signal;
  readonly input: OtelInputConfig;
  readonly inputIndex: number;
  /** Leading `/`, no trailing `/`. */
  readonly path: string;
  readonly strict: boolean;
  readonly expectedHeaders: readonly ExpectedHeader[];
  readonly decodeOptions: JsonDecodeOptions;
  /** Per client IP on this route (datakit §2), or null when `rate_limit_rps` is 0. */
  readonly rateLimiter: RateLimiter | null;
}

interface Negotiated {
  readonly encoding: Encoding;
  readonly coding: ContentCoding;
}

/** Every (encoding, coding) pair once, so negotiation allocates nothing per request. */
const NEGOTIATED: Readonly<Record<Encoding, Readonly<Record<ContentCoding, Negotiated>>>> = {
  protobuf: { identity: { encoding: 'protobuf', coding: 'identity' }, gzip: { encoding: 'protobuf', coding: 'gzip' }, deflate: { encoding: 'protobuf', coding: 'deflate' } },
  json: { identity: { encoding: 'json', coding: 'identity' }, gzip: { encoding: 'json', coding: 'gzip' }, deflate: { encoding: 'json', coding: 'deflate' } },
};

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by the receiver plugin: swaps in new options while it serves (hot reload). */
    otlpReceiver: ReceiverControl;
  }
  interface FastifyRequest {
    /** The OTLP route a request is for (also set for a wrong method on it), else null. */
    otlpRoute: SignalRoute | null;
    /** The options an OTLP request was routed with; it keeps them to its answer, whatever update() does meanwhile. */
    otlpState: ReceiverState | null;
    /** Set once Content-Type and Content-Encoding are accepted. */
    otlpNegotiated: Negotiated | null;
    /** Size of the decompressed body, once known (for the observer). */
    otlpDecompressedBytes: number | null;
    /** Items in the decoded body, once known (for the observer). */
    otlpItems: number | null;
  }
  interface FastifyContextConfig {
    /**
     * Set on a route that answers requests arriving while the gateway closes itself (health and readiness probes);
     * the receiver answers 503 to every other request then (checklist 41).
     */
    answersWhileClosing?: boolean;
  }
}

/** A refusal whose reason its status does not tell apart (415 and strict 400, checklist 42). */
class NegotiationError extends HttpError {
  constructor(
    readonly reason: 'content_type' | 'encoding',
    statusCode: number,
    message: string,
    headers?: Readonly<Record<string, string>>,
  ) {
    super(statusCode, message, headers);
  }
}

/** Seconds a client refused by admission control is told to wait: a slot frees within milliseconds. */
const BUSY_RETRY_AFTER_SECONDS = 1;

/**
 * Admission control (admission.ts), once the request is known to be acceptable but before its body is read: a slot
 * now (`done()`), later (`done()` from the queue), or 503 + Retry-After when the queue is full or the wait expires.
 * The slot (or queue place) is given back when the response is closed: answered, failed or the client gone.
 */
function takeSlot(admission: AdmissionControl, signal: Signal, reply: FastifyReply, done: (err?: Error) => void): void {
  const ticket = admission.enter((admitted) =>
    done(admitted ? undefined : new RetryableError(`the gateway is busy: no ${signal} request slot freed up in time; retry the export later`, BUSY_RETRY_AFTER_SECONDS)),
  );
  if (ticket.state === 'refused') {
    done(new RetryableError(`the gateway is busy: too many ${signal} requests waiting; retry the export later`, BUSY_RETRY_AFTER_SECONDS));
    return;
  }
  reply.raw.once('close', () => admission.leave(ticket));
  if (ticket.state === 'active') done();
}

/** The 503 for requests arriving while closing: counted apart from overload. */
class ClosingError extends RetryableError {}

/**
 * One pino warning per distinct way a request was accepted (or answered) differently from DataKit 1.84, for the
 * lifetime of the receiver (= the process, in the gateway).
 */
class DataKitDifferenceWarnings {
  private readonly seen = new Set<string>();

  constructor(private readonly log: FastifyBaseLogger) {}

  warn(message: string): void {
    if (this.seen.has(message) || this.seen.size >= MAX_DISTINCT_WARNINGS) return;
    this.seen.add(message);
    this.log.warn(message);
  }
}

/** Hot reload: what `app.otlpReceiver` offers. */
export interface ReceiverControl {
  /**
   * Serves new requests with `opts` from now on (throws, changing nothing, when they do not compile). Requests
   * already routed keep the options they started with; the promise resolves once none of them is left, i.e. once
   * the previous `handle` and `admit` will not be called again. `maxRequestBytes` stays the one registered (the
   * route's body limit is fixed at registration).
   */
  update(opts: ReceiverOptions): Promise<void>;
}

/** The 503 for a request whose options were retired before its handler ran (its client had gone already). */
const RETIRED_MESSAGE = 'the gateway configuration was reloaded: retry the export';

/**
 * One compiled version of the options, and how many requests use it: counted from routing until the response is
 * closed, and again around `handle` (a client that hangs up does not end a handler that is running).
 */
class ReceiverState {
  private users = 0;
  /** Set by retire(): resolves its promise once `users` is 0. */
  private whenUnused: (() => void) | null = null;
  private retired = false;

  constructor(
    readonly opts: ReceiverOptions,
    readonly routes: ReadonlyMap<string, SignalRoute>,
    readonly cors: CorsPolicy | null,
    readonly auth: TokenAuth | null,
  ) {}

  static compile(opts: ReceiverOptions, warnings: DataKitDifferenceWarnings): ReceiverState {
    return new ReceiverState(
      opts,
      compileRoutes(opts.inputs, opts.limits, opts.access?.rateLimit, warnings),
      opts.access ? CorsPolicy.compile(opts.access.cors) : null,
      opts.access?.authToken ? new TokenAuth(opts.access.authToken) : null,
    );
  }

  /** A request routed with this state; `release` once its response is closed. */
  hold(): void {
    this.users++;
  }

  readonly release = (): void => {
    this.users--;
    this.finishRetiring();
  };

  /** Not async, so that nothing waiting here keeps `req` (the decoded request) alive: see `handOver`. */
  handle(req: ReceivedRequest): Promise<ExportResult> {
    if (this.retired) return Promise.reject(new RetryableError(RETIRED_MESSAGE, 1));
    this.users++;
    let handled: Promise<ExportResult>;
    try {
      handled = this.opts.handle(req);
    } catch (err) {
      this.release();
      return Promise.reject(err as Error);
    }
    return handled.finally(this.release);
  }

  /** Resolves once no request uses this state; from then on its `handle` is never called. */
  retire(): Promise<void> {
    return new Promise((resolve) => {
      this.whenUnused = resolve;
      this.finishRetiring();
    });
  }

  private finishRetiring(): void {
    if (this.users !== 0 || !this.whenUnused) return;
    this.retired = true;
    this.whenUnused();
    this.whenUnused = null;
  }
}

/** The path part of a request URL without one trailing slash (checklist 2: `/otel/v1/traces/` is the same route). */
function routePathOf(url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function compileRoutes(
  inputs: readonly OtelInputConfig[],
  limits: GatewayConfig['limits'],
  rateLimit: AccessControlConfig['rateLimit'] | undefined,
  warnings: DataKitDifferenceWarnings,
): Map<string, SignalRoute> {
  const routes = new Map<string, SignalRoute>();
  const onDataKitDifference = (reason: string) => warnings.warn(`accepted a JSON body: ${reason} ${STRICT_HINT}`);
  inputs.forEach((input, inputIndex) => {
    if (!input.http) return;
    for (const signal of SIGNALS) {
      const configured = input.http[API_KEY[signal]];
      // A missing leading `/` is added, as the Collector does.
      const path = routePathOf(configured.startsWith('/') ? configured : `/${configured}`);
      const taken = routes.get(path);
      if (taken) throw new Error(`OTLP/HTTP route ${path} is configured twice ([[inputs.opentelemetry]] #${taken.inputIndex + 1} and #${inputIndex + 1})`);
      const strict = input.strictDatakit;
      routes.set(path, {
        signal,
        input,
        inputIndex,
        path,
        strict,
        expectedHeaders: compileExpectedHeaders(input.expectedHeaders),
        decodeOptions: { strictDatakit: strict, maxDepth: limits.maxJsonDepth, onDataKitDifference: strict ? undefined : onDataKitDifference },
        rateLimiter: rateLimit && rateLimit.rps > 0 ? new RateLimiter(rateLimit) : null,
      });
    }
  });
  return routes;
}

/** 404 with a hint for the usual base-URL mistake (pitfall 2), or 405 + `Allow: POST` for a wrong method (Q48). */
function notFoundError(request: FastifyRequest, routes: ReadonlyMap<string, SignalRoute>, warnings: DataKitDifferenceWarnings): HttpError {
  const path = routePathOf(request.url);
  const route = routes.get(path);
  if (route) {
    request.otlpRoute = route;
    if (route.strict) return new HttpError(404, `${request.method} ${route.path}: not found`);
    warnings.warn(`answered 405 to a ${request.method} on ${route.path}: DataKit 1.84 answers 404 ${STRICT_HINT}`);
    return new HttpError(405, `method ${request.method} is not allowed on ${route.path}: OTLP/HTTP requests are POST`, { allow: 'POST' });
  }
  const paths = [...routes.keys()];
  const served = paths.length > 0 ? `OTLP/HTTP is served on POST ${paths.join(', ')}` : 'no OTLP/HTTP routes are configured (add [inputs.opentelemetry.http])';
  const base = `http://${request.headers.host ?? 'host:9529'}/otel`;
  return new HttpError(
    404,
    `no route for ${request.method} ${path}. ${served}. An OpenTelemetry SDK's base endpoint for DataKit is ${base} ` +
      '(the SDK appends /v1/traces, /v1/metrics, /v1/logs); a per-signal endpoint must be the full path.',
  );
}

/**
 * Content-Type and Content-Encoding, before the body is read. Spec mode: 415 for anything else (checklist 6, 23).
 * Strict: DataKit's exact header check (Q3–Q5) → 400, and only `gzip` is decompressed (Q9).
 */
function negotiate(route: SignalRoute, request: FastifyRequest, warnings: DataKitDifferenceWarnings): Negotiated {
  const contentEncoding = request.headers['content-encoding'];
  if (route.strict) {
    const encoding = dataKitEncodingOfRequest(request.raw, route.expectedHeaders);
    if (encoding === undefined) throw new NegotiationError('content_type', 400, `Content-Type must be exactly ${MEDIA_TYPE.protobuf} or ${MEDIA_TYPE.json}`);
    return NEGOTIATED[encoding][dataKitContentCodingOf(contentEncoding)];
  }
  const contentType = request.headers['content-type'];
  const encoding = encodingOf(contentType);
  if (encoding === undefined) {
    const sent = contentType === undefined ? 'no Content-Type' : `unsupported Content-Type '${contentType}'`;
    throw new NegotiationError('content_type', 415, `${sent}: OTLP/HTTP bodies are ${SUPPORTED_MEDIA_TYPES}`);
  }
  const coding = contentCodingOf(contentEncoding);
  if (coding === undefined) {
    throw new NegotiationError('encoding', 415, `unsupported Content-Encoding '${contentEncoding}': use gzip, deflate or none`, {
      'accept-encoding': ACCEPTED_CODINGS,
    });
  }
  if (!isDataKitExactContentType(contentType!)) {
    warnings.warn(`accepted Content-Type '${contentType}': DataKit 1.84 answers 400 to it ${STRICT_HINT}`);
  }
  if (coding !== dataKitContentCodingOf(contentEncoding)) {
    warnings.warn(`accepted Content-Encoding '${contentEncoding}': DataKit 1.84 decompresses only gzip and decodes this body as it is ${STRICT_HINT}`);
  }
  return NEGOTIATED[encoding][coding];
}

interface ErrorAnswer {
  status: number;
  message: string;
  headers?: Readonly<Record<string, string>>;
  reason: RefusalReason;
}

/** The reason an HttpError's status stands for; NegotiationError tells the ambiguous ones apart. */
const REASON_OF_STATUS: Readonly<Record<number, RefusalReason>> = {
  400: 'decode', // bad compressed stream (decompress.ts); undecodable bodies are DecodeErrors
  401: 'auth',
  403: 'cors',
  404: 'not_found',
  405: 'method',
  413: 'size',
  429: 'throttled',
};

function answerFor(err: unknown): ErrorAnswer {
  if (err instanceof HttpError) {
    const reason = err instanceof NegotiationError ? err.reason : (REASON_OF_STATUS[err.statusCode] ?? 'client');
    return { status: err.statusCode, message: err.message, headers: err.headers, reason };
  }
  if (err instanceof DecodeError) return { status: 400, message: err.message, reason: 'decode' };
  if (err instanceof RetryableError) {
    const headers = { 'retry-after': retryAfterHeader(err.retryAfterSeconds) };
    return { status: 503, message: err.message, headers, reason: err instanceof ClosingError ? 'closing' : 'overloaded' };
  }
  const { statusCode, message } = err as Partial<FastifyError>;
  // Other client-side failures Fastify reports (Content-Length mismatch, aborted body, bad URL).
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) return { status: statusCode, message: message ?? '', reason: 'client' };
  return { status: 500, message: `internal error: ${message ?? String(err)}`, reason: 'internal' };
}

/** Tells the observer (if any) about an answer, with what is known of the request so far. */
function observe(
  observer: ReceiverObserver | undefined,
  request: FastifyRequest,
  reply: FastifyReply,
  encoding: Encoding | undefined,
  outcome: Outcome,
  reason: RefusalReason | undefined,
): void {
  if (!observer) return;
  // The '*' parser yields a Buffer once the body was read; before that it is undefined.
  const body = request.body;
  observer.answered({
    signal: request.otlpRoute?.signal,
    encoding,
    outcome,
    reason,
    items: request.otlpItems ?? undefined,
    bytes: Buffer.isBuffer(body) ? body.length : undefined,
    decompressedBytes: request.otlpDecompressedBytes ?? undefined,
    seconds: reply.elapsedTime / 1000,
  });
}

/** Errors answered with a Status in the request's encoding (checklist 14); strict: empty bodies (Q7). */
function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply, opts: ReceiverOptions, refusals: RefusalLog): void {
  const answer = answerFor(err);
  const knownEncoding = request.otlpNegotiated?.encoding ?? encodingOf(request.headers['content-type']);
  observe(opts.observer, request, reply, knownEncoding, answer.status === 500 ? 'failed' : 'refused', answer.reason);
  if (answer.status === 500) request.log.error({ err }, 'OTLP request failed');
  else if (answer.status >= 500) {
    const line = refusals.line(`${answer.status} ${answer.reason}`, `OTLP request refused with ${answer.status}: ${answer.message}`);
    if (line !== null) request.log.warn(line);
  } else request.log.debug(`OTLP request refused with ${answer.status}: ${answer.message}`);

  reply.code(answer.status);
  if (answer.headers) reply.headers(answer.headers);
  if (request.otlpRoute?.strict) {
    reply.send();
    return;
  }
  // JSON when the request's encoding is unknown (checklist 14).
  const encoding = knownEncoding ?? 'json';
  reply.header('content-type', MEDIA_TYPE[encoding]).send(statusBody(encoding, answer.status, answer.message));
}

/** 200: the signal's `Export*ServiceResponse` with the request's media type (checklist 7, 8); strict: empty (Q6). */
function sendSuccess(reply: FastifyReply, route: SignalRoute, encoding: Encoding, result: ExportResult): void {
  if (route.strict) {
    reply.code(200).send();
    return;
  }
  reply.code(200).header('content-type', MEDIA_TYPE[encoding]).send(exportResponseBody(route.signal, encoding, result));
}

const NOTHING_REJECTED: ExportResult = {};

/**
 * A CORS preflight for an OTLP route (checklist 35): answered 204 with the allow headers (→ 'answered'), or a 403
 * for an origin that is not allowed. Undefined when `request` is not one: it is routed as usual (405 / strict 404).
 */
function answerPreflight(
  cors: CorsPolicy,
  origin: string,
  request: FastifyRequest,
  reply: FastifyReply,
  routes: ReadonlyMap<string, SignalRoute>,
): 'answered' | HttpError | undefined {
  if (request.method !== 'OPTIONS' || request.headers['access-control-request-method'] === undefined) return undefined;
  const route = routes.get(routePathOf(request.url));
  if (!route) return undefined;
  request.otlpRoute = route;
  const headers = cors.preflightHeaders(origin);
  if (headers === null) return new HttpError(403, `origin ${origin} is not allowed ([gateway] cors_allowed_origins)`);
  reply.code(204).headers(headers).send();
  return 'answered';
}

/** The rate limit (per socket peer: forwarded headers are the client's to choose), then the token. */
function accessRefusal(route: SignalRoute, request: FastifyRequest, auth: TokenAuth | null): HttpError | undefined {
  const limited = route.rateLimiter && rateLimitRefusal(route.rateLimiter, peerHost(request.raw.socket.remoteAddress), route.path);
  return limited || auth?.refusal(request.headers.authorization, request.query);
}

/**
 * Decodes the body and hands it to `handle`. A plain function rather than part of `receive`: a suspended async frame
 * keeps every local alive (V8), so the decoded request would live until the sinks are done, and with many requests in
 * flight every scavenge copied and promoted it (issue 8).
 */
function handOver(route: SignalRoute, request: FastifyRequest, state: ReceiverState, encoding: Encoding, body: Buffer): Promise<ExportResult> {
  const data = decodeRequest(route.signal, encoding, body, route.decodeOptions);
  const items = countItems(route.signal, data);
  request.otlpItems = items;
  if (items === 0) return Promise.resolve(NOTHING_REJECTED); // checklist 9: success at once, the handler is not called
  return state.handle({
    signal: route.signal,
    encoding,
    input: route.input,
    inputIndex: route.inputIndex,
    data,
    remoteIp: remoteIpOf(request.raw),
    items,
    // The '*' parser below always yields the body as a Buffer (empty for a 0-byte body).
    bytes: (request.body as Buffer).length,
    body,
    session: sessionOf(request),
  });
}

async function receive(route: SignalRoute, request: FastifyRequest, reply: FastifyReply, state: ReceiverState): Promise<void> {
  const { encoding, coding } = request.otlpNegotiated!;
  const body = await decompress(request.body as Buffer, coding, state.opts.limits.maxDecompressedBytes);
  request.otlpDecompressedBytes = body.length;
  const result = await handOver(route, request, state, encoding, body);
  observe(state.opts.observer, request, reply, encoding, 'accepted', undefined);
  sendSuccess(reply, route, encoding, result);
}

/**
 * The plugin. It configures the instance it is given (body parsers, not-found and error handlers, global onRequest
 * and preClose hooks), so it is marked like `fastify-plugin` does: `app.register(otlpReceiver, opts)` does not
 * encapsulate it, and calling `await otlpReceiver(app, opts)` directly works the same. Register it once per Fastify
 * instance, created with `return503OnClosing: false` so that answers while closing come from here.
 */
export const otlpReceiver: FastifyPluginAsync<ReceiverOptions> = async (app: FastifyInstance, opts: ReceiverOptions) => {
  const warnings = new DataKitDifferenceWarnings(app.log);
  // Read per request, never captured at registration: update() swaps it (hot reload).
  let current = ReceiverState.compile(opts, warnings);
  // One queue per process, whatever the configuration: it shares out this event loop.
  const admission = new AdmissionControl(admissionLimitsOf(opts.limits));
  opts.observer?.watchAdmission?.(admission);
  app.decorate('otlpReceiver', {
    update(next: ReceiverOptions): Promise<void> {
      const previous = current;
      current = ReceiverState.compile(next, warnings);
      admission.setLimits(admissionLimitsOf(next.limits));
      return previous.retire();
    },
  } satisfies ReceiverControl);

  // Receiver §4.1: no JSON.parse by Fastify and no FST_ERR_CTP_* bodies. Negotiation happened in onRequest, so one
  // catch-all parser hands every body over as bytes, bounded by max_request_bytes as registered (body-reader.ts).
  const maxRequestBytes = opts.limits.maxRequestBytes;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (request, payload, done) => readBody(payload, request.headers['content-length'], maxRequestBytes, done));

  app.decorateRequest('otlpRoute', null);
  app.decorateRequest('otlpState', null);
  app.decorateRequest('otlpNegotiated', null);
  app.decorateRequest('otlpDecompressedBytes', null);
  app.decorateRequest('otlpItems', null);

  // Checklist 41: once close() has begun, requests that still arrive on open connections (keep-alive, pipelined)
  // get 503 + Retry-After and a Status body, so the exporter retries them elsewhere or later instead of dropping them.
  // (Requests already past this hook finish normally: the server waits for them before it closes.)
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // Unknown paths and wrong methods are answered here, before Fastify would read (and size-check) a body.
  // CORS headers are set first, so that every answer carries them, errors included (checklist 35).
  app.addHook('onRequest', (request, reply, done) => {
    const { cors, routes } = current;
    const origin = request.headers.origin;
    if (cors && origin !== undefined) {
      reply.headers(cors.answerHeaders(origin));
      const preflight = request.is404 ? answerPreflight(cors, origin, request, reply, routes) : undefined;
      if (preflight === 'answered') return; // replied: not calling done() stops the request here
      if (preflight) {
        done(preflight);
        return;
      }
    }
    if (closing && !request.routeOptions.config.answersWhileClosing) done(new ClosingError('the gateway is shutting down: retry the export later', 1));
    else done(request.is404 ? notFoundError(request, routes, warnings) : undefined);
  });
  // Reached only through reply.callNotFound(); the hook above answers everything else.
  app.setNotFoundHandler((request) => {
    throw notFoundError(request, current.routes, warnings);
  });
  const refusals = new RefusalLog();
  app.setErrorHandler((err, request, reply) => sendError(err, request, reply, (request.otlpState ?? current).opts, refusals));

  registerPing(app, { datakitVersion: opts.datakitVersion, hostname: opts.hostname });

  // One catch-all POST route, matched against the current route table per request, so that routes can change
  // while listening (Fastify cannot add routes then). Both spellings match (checklist 2); other paths get the 404.
  app.route({
    method: 'POST',
    url: '*',
    onRequest: (request, reply, done) => {
      const state = current;
      const route = state.routes.get(routePathOf(request.url));
      if (!route) {
        done(notFoundError(request, state.routes, warnings));
        return;
      }
      request.otlpRoute = route;
      request.otlpState = state;
      state.hold();
      reply.raw.once('close', state.release);
      const denied = accessRefusal(route, request, state.auth);
      if (denied) {
        done(denied);
        return;
      }
      const refusal = state.opts.admit?.(route.signal);
      if (refusal) {
        done(new RetryableError(`the gateway is overloaded: retry the ${route.signal} export later`, refusal.retryAfterSeconds));
        return;
      }
      try {
        request.otlpNegotiated = negotiate(route, request, warnings);
      } catch (err) {
        done(err as Error);
        return;
      }
      takeSlot(admission, route.signal, reply, done);
    },
    handler: (request, reply) => receive(request.otlpRoute!, request, reply, request.otlpState!),
  });
};

// What fastify-plugin sets: the plugin shares the caller's context instead of getting an encapsulated child.
Object.assign(otlpReceiver, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: 'otlp-receiver' });
