/**
 * The internal OTLP model (built with model-build.ts) back on the wire, for tests that post the same data in every
 * encoding a client may use:
 * - OTLP/JSON per the spec (otlp-http-receiver.md §1.8): lowerCamelCase keys, hex ids (J1), enums as integers (J2),
 *   64-bit integers as decimal strings (J5), bytes as base64, NaN/±Infinity as strings (J6), proto3 zero values left
 *   out. Variants: snake_case keys (J4), enum names (J2), base64 ids (what DataKit 1.84 reads, Q1).
 * - OTLP protobuf, encoded with @opentelemetry/otlp-transformer's generated code (independent of src/otlp/proto.ts).
 * Fields the old DataKit schema lacks (Span.flags, LogRecord.eventName, Metric.metadata, zeroThreshold: Q2) are
 * written only when non-zero, so a default model gives JSON that DataKit's reader accepts.
 */
import generated from '@opentelemetry/otlp-transformer/build/src/generated/root.js';
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
  Resource,
  Signal,
  SignalRequest,
  Span,
  SummaryDataPoint,
  TracesRequest,
} from '../../src/otlp/model.js';

export interface OtlpJsonOptions {
  /** Default `camel` (the spec); `snake` is the .proto field names (J4). */
  keys?: 'camel' | 'snake';
  /** Default `int` (the spec); `name` writes `"SPAN_KIND_SERVER"` and the like (J2). */
  enums?: 'int' | 'name';
  /** Default `hex` (the spec, J1); `base64` is the proto3 bytes mapping DataKit 1.84 applies to ids (Q1). */
  ids?: 'hex' | 'base64';
}

type Tree = Record<string, unknown>;

/** How leaf values are written: the only difference between the JSON and the protobuf object trees. */
interface Codec {
  id(b: Uint8Array): unknown;
  bytes(b: Uint8Array): unknown;
  int64(n: bigint): unknown;
  double(n: number): unknown;
  enumValue(n: number, names: readonly string[]): unknown;
}

const base64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

