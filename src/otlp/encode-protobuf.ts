import protobuf from 'protobufjs';
import type {
  AnyValue,
  Exemplar,
  ExponentialHistogramBuckets,
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  InstrumentationScope,
  KeyValue,
  LogRecord,
  LogsRequest,
  Metric,
  MetricData,
  MetricsRequest,
  NumberDataPoint,
  NumberValue,
  Resource,
  ResourceLogs,
  ResourceMetrics,
  ResourceSpans,
  ScopeLogs,
  ScopeMetrics,
  ScopeSpans,
  Signal,
  SignalRequest,
  Span,
  SpanEvent,
  SpanLink,
  SpanStatus,
  SummaryDataPoint,
  TracesRequest,
  ValueAtQuantile,
} from './model.js';

/**
 * model → OTLP protobuf (`Export<Signal>ServiceRequest`), written straight to a protobufjs Writer: no intermediate
 * object tree, 64-bit values from bigint without strings. The inverse of decode-protobuf.ts for everything the model
 * keeps (so `decode(encode(m))` deep-equals `m`): proto3 zero values are left out, presence is kept where the model
 * keeps it (`resource`, `scope`, `status`, `body`, a KeyValue's `value`, optional doubles, the value oneofs).
 * Not in the model, so not written: `Resource.entity_refs`. Field numbers are those of proto/opentelemetry/**.
 */

type Writer = protobuf.Writer;

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

const key = (field: number, wireType: number): number => ((field << 3) | wireType) >>> 0;

function str(w: Writer, field: number, s: string): void {
  if (s !== '') w.uint32(key(field, LEN)).string(s);
}

function bytes(w: Writer, field: number, b: Uint8Array): void {
  if (b.length > 0) w.uint32(key(field, LEN)).bytes(b);
}

function uint32(w: Writer, field: number, n: number): void {
  if (n !== 0) w.uint32(key(field, VARINT)).uint32(n);
}

/** int32 and enums (a negative one takes ten bytes, as proto3 wants). */
function int32(w: Writer, field: number, n: number): void {
  if (n !== 0) w.uint32(key(field, VARINT)).int32(n);
}

function sint32(w: Writer, field: number, n: number): void {
  if (n !== 0) w.uint32(key(field, VARINT)).sint32(n);
}

function fixed32(w: Writer, field: number, n: number): void {
  if (n !== 0) w.uint32(key(field, I32)).fixed32(n);
}

/** fixed64 and sfixed64: two little-endian words, taken from the bigint's two's complement. */
function fixed64Value(w: Writer, n: bigint): void {
  w.fixed32(Number(n & 0xffffffffn)).fixed32(Number((n >> 32n) & 0xffffffffn));
}

function fixed64(w: Writer, field: number, n: bigint): void {
  if (n === 0n) return;
  w.uint32(key(field, I64));
  fixed64Value(w, n);
}

/** int64 / uint64 varints go through protobufjs's Long path (the only place a Long is made). */
const long = (n: bigint): protobuf.Long => new protobuf.util.Long(Number(n & 0xffffffffn) | 0, Number((n >> 32n) & 0xffffffffn) | 0, false);

/** A double that is always written (oneof members and proto3 `optional` fields have presence). */
function doubleAlways(w: Writer, field: number, n: number): void {
  w.uint32(key(field, I64)).double(n);
}

/** A plain proto3 double: left out when zero (but -0 is not the default and is kept). */
function double(w: Writer, field: number, n: number): void {
  if (!Object.is(n, 0)) doubleAlways(w, field, n);
}

function optionalDouble(w: Writer, field: number, n: number | undefined): void {
  if (n !== undefined) doubleAlways(w, field, n);
}

/** A length-delimited sub-message; written even when empty (presence). */
function message<T>(w: Writer, field: number, value: T, write: (w: Writer, value: T) => void): void {
  w.uint32(key(field, LEN)).fork();
  write(w, value);
  w.ldelim();
}

function messages<T>(w: Writer, field: number, list: readonly T[], write: (w: Writer, value: T) => void): void {
  for (const item of list) message(w, field, item, write);
}

