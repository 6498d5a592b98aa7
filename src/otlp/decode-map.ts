import type { Long } from 'protobufjs';
import { anyValueTooDeep } from './decode-error.js';
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
  Span,
  SpanEvent,
  SpanLink,
  SummaryDataPoint,
  TracesRequest,
} from './model.js';

/**
 * protobufjs OTLP messages → model: the one mapping both decoders share. The protobuf decoder gets the messages from
 * protobufjs's reflection `Type.decode`; the JSON decoder builds the same messages from JSON. So both encodings of one
 * request give the same model by construction (receiver checklist 34).
 *
 * How protobufjs 7 reflection messages look (and what the mapping relies on):
 * - a field that was on the wire is an own property; an absent one reads the prototype default: `null` for message
 *   fields and proto3 `optional` doubles (presence), '' / 0 / false / Long(0) for scalars, `[]` for bytes;
 * - a oneof is readable through its virtual getter (`value`, `data`): the name of the member set last, or undefined;
 * - 64-bit integers are `Long` objects whose `unsigned` flag follows the field type (fixed64/uint64 vs int64/sfixed64).
 */

// ------------------------------------------------------------------------- the protobufjs message shapes read here

/** A 64-bit integer: `Long` from protobufjs decode, `bigint` from the JSON decoder. */
type Int64 = Long | bigint;

interface PbKeyValue {
  key: string;
  value: PbAnyValue | null;
}
interface PbAnyValue {
  /** The oneof getter. */
  readonly value: string | undefined;
  stringValue: string;
  boolValue: boolean;
  intValue: Int64;
  doubleValue: number;
  bytesValue: Uint8Array;
  arrayValue: { values: PbAnyValue[] };
  kvlistValue: { values: PbKeyValue[] };
}
interface PbResource {
  attributes: PbKeyValue[];
  droppedAttributesCount: number;
}
interface PbScope extends PbResource {
  name: string;
  version: string;
}
/**
 * ScopeSpans / ScopeMetrics / ScopeLogs and ResourceSpans / ResourceMetrics / ResourceLogs: one level of a request's
 * nesting, whose list sits under the key `K` (the same name in the message and in the model).
 */
type PbScopeLevel<K extends string, T> = { scope: PbScope | null; schemaUrl: string } & { [P in K]: T[] };
type PbResourceLevel<K extends string, T> = { resource: PbResource | null; schemaUrl: string } & { [P in K]: T[] };

interface PbStatus {
  message: string;
  code: number;
}
interface PbEvent {
  timeUnixNano: Int64;
  name: string;
  attributes: PbKeyValue[];
  droppedAttributesCount: number;
}
interface PbLink {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState: string;
  attributes: PbKeyValue[];
  droppedAttributesCount: number;
  flags: number;
}
interface PbSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState: string;
  parentSpanId: Uint8Array;
  flags: number;
  name: string;
  kind: number;
  startTimeUnixNano: Int64;
  endTimeUnixNano: Int64;
  attributes: PbKeyValue[];
  droppedAttributesCount: number;
  events: PbEvent[];
  droppedEventsCount: number;
  links: PbLink[];
  droppedLinksCount: number;
  status: PbStatus | null;
}
type PbScopeSpans = PbScopeLevel<'spans', PbSpan>;
type PbResourceSpans = PbResourceLevel<'scopeSpans', PbScopeSpans>;
export interface PbTracesRequest {
  resourceSpans: PbResourceSpans[];
}

