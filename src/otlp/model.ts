/**
 * The one internal shape of OTLP data. Both decoders (protobuf and JSON) produce it; the converters in
 * src/datakit read it and nothing else.
 *
 * Conventions (they matter for DataKit fidelity):
 * - 64-bit integers are `bigint` (nanosecond timestamps exceed 2^53; int attributes must stay exact).
 * - ids and bytes are `Uint8Array`, exactly as received (an absent id is a zero-length array).
 * - Presence is kept where DataKit's mapping looks at it: `resource`, `scope`, `status`, `body` are optional
 *   (absent = not on the wire / no JSON key); a KeyValue whose `value` object is missing has `value: undefined`.
 * - Optional doubles (`sum`, `min`, `max` of histograms) are `undefined` when not sent.
 * - Field names follow the proto's lowerCamelCase JSON names, so the model reads like the spec.
 */

export type AnyValue =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'int'; readonly value: bigint }
  | { readonly kind: 'double'; readonly value: number }
  | { readonly kind: 'bytes'; readonly value: Uint8Array }
  | { readonly kind: 'array'; readonly values: AnyValue[] }
  | { readonly kind: 'kvlist'; readonly values: KeyValue[] }
  /** An AnyValue message with no field of its oneof set (`{}` in JSON). */
  | { readonly kind: 'empty' };

export interface KeyValue {
  key: string;
  /** `undefined` when the KeyValue carries no `value` object at all (DataKit panics on it; we skip it). */
  value: AnyValue | undefined;
}

export interface Resource {
  attributes: KeyValue[];
  droppedAttributesCount: number;
}

export interface InstrumentationScope {
  name: string;
  version: string;
  attributes: KeyValue[];
  droppedAttributesCount: number;
}

// ---------------------------------------------------------------------------------------------- traces

export const SpanKind = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;

export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;

export interface SpanStatus {
  message: string;
  /** Any int32 is possible on the wire; DataKit maps unknown codes to `info`. */
  code: number;
}

export interface SpanEvent {
  timeUnixNano: bigint;
  name: string;
  attributes: KeyValue[];
  droppedAttributesCount: number;
}

export interface SpanLink {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState: string;
  attributes: KeyValue[];
  droppedAttributesCount: number;
  flags: number;
}

export interface Span {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState: string;
  parentSpanId: Uint8Array;
  flags: number;
  name: string;
  /** Any int32 is possible on the wire; DataKit writes no `span_kind` tag outside 0–5. */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: KeyValue[];
  droppedAttributesCount: number;
  events: SpanEvent[];
  droppedEventsCount: number;
  links: SpanLink[];
  droppedLinksCount: number;
  /** Absent when the status message is not on the wire (DataKit: `info`), present-but-empty gives `ok`. */
  status?: SpanStatus;
}

export interface ScopeSpans {
  scope?: InstrumentationScope;
  spans: Span[];
  schemaUrl: string;
}

export interface ResourceSpans {
  resource?: Resource;
  scopeSpans: ScopeSpans[];
  schemaUrl: string;
}

export interface TracesRequest {
  resourceSpans: ResourceSpans[];
}

// --------------------------------------------------------------------------------------------- metrics

export const AggregationTemporality = { UNSPECIFIED: 0, DELTA: 1, CUMULATIVE: 2 } as const;

export type NumberValue = { readonly kind: 'double'; readonly value: number } | { readonly kind: 'int'; readonly value: bigint };

export interface Exemplar {
  filteredAttributes: KeyValue[];
  timeUnixNano: bigint;
  /** `undefined` when neither as_double nor as_int is set. */
  value: NumberValue | undefined;
  spanId: Uint8Array;
  traceId: Uint8Array;
}

export interface NumberDataPoint {
  attributes: KeyValue[];
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  /** `undefined` when neither as_double nor as_int is set (DataKit then emits no field and drops the point). */
  value: NumberValue | undefined;
  exemplars: Exemplar[];
  flags: number;
}