// Every writer below is a module-level function, never an inline closure: closures would be allocated again for each
// span, data point and value written (this runs per request in the OTLP sink).

// ------------------------------------------------------------------------------------------------ common

function anyValue(w: Writer, v: AnyValue): void {
  switch (v.kind) {
    case 'string':
      w.uint32(key(1, LEN)).string(v.value);
      return;
    case 'bool':
      w.uint32(key(2, VARINT)).bool(v.value);
      return;
    case 'int':
      w.uint32(key(3, VARINT)).int64(long(v.value));
      return;
    case 'double':
      doubleAlways(w, 4, v.value);
      return;
    case 'array':
      message(w, 5, v.values, anyValues);
      return;
    case 'kvlist':
      message(w, 6, v.values, keyValues);
      return;
    case 'bytes':
      w.uint32(key(7, LEN)).bytes(v.value);
      return;
    case 'empty':
      return;
  }
}

/** ArrayValue and KeyValueList: `values = 1`. */
const anyValues = (w: Writer, values: readonly AnyValue[]): void => messages(w, 1, values, anyValue);
const keyValues = (w: Writer, values: readonly KeyValue[]): void => messages(w, 1, values, keyValue);

function keyValue(w: Writer, kv: KeyValue): void {
  str(w, 1, kv.key);
  if (kv.value !== undefined) message(w, 2, kv.value, anyValue);
}

function resource(w: Writer, r: Resource): void {
  messages(w, 1, r.attributes, keyValue);
  uint32(w, 2, r.droppedAttributesCount);
}

function scope(w: Writer, s: InstrumentationScope): void {
  str(w, 1, s.name);
  str(w, 2, s.version);
  messages(w, 3, s.attributes, keyValue);
  uint32(w, 4, s.droppedAttributesCount);
}

/**
 * The body of every Resource* and Scope* message of the three signals: its resource or scope at 1 (`writeHead`
 * writes it), its list at 2, `schema_url = 3`.
 */
function level<H, T>(
  w: Writer,
  head: H | undefined,
  writeHead: (w: Writer, head: H) => void,
  items: readonly T[],
  writeItem: (w: Writer, item: T) => void,
  schemaUrl: string,
): void {
  if (head !== undefined) message(w, 1, head, writeHead);
  messages(w, 2, items, writeItem);
  str(w, 3, schemaUrl);
}

// ------------------------------------------------------------------------------------------------ traces

function span(w: Writer, s: Span): void {
  bytes(w, 1, s.traceId);
  bytes(w, 2, s.spanId);
  str(w, 3, s.traceState);
  bytes(w, 4, s.parentSpanId);
  str(w, 5, s.name);
  int32(w, 6, s.kind);
  fixed64(w, 7, s.startTimeUnixNano);
  fixed64(w, 8, s.endTimeUnixNano);
  messages(w, 9, s.attributes, keyValue);
  uint32(w, 10, s.droppedAttributesCount);
  messages(w, 11, s.events, spanEvent);
  uint32(w, 12, s.droppedEventsCount);
  messages(w, 13, s.links, spanLink);
  uint32(w, 14, s.droppedLinksCount);
  if (s.status !== undefined) message(w, 15, s.status, spanStatus);
  fixed32(w, 16, s.flags);
}

function spanEvent(w: Writer, e: SpanEvent): void {
  fixed64(w, 1, e.timeUnixNano);
  str(w, 2, e.name);
  messages(w, 3, e.attributes, keyValue);
  uint32(w, 4, e.droppedAttributesCount);
}

function spanLink(w: Writer, l: SpanLink): void {
  bytes(w, 1, l.traceId);
  bytes(w, 2, l.spanId);
  str(w, 3, l.traceState);
  messages(w, 4, l.attributes, keyValue);
  uint32(w, 5, l.droppedAttributesCount);
  fixed32(w, 6, l.flags);
}

function spanStatus(w: Writer, st: SpanStatus): void {
  str(w, 2, st.message);
  int32(w, 3, st.code);
}