function jsonCodec(opts: OtlpJsonOptions): Codec {
  return {
    id: (b) => (opts.ids === 'base64' ? base64(b) : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')),
    bytes: base64,
    int64: (n) => n.toString(),
    double: (n) => (Number.isFinite(n) ? n : Number.isNaN(n) ? 'NaN' : n > 0 ? 'Infinity' : '-Infinity'),
    enumValue: (n, names) => (opts.enums === 'name' && names[n] !== undefined ? names[n] : n),
  };
}

/** protobufjs takes 64-bit values as decimal strings (parsed with `long`) and bytes as Uint8Array. */
const PROTOBUF_CODEC: Codec = {
  id: (b) => b,
  bytes: (b) => b,
  int64: (n) => n.toString(),
  double: (n) => n,
  enumValue: (n) => n,
};

const SPAN_KIND = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_CODE = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];
const TEMPORALITY = ['AGGREGATION_TEMPORALITY_UNSPECIFIED', 'AGGREGATION_TEMPORALITY_DELTA', 'AGGREGATION_TEMPORALITY_CUMULATIVE'];
const SEVERITY = [
  'SEVERITY_NUMBER_UNSPECIFIED',
  ...['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((s) => [s, `${s}2`, `${s}3`, `${s}4`].map((n) => `SEVERITY_NUMBER_${n}`)),
];

/** Builds one message object, leaving out proto3 zero values (`set`) or writing a value as it is (`always`). */
class Msg {
  readonly tree: Tree = {};
  set(key: string, value: unknown, isDefault: boolean): this {
    if (!isDefault) this.tree[key] = value;
    return this;
  }
  always(key: string, value: unknown): this {
    if (value !== undefined) this.tree[key] = value;
    return this;
  }
  str(key: string, s: string): this {
    return this.set(key, s, s === '');
  }
  num(key: string, n: number): this {
    return this.set(key, n, n === 0);
  }
  list<T>(key: string, items: readonly T[], map: (item: T) => unknown): this {
    return this.set(key, items.map(map), items.length === 0);
  }
}

class TreeBuilder {
  constructor(private readonly c: Codec) {}

  private int64(m: Msg, key: string, n: bigint): Msg {
    return m.set(key, this.c.int64(n), n === 0n);
  }

  private double(m: Msg, key: string, n: number | undefined): Msg {
    return m.always(key, n === undefined ? undefined : this.c.double(n));
  }

  anyValue(v: AnyValue): Tree {
    const m = new Msg();
    switch (v.kind) {
      case 'string':
        return m.always('stringValue', v.value).tree;
      case 'bool':
        return m.always('boolValue', v.value).tree;
      case 'int':
        return m.always('intValue', this.c.int64(v.value)).tree;
      case 'double':
        return m.always('doubleValue', this.c.double(v.value)).tree;
      case 'bytes':
        return m.always('bytesValue', this.c.bytes(v.value)).tree;
      case 'array':
        return m.always('arrayValue', new Msg().list('values', v.values, (x) => this.anyValue(x)).tree).tree;
      case 'kvlist':
        return m.always('kvlistValue', new Msg().list('values', v.values, (x) => this.keyValue(x)).tree).tree;
      case 'empty':
        return m.tree;
    }
  }

  keyValue = (kv: KeyValue): Tree => new Msg().str('key', kv.key).always('value', kv.value && this.anyValue(kv.value)).tree;

  private attrs(m: Msg, key: string, list: readonly KeyValue[]): Msg {
    return m.list(key, list, this.keyValue);
  }

  resource(r: Resource | undefined): Tree | undefined {
    if (r === undefined) return undefined;
    return this.attrs(new Msg(), 'attributes', r.attributes).num('droppedAttributesCount', r.droppedAttributesCount).tree;
  }

  scope(s: InstrumentationScope | undefined): Tree | undefined {
    if (s === undefined) return undefined;
    const m = new Msg().str('name', s.name).str('version', s.version);
    return this.attrs(m, 'attributes', s.attributes).num('droppedAttributesCount', s.droppedAttributesCount).tree;
  }

  traces(req: TracesRequest): Tree {
    return new Msg().list('resourceSpans', req.resourceSpans, (rs) =>
      new Msg()
        .always('resource', this.resource(rs.resource))
        .list('scopeSpans', rs.scopeSpans, (ss) =>
          new Msg().always('scope', this.scope(ss.scope)).list('spans', ss.spans, (s) => this.span(s)).str('schemaUrl', ss.schemaUrl).tree,
        )
        .str('schemaUrl', rs.schemaUrl).tree,
    ).tree;
  }

  private span(s: Span): Tree {
    const { c } = this;
    const m = new Msg()
      .set('traceId', c.id(s.traceId), s.traceId.length === 0)
      .set('spanId', c.id(s.spanId), s.spanId.length === 0)
      .str('traceState', s.traceState)
      .set('parentSpanId', c.id(s.parentSpanId), s.parentSpanId.length === 0)
      .num('flags', s.flags)
      .str('name', s.name)
      .set('kind', c.enumValue(s.kind, SPAN_KIND), s.kind === 0);
    this.int64(m, 'startTimeUnixNano', s.startTimeUnixNano);
    this.int64(m, 'endTimeUnixNano', s.endTimeUnixNano);
    this.attrs(m, 'attributes', s.attributes).num('droppedAttributesCount', s.droppedAttributesCount);
    m.list('events', s.events, (e) => {
      const em = this.int64(new Msg(), 'timeUnixNano', e.timeUnixNano).str('name', e.name);
      return this.attrs(em, 'attributes', e.attributes).num('droppedAttributesCount', e.droppedAttributesCount).tree;
    }).num('droppedEventsCount', s.droppedEventsCount);
    m.list('links', s.links, (l) => {
      const lm = new Msg().set('traceId', c.id(l.traceId), l.traceId.length === 0).set('spanId', c.id(l.spanId), l.spanId.length === 0);
      return this.attrs(lm.str('traceState', l.traceState), 'attributes', l.attributes)
        .num('droppedAttributesCount', l.droppedAttributesCount)
        .num('flags', l.flags).tree;
    }).num('droppedLinksCount', s.droppedLinksCount);
    const status = s.status && new Msg().str('message', s.status.message).set('code', c.enumValue(s.status.code, STATUS_CODE), s.status.code === 0).tree;
    return m.always('status', status).tree;
  }

  metrics(req: MetricsRequest): Tree {
    return new Msg().list('resourceMetrics', req.resourceMetrics, (rm) =>
      new Msg()
        .always('resource', this.resource(rm.resource))
        .list('scopeMetrics', rm.scopeMetrics, (sm) =>
          new Msg().always('scope', this.scope(sm.scope)).list('metrics', sm.metrics, (x) => this.metric(x)).str('schemaUrl', sm.schemaUrl).tree,
        )
        .str('schemaUrl', rm.schemaUrl).tree,
    ).tree;
  }

  private metric(x: Metric): Tree {
    const m = new Msg().str('name', x.name).str('description', x.description).str('unit', x.unit);
    const d = x.data;
    const temporality = (n: number) => this.c.enumValue(n, TEMPORALITY);
    if (d?.type === 'gauge') m.always('gauge', new Msg().list('dataPoints', d.dataPoints, (p) => this.numberDp(p)).tree);
    if (d?.type === 'sum') {
      const sm = new Msg().list('dataPoints', d.dataPoints, (p) => this.numberDp(p));
      m.always('sum', sm.set('aggregationTemporality', temporality(d.aggregationTemporality), d.aggregationTemporality === 0).set('isMonotonic', true, !d.isMonotonic).tree);
    }
    if (d?.type === 'histogram') {
      const hm = new Msg().list('dataPoints', d.dataPoints, (p) => this.histogramDp(p));
      m.always('histogram', hm.set('aggregationTemporality', temporality(d.aggregationTemporality), d.aggregationTemporality === 0).tree);
    }
    if (d?.type === 'exponentialHistogram') {
      const em = new Msg().list('dataPoints', d.dataPoints, (p) => this.expHistogramDp(p));
      m.always('exponentialHistogram', em.set('aggregationTemporality', temporality(d.aggregationTemporality), d.aggregationTemporality === 0).tree);
    }
    if (d?.type === 'summary') m.always('summary', new Msg().list('dataPoints', d.dataPoints, (p) => this.summaryDp(p)).tree);
    return this.attrs(m, 'metadata', x.metadata).tree;
  }

  /** attributes, startTimeUnixNano, timeUnixNano: the head every data point kind shares. */
  private dpHead(p: { attributes: KeyValue[]; startTimeUnixNano: bigint; timeUnixNano: bigint }): Msg {
    const m = this.attrs(new Msg(), 'attributes', p.attributes);
    this.int64(m, 'startTimeUnixNano', p.startTimeUnixNano);
    return this.int64(m, 'timeUnixNano', p.timeUnixNano);
  }

  private numberValue(m: Msg, v: NumberDataPoint['value']): Msg {
    if (v?.kind === 'int') return m.always('asInt', this.c.int64(v.value));
    return this.double(m, 'asDouble', v?.value);
  }

  private exemplars(m: Msg, list: readonly Exemplar[]): Msg {
    return m.list('exemplars', list, (e) => {
      const em = this.attrs(new Msg(), 'filteredAttributes', e.filteredAttributes);
      this.int64(em, 'timeUnixNano', e.timeUnixNano);
      return this.numberValue(em, e.value)
        .set('spanId', this.c.id(e.spanId), e.spanId.length === 0)
        .set('traceId', this.c.id(e.traceId), e.traceId.length === 0).tree;
    });
  }

  private numberDp(p: NumberDataPoint): Tree {
    return this.exemplars(this.numberValue(this.dpHead(p), p.value), p.exemplars).num('flags', p.flags).tree;
  }

  private counts(m: Msg, key: string, counts: readonly bigint[]): Msg {
    return m.list(key, counts, (n) => this.c.int64(n));
  }

  private histogramDp(p: HistogramDataPoint): Tree {
    const m = this.int64(this.dpHead(p), 'count', p.count);
    this.double(m, 'sum', p.sum);
    this.counts(m, 'bucketCounts', p.bucketCounts).list('explicitBounds', p.explicitBounds, (n) => this.c.double(n));
    this.exemplars(m, p.exemplars).num('flags', p.flags);
    this.double(m, 'min', p.min);
    return this.double(m, 'max', p.max).tree;
  }

  private buckets(b: ExponentialHistogramBuckets | undefined): Tree | undefined {
    return b && this.counts(new Msg().num('offset', b.offset), 'bucketCounts', b.bucketCounts).tree;
  }

  private expHistogramDp(p: ExponentialHistogramDataPoint): Tree {
    const m = this.int64(this.dpHead(p), 'count', p.count);
    this.double(m, 'sum', p.sum);
    this.int64(m.num('scale', p.scale), 'zeroCount', p.zeroCount);
    m.always('positive', this.buckets(p.positive)).always('negative', this.buckets(p.negative)).num('flags', p.flags);
    this.exemplars(m, p.exemplars);
    this.double(m, 'min', p.min);
    this.double(m, 'max', p.max);
    return m.set('zeroThreshold', this.c.double(p.zeroThreshold), p.zeroThreshold === 0).tree;
  }

  private summaryDp(p: SummaryDataPoint): Tree {
    const m = this.int64(this.dpHead(p), 'count', p.count).set('sum', this.c.double(p.sum), p.sum === 0);
    const quantile = (q: { quantile: number; value: number }) =>
      new Msg().set('quantile', this.c.double(q.quantile), q.quantile === 0).set('value', this.c.double(q.value), q.value === 0).tree;
    return m.list('quantileValues', p.quantileValues, quantile).num('flags', p.flags).tree;
  }

  logs(req: LogsRequest): Tree {
    return new Msg().list('resourceLogs', req.resourceLogs, (rl) =>
      new Msg()
        .always('resource', this.resource(rl.resource))
        .list('scopeLogs', rl.scopeLogs, (sl) =>
          new Msg().always('scope', this.scope(sl.scope)).list('logRecords', sl.logRecords, (r) => this.logRecord(r)).str('schemaUrl', sl.schemaUrl).tree,
        )
        .str('schemaUrl', rl.schemaUrl).tree,
    ).tree;
  }

  private logRecord(r: LogRecord): Tree {
    const m = this.int64(new Msg(), 'timeUnixNano', r.timeUnixNano);
    this.int64(m, 'observedTimeUnixNano', r.observedTimeUnixNano)
      .set('severityNumber', this.c.enumValue(r.severityNumber, SEVERITY), r.severityNumber === 0)
      .str('severityText', r.severityText)
      .always('body', r.body && this.anyValue(r.body));
    return this.attrs(m, 'attributes', r.attributes)
      .num('droppedAttributesCount', r.droppedAttributesCount)
      .num('flags', r.flags)
      .set('traceId', this.c.id(r.traceId), r.traceId.length === 0)
      .set('spanId', this.c.id(r.spanId), r.spanId.length === 0)
      .str('eventName', r.eventName).tree;
  }
}

function signalTree(builder: TreeBuilder, signal: Signal, req: SignalRequest[Signal]): Tree {
  if (signal === 'traces') return builder.traces(req as TracesRequest);
  if (signal === 'metrics') return builder.metrics(req as MetricsRequest);
  return builder.logs(req as LogsRequest);
}

const snake = (key: string): string => key.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);