/** The `value` oneof of NumberDataPoint and Exemplar. */
interface PbNumberValue {
  readonly value: string | undefined;
  asDouble: number;
  asInt: Int64;
}
interface PbExemplar extends PbNumberValue {
  filteredAttributes: PbKeyValue[];
  timeUnixNano: Int64;
  spanId: Uint8Array;
  traceId: Uint8Array;
}
interface PbPointCommon {
  attributes: PbKeyValue[];
  startTimeUnixNano: Int64;
  timeUnixNano: Int64;
  flags: number;
}
interface PbNumberDataPoint extends PbPointCommon, PbNumberValue {
  exemplars: PbExemplar[];
}
interface PbHistogramDataPoint extends PbPointCommon {
  count: Int64;
  sum: number | null;
  bucketCounts: Int64[];
  explicitBounds: number[];
  exemplars: PbExemplar[];
  min: number | null;
  max: number | null;
}
interface PbBuckets {
  offset: number;
  bucketCounts: Int64[];
}
interface PbExponentialHistogramDataPoint extends PbPointCommon {
  count: Int64;
  sum: number | null;
  scale: number;
  zeroCount: Int64;
  positive: PbBuckets | null;
  negative: PbBuckets | null;
  exemplars: PbExemplar[];
  min: number | null;
  max: number | null;
  zeroThreshold: number;
}
interface PbSummaryDataPoint extends PbPointCommon {
  count: Int64;
  sum: number;
  quantileValues: { quantile: number; value: number }[];
}
interface PbMetric {
  name: string;
  description: string;
  unit: string;
  /** The `data` oneof getter. */
  readonly data: string | undefined;
  gauge: { dataPoints: PbNumberDataPoint[] };
  sum: { dataPoints: PbNumberDataPoint[]; aggregationTemporality: number; isMonotonic: boolean };
  histogram: { dataPoints: PbHistogramDataPoint[]; aggregationTemporality: number };
  exponentialHistogram: { dataPoints: PbExponentialHistogramDataPoint[]; aggregationTemporality: number };
  summary: { dataPoints: PbSummaryDataPoint[] };
  metadata: PbKeyValue[];
}
type PbScopeMetrics = PbScopeLevel<'metrics', PbMetric>;
type PbResourceMetrics = PbResourceLevel<'scopeMetrics', PbScopeMetrics>;
export interface PbMetricsRequest {
  resourceMetrics: PbResourceMetrics[];
}

interface PbLogRecord {
  timeUnixNano: Int64;
  observedTimeUnixNano: Int64;
  severityNumber: number;
  severityText: string;
  body: PbAnyValue | null;
  attributes: PbKeyValue[];
  droppedAttributesCount: number;
  flags: number;
  traceId: Uint8Array;
  spanId: Uint8Array;
  eventName: string;
}
type PbScopeLogs = PbScopeLevel<'logRecords', PbLogRecord>;
type PbResourceLogs = PbResourceLevel<'scopeLogs', PbScopeLogs>;
export interface PbLogsRequest {
  resourceLogs: PbResourceLogs[];
}

// ------------------------------------------------------------------------------------------------- shared mapping

/** The one empty byte string the model uses for every absent bytes field (both decoders). */
export const EMPTY_BYTES: Uint8Array = Buffer.alloc(0);
const EMPTY_ANY_VALUE: AnyValue = Object.freeze({ kind: 'empty' });
const TWO_POW_32 = 1n << 32n;

/** Exact Long → bigint (signedness from the Long, which protobufjs sets from the field type). */
function int64(v: Int64): bigint {
  if (typeof v === 'bigint') return v;
  const low = BigInt(v.low >>> 0);
  if (v.high === 0) return low;
  return (v.unsigned ? BigInt(v.high >>> 0) : BigInt(v.high)) * TWO_POW_32 + low;
}

/** Bytes as the model wants them; protobufjs's default for an absent bytes field is an empty *array*. */
const bytes = (b: Uint8Array): Uint8Array => (b.length === 0 ? EMPTY_BYTES : b);
/** proto3 `optional double`: absent reads protobufjs's `null` default (or undefined from plain JSON objects). */
const optionalDouble = (d: number | null | undefined): number | undefined => (d == null ? undefined : d);

/** Maps one message to its model; the depth limit is passed along, so no mapper is a closure. */
type Mapper<S, T> = (s: S, maxDepth: number) => T;

/** `src.map(f)` without a closure per call: the extra argument (the depth limit) is passed through. */
function mapAll<S, T>(src: readonly S[], f: Mapper<S, T>, maxDepth: number): T[] {
  const out = new Array<T>(src.length);
  for (let i = 0; i < src.length; i++) out[i] = f(src[i], maxDepth);
  return out;
}

const int64s = (src: readonly Int64[]): bigint[] => mapAll(src, int64, 0);