const scopeSpans = (w: Writer, ss: ScopeSpans): void => level(w, ss.scope, scope, ss.spans, span, ss.schemaUrl);
const resourceSpans = (w: Writer, rs: ResourceSpans): void => level(w, rs.resource, resource, rs.scopeSpans, scopeSpans, rs.schemaUrl);
const traces = (w: Writer, req: TracesRequest): void => messages(w, 1, req.resourceSpans, resourceSpans);

// ----------------------------------------------------------------------------------------------- metrics

/** The `value` oneof of NumberDataPoint and Exemplar: `as_double` / `as_int` (sfixed64) at the given fields. */
function numberValue(w: Writer, v: NumberValue | undefined, asDouble: number, asInt: number): void {
  if (v === undefined) return;
  if (v.kind === 'double') {
    doubleAlways(w, asDouble, v.value);
  } else {
    w.uint32(key(asInt, I64));
    fixed64Value(w, v.value);
  }
}

function exemplar(w: Writer, e: Exemplar): void {
  fixed64(w, 2, e.timeUnixNano);
  numberValue(w, e.value, 3, 6);
  bytes(w, 4, e.spanId);
  bytes(w, 5, e.traceId);
  messages(w, 7, e.filteredAttributes, keyValue);
}

/** start_time_unix_nano = 2 and time_unix_nano = 3 in every data point kind. */
function pointTimes(w: Writer, p: { startTimeUnixNano: bigint; timeUnixNano: bigint }): void {
  fixed64(w, 2, p.startTimeUnixNano);
  fixed64(w, 3, p.timeUnixNano);
}

function numberDataPoint(w: Writer, p: NumberDataPoint): void {
  pointTimes(w, p);
  numberValue(w, p.value, 4, 6);
  messages(w, 5, p.exemplars, exemplar);
  messages(w, 7, p.attributes, keyValue);
  uint32(w, 8, p.flags);
}

function packed<T>(w: Writer, field: number, list: readonly T[], write: (w: Writer, item: T) => void): void {
  if (list.length === 0) return;
  w.uint32(key(field, LEN)).fork();
  for (const item of list) write(w, item);
  w.ldelim();
}

const packedDouble = (w: Writer, n: number): void => void w.double(n);
const packedUint64 = (w: Writer, n: bigint): void => void w.uint64(long(n));

function histogramDataPoint(w: Writer, p: HistogramDataPoint): void {
  pointTimes(w, p);
  fixed64(w, 4, p.count);
  optionalDouble(w, 5, p.sum);
  packed(w, 6, p.bucketCounts, fixed64Value);
  packed(w, 7, p.explicitBounds, packedDouble);
  messages(w, 8, p.exemplars, exemplar);
  messages(w, 9, p.attributes, keyValue);
  uint32(w, 10, p.flags);
  optionalDouble(w, 11, p.min);
  optionalDouble(w, 12, p.max);
}

function buckets(w: Writer, b: ExponentialHistogramBuckets): void {
  sint32(w, 1, b.offset);
  packed(w, 2, b.bucketCounts, packedUint64);
}

function exponentialHistogramDataPoint(w: Writer, p: ExponentialHistogramDataPoint): void {
  messages(w, 1, p.attributes, keyValue);
  pointTimes(w, p);
  fixed64(w, 4, p.count);
  optionalDouble(w, 5, p.sum);
  sint32(w, 6, p.scale);
  fixed64(w, 7, p.zeroCount);
  if (p.positive !== undefined) message(w, 8, p.positive, buckets);
  if (p.negative !== undefined) message(w, 9, p.negative, buckets);
  uint32(w, 10, p.flags);
  messages(w, 11, p.exemplars, exemplar);
  optionalDouble(w, 12, p.min);
  optionalDouble(w, 13, p.max);
  double(w, 14, p.zeroThreshold);
}

function summaryDataPoint(w: Writer, p: SummaryDataPoint): void {
  pointTimes(w, p);
  fixed64(w, 4, p.count);
  double(w, 5, p.sum);
  messages(w, 6, p.quantileValues, valueAtQuantile);
  messages(w, 7, p.attributes, keyValue);
  uint32(w, 8, p.flags);
}

