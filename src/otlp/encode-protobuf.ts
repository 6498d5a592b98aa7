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
  MetricsRequest,
  NumberDataPoint,
  NumberValue,
  Resource,
  Signal,
  SignalRequest,
  Span,
  SummaryDataPoint,
  TracesRequest,
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
      message(w, 5, v.values, (aw, values) => messages(aw, 1, values, anyValue));
      return;
    case 'kvlist':
      message(w, 6, v.values, (kw, values) => messages(kw, 1, values, keyValue));
      return;
    case 'bytes':
      w.uint32(key(7, LEN)).bytes(v.value);
      return;
    case 'empty':
      return;
  }
}

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

/** `resource = 1`, the scope list at 2, `schema_url = 3`: the same frame for the three signals. */
interface ResourceFrame<S> {
  resource?: Resource;
  schemaUrl: string;
  scopes: readonly S[];
}

interface ScopeFrame<T> {
  scope?: InstrumentationScope;
  schemaUrl: string;
  items: readonly T[];
}

function resourceFrame<S>(w: Writer, rf: ResourceFrame<S>, writeScope: (w: Writer, s: S) => void): void {
  if (rf.resource !== undefined) message(w, 1, rf.resource, resource);
  messages(w, 2, rf.scopes, writeScope);
  str(w, 3, rf.schemaUrl);
}

function scopeFrame<T>(w: Writer, sf: ScopeFrame<T>, writeItem: (w: Writer, item: T) => void): void {
  if (sf.scope !== undefined) message(w, 1, sf.scope, scope);
  messages(w, 2, sf.items, writeItem);
  str(w, 3, sf.schemaUrl);
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
  messages(w, 11, s.events, (ew, e) => {
    fixed64(ew, 1, e.timeUnixNano);
    str(ew, 2, e.name);
    messages(ew, 3, e.attributes, keyValue);
    uint32(ew, 4, e.droppedAttributesCount);
  });
  uint32(w, 12, s.droppedEventsCount);
  messages(w, 13, s.links, (lw, l) => {
    bytes(lw, 1, l.traceId);
    bytes(lw, 2, l.spanId);
    str(lw, 3, l.traceState);
    messages(lw, 4, l.attributes, keyValue);
    uint32(lw, 5, l.droppedAttributesCount);
    fixed32(lw, 6, l.flags);
  });
  uint32(w, 14, s.droppedLinksCount);
  if (s.status !== undefined) {
    message(w, 15, s.status, (sw, st) => {
      str(sw, 2, st.message);
      int32(sw, 3, st.code);
    });
  }
  fixed32(w, 16, s.flags);
}

function traces(w: Writer, req: TracesRequest): void {
  for (const rs of req.resourceSpans) {
    message(w, 1, { resource: rs.resource, schemaUrl: rs.schemaUrl, scopes: rs.scopeSpans }, (rw, rf) =>
      resourceFrame(rw, rf, (sw, ss) => scopeFrame(sw, { scope: ss.scope, schemaUrl: ss.schemaUrl, items: ss.spans }, span)),
    );
  }
}

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

function histogramDataPoint(w: Writer, p: HistogramDataPoint): void {
  pointTimes(w, p);
  fixed64(w, 4, p.count);
  optionalDouble(w, 5, p.sum);
  packed(w, 6, p.bucketCounts, fixed64Value);
  packed(w, 7, p.explicitBounds, (pw, n) => pw.double(n));
  messages(w, 8, p.exemplars, exemplar);
  messages(w, 9, p.attributes, keyValue);
  uint32(w, 10, p.flags);
  optionalDouble(w, 11, p.min);
  optionalDouble(w, 12, p.max);
}

function buckets(w: Writer, b: ExponentialHistogramBuckets): void {
  sint32(w, 1, b.offset);
  packed(w, 2, b.bucketCounts, (pw, n) => pw.uint64(long(n)));
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
  messages(w, 6, p.quantileValues, (qw, q) => {
    double(qw, 1, q.quantile);
    double(qw, 2, q.value);
  });
  messages(w, 7, p.attributes, keyValue);
  uint32(w, 8, p.flags);
}

function metric(w: Writer, m: Metric): void {
  str(w, 1, m.name);
  str(w, 2, m.description);
  str(w, 3, m.unit);
  const d = m.data;
  // Each data message: data_points = 1, aggregation_temporality = 2, is_monotonic = 3 (Sum only).
  if (d?.type === 'gauge') message(w, 5, d, (dw, g) => messages(dw, 1, g.dataPoints, numberDataPoint));
  else if (d?.type === 'sum') {
    message(w, 7, d, (dw, s) => {
      messages(dw, 1, s.dataPoints, numberDataPoint);
      int32(dw, 2, s.aggregationTemporality);
      if (s.isMonotonic) dw.uint32(key(3, VARINT)).bool(true);
    });
  } else if (d?.type === 'histogram') {
    message(w, 9, d, (dw, h) => {
      messages(dw, 1, h.dataPoints, histogramDataPoint);
      int32(dw, 2, h.aggregationTemporality);
    });
  } else if (d?.type === 'exponentialHistogram') {
    message(w, 10, d, (dw, h) => {
      messages(dw, 1, h.dataPoints, exponentialHistogramDataPoint);
      int32(dw, 2, h.aggregationTemporality);
    });
  } else if (d?.type === 'summary') message(w, 11, d, (dw, s) => messages(dw, 1, s.dataPoints, summaryDataPoint));
  messages(w, 12, m.metadata, keyValue);
}

function metrics(w: Writer, req: MetricsRequest): void {
  for (const rm of req.resourceMetrics) {
    message(w, 1, { resource: rm.resource, schemaUrl: rm.schemaUrl, scopes: rm.scopeMetrics }, (rw, rf) =>
      resourceFrame(rw, rf, (sw, sm) => scopeFrame(sw, { scope: sm.scope, schemaUrl: sm.schemaUrl, items: sm.metrics }, metric)),
    );
  }
}

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

function logs(w: Writer, req: LogsRequest): void {
  for (const rl of req.resourceLogs) {
    message(w, 1, { resource: rl.resource, schemaUrl: rl.schemaUrl, scopes: rl.scopeLogs }, (rw, rf) =>
      resourceFrame(rw, rf, (sw, sl) => scopeFrame(sw, { scope: sl.scope, schemaUrl: sl.schemaUrl, items: sl.logRecords }, logRecord)),
    );
  }
}

const ENCODERS: { readonly [S in Signal]: (w: Writer, req: SignalRequest[S]) => void } = { traces, metrics, logs };

/** The request as the body of an OTLP/HTTP protobuf export (`application/x-protobuf`). */
export function encodeRequestProtobuf<S extends Signal>(signal: S, req: SignalRequest[S]): Uint8Array {
  const w = protobuf.Writer.create();
  (ENCODERS[signal] as (w: Writer, req: SignalRequest[S]) => void)(w, req);
  return w.finish();
}