export interface HistogramDataPoint {
  attributes: KeyValue[];
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  count: bigint;
  sum: number | undefined;
  bucketCounts: bigint[];
  explicitBounds: number[];
  exemplars: Exemplar[];
  flags: number;
  min: number | undefined;
  max: number | undefined;
}

export interface ExponentialHistogramBuckets {
  offset: number;
  bucketCounts: bigint[];
}

export interface ExponentialHistogramDataPoint {
  attributes: KeyValue[];
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  count: bigint;
  sum: number | undefined;
  scale: number;
  zeroCount: bigint;
  positive: ExponentialHistogramBuckets | undefined;
  negative: ExponentialHistogramBuckets | undefined;
  flags: number;
  exemplars: Exemplar[];
  min: number | undefined;
  max: number | undefined;
  zeroThreshold: number;
}

export interface ValueAtQuantile {
  quantile: number;
  value: number;
}

export interface SummaryDataPoint {
  attributes: KeyValue[];
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  count: bigint;
  sum: number;
  quantileValues: ValueAtQuantile[];
  flags: number;
}

export type MetricData =
  | { readonly type: 'gauge'; dataPoints: NumberDataPoint[] }
  | { readonly type: 'sum'; dataPoints: NumberDataPoint[]; aggregationTemporality: number; isMonotonic: boolean }
  | { readonly type: 'histogram'; dataPoints: HistogramDataPoint[]; aggregationTemporality: number }
  | { readonly type: 'exponentialHistogram'; dataPoints: ExponentialHistogramDataPoint[]; aggregationTemporality: number }
  | { readonly type: 'summary'; dataPoints: SummaryDataPoint[] };

export interface Metric {
  name: string;
  description: string;
  unit: string;
  /** `undefined` when no data oneof is set (nothing to convert). */
  data: MetricData | undefined;
  metadata: KeyValue[];
}

export interface ScopeMetrics {
  scope?: InstrumentationScope;
  metrics: Metric[];
  schemaUrl: string;
}

export interface ResourceMetrics {
  resource?: Resource;
  scopeMetrics: ScopeMetrics[];
  schemaUrl: string;
}

export interface MetricsRequest {
  resourceMetrics: ResourceMetrics[];
}

// ------------------------------------------------------------------------------------------------ logs

export interface LogRecord {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  /** Absent when the record has no body. */
  body?: AnyValue;
  attributes: KeyValue[];
  droppedAttributesCount: number;
  flags: number;
  traceId: Uint8Array;
  spanId: Uint8Array;
  eventName: string;
}

export interface ScopeLogs {
  scope?: InstrumentationScope;
  logRecords: LogRecord[];
  schemaUrl: string;
}

export interface ResourceLogs {
  resource?: Resource;
  scopeLogs: ScopeLogs[];
  schemaUrl: string;
}

export interface LogsRequest {
  resourceLogs: ResourceLogs[];
}

// ------------------------------------------------------------------------------------------------ misc

export type Signal = 'traces' | 'metrics' | 'logs';

export interface SignalRequest {
  traces: TracesRequest;
  metrics: MetricsRequest;
  logs: LogsRequest;
}

/** How many items (spans, data points, log records) a request carries: used for the empty-request short cut and counters. */
export function countItems(signal: Signal, req: TracesRequest | MetricsRequest | LogsRequest): number {
  let n = 0;
  if (signal === 'traces') {
    for (const rs of (req as TracesRequest).resourceSpans) for (const ss of rs.scopeSpans) n += ss.spans.length;
  } else if (signal === 'metrics') {
    for (const rm of (req as MetricsRequest).resourceMetrics)
      for (const sm of rm.scopeMetrics) for (const m of sm.metrics) n += m.data ? m.data.dataPoints.length : 0;
  } else {
    for (const rl of (req as LogsRequest).resourceLogs) for (const sl of rl.scopeLogs) n += sl.logRecords.length;
  }
  return n;
}