/** Every object key camel → snake. Safe on OTLP/JSON: all object keys are field names (attribute keys are values). */
function snakeKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(snakeKeys);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [snake(k), snakeKeys(x)]));
}

/** A plain OTLP/JSON object (lowerCamelCase keys) as request text, with the key style of `opts`. */
export function jsonText(plain: object, opts: OtlpJsonOptions = {}): Buffer {
  return Buffer.from(JSON.stringify(opts.keys === 'snake' ? snakeKeys(plain) : plain));
}

/** A model request as the OTLP/JSON request body. */
export function otlpJson<S extends Signal>(signal: S, req: SignalRequest[S], opts: OtlpJsonOptions = {}): Buffer {
  return jsonText(signalTree(new TreeBuilder(jsonCodec(opts)), signal, req), opts);
}

// The otlp-transformer's static protobufjs classes, typed loosely (as in decode-protobuf.test.ts).
type Encoder = { encode(m: object): { finish(): Uint8Array } };
const collector = (generated as unknown as { opentelemetry: { proto: { collector: Record<string, { v1: Record<string, Encoder> }> } } })
  .opentelemetry.proto.collector;
const ENCODERS: Readonly<Record<Signal, Encoder>> = {
  traces: collector.trace.v1.ExportTraceServiceRequest,
  metrics: collector.metrics.v1.ExportMetricsServiceRequest,
  logs: collector.logs.v1.ExportLogsServiceRequest,
};