/** AnyValue at nesting `level` (the value of an attribute or a body is level 1). */
function mapAnyValue(v: PbAnyValue, level: number, maxDepth: number): AnyValue {
  if (level > maxDepth) throw anyValueTooDeep(maxDepth);
  switch (v.value) {
    case 'stringValue':
      return { kind: 'string', value: v.stringValue };
    case 'boolValue':
      return { kind: 'bool', value: v.boolValue };
    case 'intValue':
      return { kind: 'int', value: int64(v.intValue) };
    case 'doubleValue':
      return { kind: 'double', value: v.doubleValue };
    case 'bytesValue':
      return { kind: 'bytes', value: bytes(v.bytesValue) };
    case 'arrayValue': {
      const src = v.arrayValue.values;
      const values = new Array<AnyValue>(src.length);
      for (let i = 0; i < src.length; i++) values[i] = mapAnyValue(src[i], level + 1, maxDepth);
      return { kind: 'array', values };
    }
    case 'kvlistValue':
      return { kind: 'kvlist', values: mapKeyValues(v.kvlistValue.values, level + 1, maxDepth) };
    default:
      return EMPTY_ANY_VALUE;
  }
}

function mapKeyValues(src: readonly PbKeyValue[], level: number, maxDepth: number): KeyValue[] {
  const out = new Array<KeyValue>(src.length);
  for (let i = 0; i < src.length; i++) {
    const kv = src[i];
    out[i] = { key: kv.key, value: kv.value == null ? undefined : mapAnyValue(kv.value, level, maxDepth) };
  }
  return out;
}

const attributes = (src: readonly PbKeyValue[], maxDepth: number): KeyValue[] => mapKeyValues(src, 1, maxDepth);

function mapResource(r: PbResource | null, maxDepth: number): Resource | undefined {
  if (r == null) return undefined;
  return { attributes: attributes(r.attributes, maxDepth), droppedAttributesCount: r.droppedAttributesCount };
}

function mapScope(s: PbScope | null, maxDepth: number): InstrumentationScope | undefined {
  if (s == null) return undefined;
  return {
    name: s.name,
    version: s.version,
    attributes: attributes(s.attributes, maxDepth),
    droppedAttributesCount: s.droppedAttributesCount,
  };
}

/** The model side of PbScopeLevel / PbResourceLevel. */
type ScopeLevel<K extends string, T> = { scope: InstrumentationScope | undefined; schemaUrl: string } & { [P in K]: T[] };
type ResourceLevel<K extends string, T> = { resource: Resource | undefined; schemaUrl: string } & { [P in K]: T[] };

/**
 * A Scope* message of any signal: `key` names its list, `f` maps one entry (span, metric, log record). It runs once
 * per scope, not per entry; the computed key is why the result needs a cast.
 */
function mapScopeLevel<K extends string, S, T>(m: PbScopeLevel<K, S>, key: K, f: Mapper<S, T>, maxDepth: number): ScopeLevel<K, T> {
  const scope = mapScope(m.scope, maxDepth);
  return { scope, [key]: mapAll(m[key], f, maxDepth), schemaUrl: m.schemaUrl } as ScopeLevel<K, T>;
}

/** A Resource* message of any signal: `key` names its list of Scope* messages, `f` maps one (see mapScopeLevel). */
function mapResourceLevel<K extends string, S, T>(m: PbResourceLevel<K, S>, key: K, f: Mapper<S, T>, maxDepth: number): ResourceLevel<K, T> {
  const resource = mapResource(m.resource, maxDepth);
  return { resource, [key]: mapAll(m[key], f, maxDepth), schemaUrl: m.schemaUrl } as ResourceLevel<K, T>;
}

// ----------------------------------------------------------------------------------------------------- traces

export function mapTracesRequest(m: PbTracesRequest, maxDepth: number): TracesRequest {
  return { resourceSpans: mapAll(m.resourceSpans, mapResourceSpans, maxDepth) };
}

const mapResourceSpans = (m: PbResourceSpans, maxDepth: number): ResourceSpans =>
  mapResourceLevel(m, 'scopeSpans', mapScopeSpans, maxDepth);
const mapScopeSpans = (m: PbScopeSpans, maxDepth: number): ScopeSpans => mapScopeLevel(m, 'spans', mapSpan, maxDepth);

