/**
 * Real OTLP requests: telemetry recorded with the OpenTelemetry JS SDKs, serialized by `@opentelemetry/otlp-transformer`
 * (the code the OTLP exporters use) as protobuf and as JSON. Deterministic: fixed resource, counting ids, fixed times.
 */
import { context, SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { AggregationType, MeterProvider } from '@opentelemetry/sdk-metrics';
import { OnDemandMetricReader, tracerSetup } from './otel-sdk.js';

export interface EncodedRequest {
  protobuf: Uint8Array;
  json: Uint8Array;
}

const RESOURCE: Attributes = { 'service.name': 'checkout', 'host.name': 'web-1', 'process.pid': 4242 };
/** 2023-11-14T22:13:20Z as an HrTime: [seconds, nanoseconds]. */
const T0: [number, number] = [1_700_000_000, 123_456_789];
const at = (ms: number): [number, number] => [T0[0] + Math.floor(ms / 1000), T0[1] + (ms % 1000) * 1_000_000];

function encoded(protobuf: Uint8Array | undefined, json: Uint8Array | undefined): EncodedRequest {
  if (!protobuf || !json) throw new Error('the otlp-transformer serializer returned nothing');
  return { protobuf, json };
}

/**
 * Three spans in one trace: a server span (every attribute type, an event, error status), a client child with a
 * link and OK status, and an internal span whose status stays unset.
 */
export async function tracesRequest(): Promise<EncodedRequest> {
  const sdk = tracerSetup(RESOURCE);
  const server = sdk.tracer.startSpan('GET /cart', {
    kind: SpanKind.SERVER,
    startTime: at(0),
    attributes: {
      'http.method': 'GET',
      'http.status_code': 500,
      'sampling.ratio': 0.25,
      'cache.hit': false,
      'user.roles': ['admin', 'ops'],
      'retry.delays': [1.5, 2.5],
    },
  });
  server.addEvent('exception', { 'exception.type': 'Error', 'exception.message': 'boom' }, at(5));
  server.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  const serverContext = server.spanContext();
  const parent = { ...serverContext, isRemote: false };
  const child = sdk.tracer.startSpan(
    'SELECT cart',
    { kind: SpanKind.CLIENT, startTime: at(1), links: [{ context: serverContext, attributes: { 'link.kind': 'follows' } }] },
    trace.setSpanContext(context.active(), parent),
  );
  child.setStatus({ code: SpanStatusCode.OK });
  child.end(at(3));
  const internal = sdk.tracer.startSpan('render', { startTime: at(4) }, trace.setSpanContext(context.active(), parent));
  internal.end(at(6));
  server.end(at(10));
  const spans = sdk.spans();
  await sdk.shutdown();
  return encoded(ProtobufTraceSerializer.serializeRequest(spans), JsonTraceSerializer.serializeRequest(spans));
}

/** A counter (sum), an up-down counter, a gauge, an explicit-bucket histogram and an exponential histogram. */
export async function metricsRequest(): Promise<EncodedRequest> {
  const reader = new OnDemandMetricReader();
  const provider = new MeterProvider({
    resource: resourceFromAttributes(RESOURCE),
    readers: [reader],
    views: [{ instrumentName: 'payload.size', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter('test-meter', '0.1.0');
  meter.createCounter('requests', { unit: '1', description: 'requests served' }).add(3, { route: '/cart' });
  meter.createUpDownCounter('queue.depth').add(-2, { queue: 'q1' });
  meter.createGauge('temperature', { unit: 'Cel' }).record(21.5, { room: 'lab' });
  const latency = meter.createHistogram('latency', { unit: 'ms', advice: { explicitBucketBoundaries: [10, 100] } });
  for (const v of [5, 50, 500]) latency.record(v, { route: '/cart' });
  const size = meter.createHistogram('payload.size', { unit: 'By' });
  for (const v of [0, 3, 1024]) size.record(v);
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length > 0) throw errors[0];
  await provider.shutdown();
  return encoded(ProtobufMetricsSerializer.serializeRequest(resourceMetrics), JsonMetricsSerializer.serializeRequest(resourceMetrics));
}

/** Three records: a string body with trace context, a map body (an event), and one with no body at all. */
export async function logsRequest(): Promise<EncodedRequest> {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: resourceFromAttributes(RESOURCE), processors: [new SimpleLogRecordProcessor(memory)] });
  const logger = provider.getLogger('test-logger', '2.0.0');
  const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, isRemote: false };
  logger.emit({
    body: 'payment failed',
    severityNumber: SeverityNumber.ERROR,
    severityText: 'ERROR',
    timestamp: at(0),
    observedTimestamp: at(1),
    attributes: { 'order.id': 9001, 'order.total': 12.5, retry: true },
    context: trace.setSpanContext(context.active(), spanContext),
  });
  logger.emit({
    eventName: 'browser.page_view',
    body: { url: 'https://shop.example/cart', visits: 3, tags: ['a', 'b'] },
    severityNumber: SeverityNumber.INFO,
    timestamp: at(2),
  });
  logger.emit({ severityText: 'debug', timestamp: at(3), attributes: { empty: '' } });
  const records = memory.getFinishedLogRecords();
  await provider.shutdown();
  return encoded(ProtobufLogsSerializer.serializeRequest(records), JsonLogsSerializer.serializeRequest(records));
}