/** A model request as the OTLP protobuf request body. */
export function otlpProtobuf<S extends Signal>(signal: S, req: SignalRequest[S]): Buffer {
  return Buffer.from(ENCODERS[signal].encode(signalTree(new TreeBuilder(PROTOBUF_CODEC), signal, req)).finish());
}

/** One way of putting a request on the wire. */
export interface WireVariant {
  name: string;
  contentType: 'application/x-protobuf' | 'application/json';
  body: Buffer;
}

/**
 * The same request in every encoding a client may send: protobuf, spec OTLP/JSON, snake_case keys (J4) and enum names
 * (J2). `ids: 'base64'` gives the JSON variants DataKit 1.84's reading of ids (Q1), for strict_datakit gateways.
 */
export function wireVariants<S extends Signal>(signal: S, req: SignalRequest[S], ids: OtlpJsonOptions['ids'] = 'hex'): WireVariant[] {
  const json = (name: string, opts: OtlpJsonOptions): WireVariant => ({ name, contentType: 'application/json', body: otlpJson(signal, req, { ...opts, ids }) });
  return [
    { name: 'protobuf', contentType: 'application/x-protobuf', body: otlpProtobuf(signal, req) },
    json('JSON', {}),
    json('JSON snake_case', { keys: 'snake' }),
    json('JSON enum names', { enums: 'name' }),
  ];
}
