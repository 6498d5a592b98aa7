import type { OtlpSinkConfig } from '../config/types.js';
import type { Category, PointBatch } from '../datakit/point.js';
import { encodeRequestProtobuf } from '../otlp/encode-protobuf.js';
import { otlpProtoTypes } from '../otlp/proto.js';
import { endpointBase, HttpEndpoint, requestBody, type PostResponse } from './http-post.js';
import { QueuedSink } from './queue.js';
import type { Sink, SinkContext, SinkLogger } from './sink.js';
import type { Envelope, Transport } from './transport.js';

/**
 * The `otlp` target: re-exports each received request as OTLP/HTTP protobuf to `<url>/v1/<signal>` (another gateway,
 * an OpenTelemetry Collector…). What goes out is the request as it came in (`PointBatch.source`), not the points: the
 * DataKit-side processing (trace filters, sampling, customer tags, the point checker) shapes the points only, so this
 * sink forwards the unfiltered request. A batch is one request (the pipeline makes one batch per request, and a
 * signal maps to one category), so each request is forwarded once.
 */

/** Clients bound the responses they read (otlp-http-receiver.md §1.4: 4 MiB recommended). */
const MAX_RESPONSE_BYTES = 4 << 20;

/** The rest of a refusal's explanation is noise in a log line. */
const STATUS_MESSAGE_LOG_CHARS = 1024;

/** §1.7: only these are retried; every other 4xx/5xx means the data will never be accepted. */
const RETRYABLE_STATUS: ReadonlySet<number> = new Set([429, 502, 503, 504]);

const PROTOBUF = 'application/x-protobuf';

type ResponseTypeName = 'ExportTraceServiceResponse' | 'ExportMetricsServiceResponse' | 'ExportLogsServiceResponse';

/** Per route: the response message and its partial-success count field (§1.6). */
const RESPONSE_OF: Readonly<Record<string, { type: ResponseTypeName; rejected: string }>> = {
  '/v1/traces': { type: 'ExportTraceServiceResponse', rejected: 'rejectedSpans' },
  '/v1/metrics': { type: 'ExportMetricsServiceResponse', rejected: 'rejectedDataPoints' },
  '/v1/logs': { type: 'ExportLogsServiceResponse', rejected: 'rejectedLogRecords' },
};

export class OtlpTransport implements Transport {
  readonly name: string;
  readonly categories: ReadonlySet<Category>;
  /** Routes go after the URL's path, as with OTEL_EXPORTER_OTLP_ENDPOINT. */
  private readonly endpoint: HttpEndpoint;

  constructor(
    private readonly config: OtlpSinkConfig,
    userAgent: string,
    private readonly logger: SinkLogger,
  ) {
    const url = new URL(config.url);
    // Never the query or user info in logs: either may hold a credential.
    this.name = `otlp:${endpointBase(url)}`;
    this.categories = new Set(config.categories);
    // Config headers are often credentials: the endpoint keeps them out of envelopes, hence out of the spool.
    this.endpoint = new HttpEndpoint(this.name, url, { 'User-Agent': userAgent, ...config.headers }, config.delivery.timeoutMs);
  }

  /** One request per batch: the pipeline makes one batch per received request. */
  encode(batch: PointBatch): Envelope[] {
    const source = batch.source;
    if (source === undefined) return [];
    // Protobuf goes out byte for byte. JSON is re-encoded (the issue asks for OTLP/HTTP protobuf) from the model the
    // receiver decoded, so the ids are the ones the input read, under its strict_datakit setting (Q1).
    const raw =
      source.encoding === 'protobuf'
        ? source.body
        : // `data` is the request `signal` names (the pipeline sets both from the same request).
          encodeRequestProtobuf(source.signal, source.data);
    const headers: Record<string, string> = { 'Content-Type': PROTOBUF };
    const body = requestBody(raw, this.config.gzip, headers);
    // `items` counts the points the request became: the unit of queue_max_points, the same for every network sink.
    return [{ category: batch.category, items: batch.points.length, route: `/v1/${source.signal}`, headers, body }];
  }

  async send(envelope: Envelope, signal: AbortSignal): Promise<void> {
    const res = await this.endpoint.post(envelope.route, envelope.headers, envelope.body, signal, MAX_RESPONSE_BYTES);
    if (res.status >= 200 && res.status < 300) {
      this.reportPartialSuccess(envelope.route, res);
      return;
    }
    throw this.endpoint.refusal(envelope.route, res, RETRYABLE_STATUS.has(res.status), statusMessage(res));
  }

  /** §1.6: a 200 may carry rejected items and a message; they are not retried, only reported. */
  private reportPartialSuccess(route: string, res: PostResponse): void {
    if (res.truncated || res.body.length === 0) return;
    const { type, rejected } = RESPONSE_OF[route];
    let partial: Record<string, unknown> | undefined;
    try {
      partial = decodeResponse(res, type).partialSuccess as Record<string, unknown> | undefined;
    } catch {
      this.logger.warn(`${this.name}${route}: the success response is not a readable ${type}`);
      return;
    }
    if (partial === undefined || partial === null) return;
    const count = String(partial[rejected] ?? '0');
    const text = typeof partial.errorMessage === 'string' ? partial.errorMessage : '';
    if (count === '0' && text === '') return;
    this.logger.warn(`${this.name}${route}: partial success: ${count} rejected${text ? `: ${text}` : ''}`);
  }

  async close(): Promise<void> {
    this.endpoint.close();
  }
}

const isJson = (contentType: string | undefined): boolean => contentType !== undefined && /^\s*application\/json\b/i.test(contentType);

/** A response body as the `type` message, read as JSON when its Content-Type says so, else protobuf; throws if unreadable. */
function decodeResponse({ headers, body }: PostResponse, type: ResponseTypeName | 'Status'): Record<string, unknown> {
  if (isJson(headers['content-type'])) return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  const pb = otlpProtoTypes()[type];
  return pb.toObject(pb.decode(body), { longs: String });
}

/** §1.7: an error body is a google.rpc.Status in the request's encoding (protobuf) or JSON; its `message` explains. */
function statusMessage(res: PostResponse): string | undefined {
  const { body, truncated } = res;
  if (truncated) return `(response body over ${MAX_RESPONSE_BYTES} bytes)`;
  if (body.length === 0) return undefined;
  let message: unknown;
  try {
    message = decodeResponse(res, 'Status').message;
  } catch {
    // Not a Status (a proxy's HTML page, plain text): the start of the body is the best explanation there is.
  }
  return (typeof message === 'string' ? message : body.toString('utf8')).slice(0, STATUS_MESSAGE_LOG_CHARS);
}

/** `target = "otlp"`: the transport above behind the shared bounded queue, retries and optional spool. */
export function createOtlpSink(config: OtlpSinkConfig, ctx: SinkContext): Sink {
  return new QueuedSink(new OtlpTransport(config, ctx.userAgent, ctx.logger), config.delivery, ctx);
}