function valueAtQuantile(w: Writer, q: ValueAtQuantile): void {
  double(w, 1, q.quantile);
  double(w, 2, q.value);
}

function metric(w: Writer, m: Metric): void {
  str(w, 1, m.name);
  str(w, 2, m.description);
  str(w, 3, m.unit);
  const d = m.data;
  if (d?.type === 'gauge') message(w, 5, d, gauge);
  else if (d?.type === 'sum') message(w, 7, d, sum);
  else if (d?.type === 'histogram') message(w, 9, d, histogram);
  else if (d?.type === 'exponentialHistogram') message(w, 10, d, exponentialHistogram);
  else if (d?.type === 'summary') message(w, 11, d, summary);
  messages(w, 12, m.metadata, keyValue);
}

// Each data message: data_points = 1, aggregation_temporality = 2, is_monotonic = 3 (Sum only).
type DataOf<T extends MetricData['type']> = Extract<MetricData, { type: T }>;

const gauge = (w: Writer, g: DataOf<'gauge'>): void => messages(w, 1, g.dataPoints, numberDataPoint);
const summary = (w: Writer, s: DataOf<'summary'>): void => messages(w, 1, s.dataPoints, summaryDataPoint);

function sum(w: Writer, s: DataOf<'sum'>): void {
  messages(w, 1, s.dataPoints, numberDataPoint);
  int32(w, 2, s.aggregationTemporality);
  if (s.isMonotonic) w.uint32(key(3, VARINT)).bool(true);
}

function histogram(w: Writer, h: DataOf<'histogram'>): void {
  messages(w, 1, h.dataPoints, histogramDataPoint);
  int32(w, 2, h.aggregationTemporality);
}

function exponentialHistogram(w: Writer, h: DataOf<'exponentialHistogram'>): void {
  messages(w, 1, h.dataPoints, exponentialHistogramDataPoint);
  int32(w, 2, h.aggregationTemporality);
}

const scopeMetrics = (w: Writer, sm: ScopeMetrics): void => level(w, sm.scope, scope, sm.metrics, metric, sm.schemaUrl);
const resourceMetrics = (w: Writer, rm: ResourceMetrics): void => level(w, rm.resource, resource, rm.scopeMetrics, scopeMetrics, rm.schemaUrl);
const metrics = (w: Writer, req: MetricsRequest): void => messages(w, 1, req.resourceMetrics, resourceMetrics);

// -------------------------------------------------------------------------------------------------- logs

function logRecord(w: Writer, r: LogRecord): void {
  fixed64(w, 1, r.timeUnixNano);
  int32(w, 2, r.severityNumber);
  str(w, 3, r.severityText);
  if (r.body !== undefined) message(w, 5, r.body, anyValue);
  messages(w, 6, r.attributes, keyValue);
  uint32(w, 7, r.droppedAttributesCount);
  fixed32(w, 8, r.flags);
  bytes(w, 9, r.traceId);
  bytes(w, 10, r.spanId);
  fixed64(w, 11, r.observedTimeUnixNano);
  str(w, 12, r.eventName);
}

const scopeLogs = (w: Writer, sl: ScopeLogs): void => level(w, sl.scope, scope, sl.logRecords, logRecord, sl.schemaUrl);
const resourceLogs = (w: Writer, rl: ResourceLogs): void => level(w, rl.resource, resource, rl.scopeLogs, scopeLogs, rl.schemaUrl);
const logs = (w: Writer, req: LogsRequest): void => messages(w, 1, req.resourceLogs, resourceLogs);

const ENCODERS: { readonly [S in Signal]: (w: Writer, req: SignalRequest[S]) => void } = { traces, metrics, logs };

/** The request as the body of an OTLP/HTTP protobuf export (`application/x-protobuf`). */
export function encodeRequestProtobuf<S extends Signal>(signal: S, req: SignalRequest[S]): Uint8Array {
  const w = protobuf.Writer.create();
  (ENCODERS[signal] as (w: Writer, req: SignalRequest[S]) => void)(w, req);
  return w.finish();
}
