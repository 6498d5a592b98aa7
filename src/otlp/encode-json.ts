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
  Resource,
  Span,
  SummaryDataPoint,
  TracesRequest,
} from './model.js';

/**
 * The internal OTLP model → plain object trees shaped like OTLP messages: with `jsonCodec()`, OTLP/JSON per the spec
 * (otlp-http-receiver.md §1.8): lowerCamelCase keys, hex ids (J1), enums as integers (J2), 64-bit integers as decimal
 * strings (J5), bytes as base64, NaN/±Infinity as strings (J6), proto3 zero values left out. The leaf encoding is a
 * `Codec`, so the same walk also feeds a protobuf encoder (the tests' otlp-json helper) and the fixture API's
 * `origin` (src/fixture/render.ts). Fields the old DataKit schema lacks (Span.flags, LogRecord.eventName,
 * Metric.metadata, zeroThreshold: Q2) are written only when non-zero, so a default model gives JSON DataKit reads.
 */

export interface OtlpJsonOptions {
  /** Default `int` (the spec); `name` writes `"SPAN_KIND_SERVER"` and the like (J2). */
  enums?: 'int' | 'name';
  /** Default `hex` (the spec, J1); `base64` is the proto3 bytes mapping DataKit 1.84 applies to ids (Q1). */
  ids?: 'hex' | 'base64';
}

export type Tree = Record<string, unknown>;

/** How leaf values are written: the only difference between the JSON and the protobuf object trees. */
export interface Codec {
  id(b: Uint8Array): unknown;
  bytes(b: Uint8Array): unknown;
  int64(n: bigint): unknown;
  double(n: number): unknown;
  enumValue(n: number, names: readonly string[]): unknown;
}

const bufferOf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const base64 = (b: Uint8Array): string => bufferOf(b).toString('base64');

export function jsonCodec(opts: OtlpJsonOptions = {}): Codec {
  return {
    id: (b) => (opts.ids === 'base64' ? base64(b) : bufferOf(b).toString('hex')),
    bytes: base64,
    int64: (n) => n.toString(),
    double: (n) => (Number.isFinite(n) ? n : Number.isNaN(n) ? 'NaN' : n > 0 ? 'Infinity' : '-Infinity'),
    enumValue: (n, names) => (opts.enums === 'name' && names[n] !== undefined ? names[n] : n),
  };
}

const SPAN_KIND = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_CODE = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];
const TEMPORALITY = ['AGGREGATION_TEMPORALITY_UNSPECIFIED', 'AGGREGATION_TEMPORALITY_DELTA', 'AGGREGATION_TEMPORALITY_CUMULATIVE'];
const SEVERITY = [
  'SEVERITY_NUMBER_UNSPECIFIED',
  ...['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((s) => [s, `${s}2`, `${s}3`, `${s}4`].map((n) => `SEVERITY_NUMBER_${n}`)),
];

export type DataPoint = NumberDataPoint | HistogramDataPoint | ExponentialHistogramDataPoint | SummaryDataPoint;

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

export class OtlpTreeBuilder {
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

  /**
   * The Resource* → Scope* → entries levels every request has, alike in all three signals but for their key names
   * (`keys`: the Resource* list, the Scope* list, the entry list) and where the model keeps the lists.
   */
  private levels<
    R extends { resource?: Resource; schemaUrl: string },
    S extends { scope?: InstrumentationScope; schemaUrl: string },
    E,
  >(
    keys: readonly [resources: string, scopes: string, entries: string],
    resources: readonly R[],
    scopesOf: (r: R) => readonly S[],
    entriesOf: (s: S) => readonly E[],
    entry: (e: E) => Tree,
  ): Tree {
    return new Msg().list(keys[0], resources, (r) =>
      new Msg()
        .always('resource', this.resource(r.resource))
        .list(keys[1], scopesOf(r), (s) =>
          new Msg().always('scope', this.scope(s.scope)).list(keys[2], entriesOf(s), entry).str('schemaUrl', s.schemaUrl).tree,
        )
        .str('schemaUrl', r.schemaUrl).tree,
    ).tree;
  }

  traces(req: TracesRequest): Tree {
    const keys = ['resourceSpans', 'scopeSpans', 'spans'] as const;
    return this.levels(keys, req.resourceSpans, (rs) => rs.scopeSpans, (ss) => ss.spans, (x) => this.span(x));
  }

  span(s: Span): Tree {
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
    const keys = ['resourceMetrics', 'scopeMetrics', 'metrics'] as const;
    return this.levels(keys, req.resourceMetrics, (rm) => rm.scopeMetrics, (sm) => sm.metrics, (x) => this.metric(x));
  }

  /** A Metric; without its data points when `withDataPoints` is false (one data point is then shown apart). */
  metric(x: Metric, withDataPoints = true): Tree {
    const m = new Msg().str('name', x.name).str('description', x.description).str('unit', x.unit);
    const d = x.data;
    if (d !== undefined) {
      const dm = withDataPoints ? this.dataPoints(d) : new Msg();
      if (d.type === 'sum' || d.type === 'histogram' || d.type === 'exponentialHistogram') {
        dm.set('aggregationTemporality', this.c.enumValue(d.aggregationTemporality, TEMPORALITY), d.aggregationTemporality === 0);
      }
      if (d.type === 'sum') dm.set('isMonotonic', true, !d.isMonotonic);
      m.always(d.type, dm.tree);
    }
    return this.attrs(m, 'metadata', x.metadata).tree;
  }

  private dataPoints(d: MetricData): Msg {
    const m = new Msg();
    switch (d.type) {
      case 'gauge':
      case 'sum':
        return m.list('dataPoints', d.dataPoints, (p) => this.numberDp(p));
      case 'histogram':
        return m.list('dataPoints', d.dataPoints, (p) => this.histogramDp(p));
      case 'exponentialHistogram':
        return m.list('dataPoints', d.dataPoints, (p) => this.expHistogramDp(p));
      case 'summary':
        return m.list('dataPoints', d.dataPoints, (p) => this.summaryDp(p));
    }
  }

  /** One data point of a metric whose data is of kind `type`. */
  dataPoint(type: MetricData['type'], p: DataPoint): Tree {
    switch (type) {
      case 'gauge':
      case 'sum':
        return this.numberDp(p as NumberDataPoint);
      case 'histogram':
        return this.histogramDp(p as HistogramDataPoint);
      case 'exponentialHistogram':
        return this.expHistogramDp(p as ExponentialHistogramDataPoint);
      case 'summary':
        return this.summaryDp(p as SummaryDataPoint);
    }
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
    const keys = ['resourceLogs', 'scopeLogs', 'logRecords'] as const;
    return this.levels(keys, req.resourceLogs, (rl) => rl.scopeLogs, (sl) => sl.logRecords, (x) => this.logRecord(x));
  }

  logRecord(r: LogRecord): Tree {
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