function mapSpan(m: PbSpan, maxDepth: number): Span {
  return {
    traceId: bytes(m.traceId),
    spanId: bytes(m.spanId),
    traceState: m.traceState,
    parentSpanId: bytes(m.parentSpanId),
    flags: m.flags,
    name: m.name,
    kind: m.kind,
    startTimeUnixNano: int64(m.startTimeUnixNano),
    endTimeUnixNano: int64(m.endTimeUnixNano),
    attributes: attributes(m.attributes, maxDepth),
    droppedAttributesCount: m.droppedAttributesCount,
    events: mapAll(m.events, mapEvent, maxDepth),
    droppedEventsCount: m.droppedEventsCount,
    links: mapAll(m.links, mapLink, maxDepth),
    droppedLinksCount: m.droppedLinksCount,
    status: m.status == null ? undefined : { message: m.status.message, code: m.status.code },
  };
}

function mapEvent(m: PbEvent, maxDepth: number): SpanEvent {
  return {
    timeUnixNano: int64(m.timeUnixNano),
    name: m.name,
    attributes: attributes(m.attributes, maxDepth),
    droppedAttributesCount: m.droppedAttributesCount,
  };
}

function mapLink(m: PbLink, maxDepth: number): SpanLink {
  return {
    traceId: bytes(m.traceId),
    spanId: bytes(m.spanId),
    traceState: m.traceState,
    attributes: attributes(m.attributes, maxDepth),
    droppedAttributesCount: m.droppedAttributesCount,
    flags: m.flags,
  };
}

// ---------------------------------------------------------------------------------------------------- metrics

export function mapMetricsRequest(m: PbMetricsRequest, maxDepth: number): MetricsRequest {
  return { resourceMetrics: mapAll(m.resourceMetrics, mapResourceMetrics, maxDepth) };
}

const mapResourceMetrics = (m: PbResourceMetrics, maxDepth: number): ResourceMetrics =>
  mapResourceLevel(m, 'scopeMetrics', mapScopeMetrics, maxDepth);
const mapScopeMetrics = (m: PbScopeMetrics, maxDepth: number): ScopeMetrics => mapScopeLevel(m, 'metrics', mapMetric, maxDepth);

function mapMetric(m: PbMetric, maxDepth: number): Metric {
  return {
    name: m.name,
    description: m.description,
    unit: m.unit,
    data: mapMetricData(m, maxDepth),
    metadata: attributes(m.metadata, maxDepth),
  };
}

function mapMetricData(m: PbMetric, maxDepth: number): MetricData | undefined {
  switch (m.data) {
    case 'gauge':
      return { type: 'gauge', dataPoints: mapAll(m.gauge.dataPoints, mapNumberDataPoint, maxDepth) };
    case 'sum':
      return {
        type: 'sum',
        dataPoints: mapAll(m.sum.dataPoints, mapNumberDataPoint, maxDepth),
        aggregationTemporality: m.sum.aggregationTemporality,
        isMonotonic: m.sum.isMonotonic,
      };
    case 'histogram':
      return {
        type: 'histogram',
        dataPoints: mapAll(m.histogram.dataPoints, mapHistogramDataPoint, maxDepth),
        aggregationTemporality: m.histogram.aggregationTemporality,
      };
    case 'exponentialHistogram':
      return {
        type: 'exponentialHistogram',
        dataPoints: mapAll(m.exponentialHistogram.dataPoints, mapExponentialHistogramDataPoint, maxDepth),
        aggregationTemporality: m.exponentialHistogram.aggregationTemporality,
      };
    case 'summary':
      return { type: 'summary', dataPoints: mapAll(m.summary.dataPoints, mapSummaryDataPoint, maxDepth) };
    default:
      return undefined;
  }
}

function mapNumberValue(m: PbNumberValue): NumberValue | undefined {
  switch (m.value) {
    case 'asDouble':
      return { kind: 'double', value: m.asDouble };
    case 'asInt':
      return { kind: 'int', value: int64(m.asInt) };
    default:
      return undefined;
  }
}

function mapExemplar(m: PbExemplar, maxDepth: number): Exemplar {
  return {
    filteredAttributes: attributes(m.filteredAttributes, maxDepth),
    timeUnixNano: int64(m.timeUnixNano),
    value: mapNumberValue(m),
    spanId: bytes(m.spanId),
    traceId: bytes(m.traceId),
  };
}

function mapNumberDataPoint(m: PbNumberDataPoint, maxDepth: number): NumberDataPoint {
  return {
    attributes: attributes(m.attributes, maxDepth),
    startTimeUnixNano: int64(m.startTimeUnixNano),
    timeUnixNano: int64(m.timeUnixNano),
    value: mapNumberValue(m),
    exemplars: mapAll(m.exemplars, mapExemplar, maxDepth),
    flags: m.flags,
  };
}

function mapHistogramDataPoint(m: PbHistogramDataPoint, maxDepth: number): HistogramDataPoint {
  return {
    attributes: attributes(m.attributes, maxDepth),
    startTimeUnixNano: int64(m.startTimeUnixNano),
    timeUnixNano: int64(m.timeUnixNano),
    count: int64(m.count),
    sum: optionalDouble(m.sum),
    bucketCounts: int64s(m.bucketCounts),
    // Already a number[] (packed doubles): shared, not copied.
    explicitBounds: m.explicitBounds,
    exemplars: mapAll(m.exemplars, mapExemplar, maxDepth),
    flags: m.flags,
    min: optionalDouble(m.min),
    max: optionalDouble(m.max),
  };
}

function mapBuckets(b: PbBuckets | null): ExponentialHistogramBuckets | undefined {
  return b == null ? undefined : { offset: b.offset, bucketCounts: int64s(b.bucketCounts) };
}

function mapExponentialHistogramDataPoint(m: PbExponentialHistogramDataPoint, maxDepth: number): ExponentialHistogramDataPoint {
  return {
    attributes: attributes(m.attributes, maxDepth),
    startTimeUnixNano: int64(m.startTimeUnixNano),
    timeUnixNano: int64(m.timeUnixNano),
    count: int64(m.count),
    sum: optionalDouble(m.sum),
    scale: m.scale,
    zeroCount: int64(m.zeroCount),
    positive: mapBuckets(m.positive),
    negative: mapBuckets(m.negative),
    flags: m.flags,
    exemplars: mapAll(m.exemplars, mapExemplar, maxDepth),
    min: optionalDouble(m.min),
    max: optionalDouble(m.max),
    zeroThreshold: m.zeroThreshold,
  };
}

function mapSummaryDataPoint(m: PbSummaryDataPoint, maxDepth: number): SummaryDataPoint {
  const quantileValues = new Array<{ quantile: number; value: number }>(m.quantileValues.length);
  for (let i = 0; i < quantileValues.length; i++) {
    const q = m.quantileValues[i];
    quantileValues[i] = { quantile: q.quantile, value: q.value };
  }
  return {
    attributes: attributes(m.attributes, maxDepth),
    startTimeUnixNano: int64(m.startTimeUnixNano),
    timeUnixNano: int64(m.timeUnixNano),
    count: int64(m.count),
    sum: m.sum,
    quantileValues,
    flags: m.flags,
  };
}

// ------------------------------------------------------------------------------------------------------- logs

export function mapLogsRequest(m: PbLogsRequest, maxDepth: number): LogsRequest {
  return { resourceLogs: mapAll(m.resourceLogs, mapResourceLogs, maxDepth) };
}

const mapResourceLogs = (m: PbResourceLogs, maxDepth: number): ResourceLogs =>
  mapResourceLevel(m, 'scopeLogs', mapScopeLogs, maxDepth);
const mapScopeLogs = (m: PbScopeLogs, maxDepth: number): ScopeLogs => mapScopeLevel(m, 'logRecords', mapLogRecord, maxDepth);

function mapLogRecord(m: PbLogRecord, maxDepth: number): LogRecord {
  return {
    timeUnixNano: int64(m.timeUnixNano),
    observedTimeUnixNano: int64(m.observedTimeUnixNano),
    severityNumber: m.severityNumber,
    severityText: m.severityText,
    body: m.body == null ? undefined : mapAnyValue(m.body, 1, maxDepth),
    attributes: attributes(m.attributes, maxDepth),
    droppedAttributesCount: m.droppedAttributesCount,
    flags: m.flags,
    traceId: bytes(m.traceId),
    spanId: bytes(m.spanId),
    eventName: m.eventName,
  };
}
