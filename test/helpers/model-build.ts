/** Terse builders for the internal OTLP model, for hand-made conversion fixtures. */
import type {
  AnyValue,
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
  ResourceLogs,
  ResourceMetrics,
  ResourceSpans,
  SummaryDataPoint,
  Span,
  SpanEvent,
  TracesRequest,
} from '../../src/otlp/model.js';

export const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

/** Zero-length bytes as the decoders give them for an absent field (a Buffer, the class they produce). */
export const EMPTY_BYTES: Uint8Array = Buffer.alloc(0);

export const sv = (value: string): AnyValue => ({ kind: 'string', value });
export const iv = (value: bigint | number): AnyValue => ({ kind: 'int', value: BigInt(value) });
export const dv = (value: number): AnyValue => ({ kind: 'double', value });
export const bv = (value: boolean): AnyValue => ({ kind: 'bool', value });

export const kv = (key: string, value: AnyValue | undefined): KeyValue => ({ key, value });

/** Attributes from a plain object: strings, booleans, bigints (int), numbers (double), or AnyValue objects. */
export function attrs(o: Record<string, string | boolean | bigint | number | AnyValue | undefined>): KeyValue[] {
  return Object.entries(o).map(([key, v]) => {
    let value: AnyValue | undefined;
    if (v === undefined) value = undefined;
    else if (typeof v === 'string') value = sv(v);
    else if (typeof v === 'boolean') value = bv(v);
    else if (typeof v === 'bigint') value = iv(v);
    else if (typeof v === 'number') value = dv(v);
    else value = v;
    return { key, value };
  });
}

export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
export const T0 = 1_700_000_000_000_000_000n;

/** A Span message with no field set, as both decoders give it. */
export const EMPTY_SPAN: Readonly<Span> = {
  traceId: EMPTY_BYTES,
  spanId: EMPTY_BYTES,
  traceState: '',
  parentSpanId: EMPTY_BYTES,
  flags: 0,
  name: '',
  kind: 0,
  startTimeUnixNano: 0n,
  endTimeUnixNano: 0n,
  attributes: [],
  droppedAttributesCount: 0,
  events: [],
  droppedEventsCount: 0,
  links: [],
  droppedLinksCount: 0,
  status: undefined,
};

/** A root SERVER span `GET /cart` with trace and span ids and an unset status, then the overrides. */
export function span(p: Partial<Span> & { name?: string } = {}): Span {
  return {
    ...EMPTY_SPAN,
    traceId: hex(TRACE_ID),
    spanId: hex('00f067aa0ba902b7'),
    name: 'GET /cart',
    kind: 2,
    startTimeUnixNano: T0,
    endTimeUnixNano: T0 + 1_520_000n,
    attributes: [],
    events: [],
    links: [],
    status: { message: '', code: 0 },
    ...p,
  };
}

/** The first span of the first ScopeSpans of the first ResourceSpans. */
export const firstSpan = (req: TracesRequest): Span => req.resourceSpans[0].scopeSpans[0].spans[0];

export function event(name: string, attributes: KeyValue[] = [], timeUnixNano = T0 + 1000n): SpanEvent {
  return { name, attributes, timeUnixNano, droppedAttributesCount: 0 };
}

export function resourceSpans(resourceAttrs: KeyValue[] | undefined, spans: Span[], scope?: InstrumentationScope): ResourceSpans {
  return {
    resource: resourceAttrs === undefined ? undefined : { attributes: resourceAttrs, droppedAttributesCount: 0 },
    scopeSpans: [{ scope, spans, schemaUrl: '' }],
    schemaUrl: '',
  };
}

export const traces = (...resourceSpansList: ResourceSpans[]): TracesRequest => ({ resourceSpans: resourceSpansList });

// ------------------------------------------------------------------------------------- metrics and logs

/** An InstrumentationScope (version "1.0"). */
export function scope(name: string, attributes: KeyValue[] = []): InstrumentationScope {
  return { name, version: '1.0', attributes, droppedAttributesCount: 0 };
}

const dpBase = { startTimeUnixNano: 0n, timeUnixNano: T0, exemplars: [], flags: 0 };

/** A NumberDataPoint: a bigint is `as_int`, a number `as_double`, undefined no value. */
export function numberDp(value: bigint | number | undefined, attributes: KeyValue[] = [], p: Partial<NumberDataPoint> = {}): NumberDataPoint {
  const v: NumberValue | undefined =
    value === undefined ? undefined : typeof value === 'bigint' ? { kind: 'int', value } : { kind: 'double', value };
  return { ...dpBase, attributes, value: v, ...p };
}

export function histogramDp(p: Partial<HistogramDataPoint> = {}): HistogramDataPoint {
  return { ...dpBase, attributes: [], count: 0n, sum: undefined, bucketCounts: [], explicitBounds: [], min: undefined, max: undefined, ...p };
}

export function expHistogramDp(p: Partial<ExponentialHistogramDataPoint> = {}): ExponentialHistogramDataPoint {
  return {
    ...dpBase,
    attributes: [],
    count: 0n,
    sum: undefined,
    scale: 0,
    zeroCount: 0n,
    positive: undefined,
    negative: undefined,
    min: undefined,
    max: undefined,
    zeroThreshold: 0,
    ...p,
  };
}

export function summaryDp(p: Partial<SummaryDataPoint> = {}): SummaryDataPoint {
  return { startTimeUnixNano: 0n, timeUnixNano: T0, attributes: [], count: 0n, sum: 0, quantileValues: [], flags: 0, ...p };
}

export function metric(name: string, data: MetricData | undefined, unit = ''): Metric {
  return { name, description: '', unit, data, metadata: [] };
}

export const gauge = (name: string, dataPoints: NumberDataPoint[], unit = ''): Metric => metric(name, { type: 'gauge', dataPoints }, unit);
export const sum = (name: string, dataPoints: NumberDataPoint[], unit = ''): Metric =>
  metric(name, { type: 'sum', dataPoints, aggregationTemporality: 2, isMonotonic: true }, unit);
export const histogram = (name: string, dataPoints: HistogramDataPoint[], unit = ''): Metric =>
  metric(name, { type: 'histogram', dataPoints, aggregationTemporality: 2 }, unit);
export const expHistogram = (name: string, dataPoints: ExponentialHistogramDataPoint[], unit = ''): Metric =>
  metric(name, { type: 'exponentialHistogram', dataPoints, aggregationTemporality: 2 }, unit);
export const summary = (name: string, dataPoints: SummaryDataPoint[], unit = ''): Metric => metric(name, { type: 'summary', dataPoints }, unit);

/** One ResourceMetrics with one ScopeMetrics; `resourceAttrs` undefined = no resource message. */
export function resourceMetrics(resourceAttrs: KeyValue[] | undefined, metrics: Metric[], metricScope?: InstrumentationScope): ResourceMetrics {
  return {
    resource: resourceAttrs === undefined ? undefined : { attributes: resourceAttrs, droppedAttributesCount: 0 },
    scopeMetrics: [{ scope: metricScope, metrics, schemaUrl: '' }],
    schemaUrl: '',
  };
}

export const metricsReq = (...resourceMetricsList: ResourceMetrics[]): MetricsRequest => ({ resourceMetrics: resourceMetricsList });

/** A LogRecord message with no field set, as both decoders give it. */
export const EMPTY_LOG_RECORD: Readonly<LogRecord> = {
  timeUnixNano: 0n,
  observedTimeUnixNano: 0n,
  severityNumber: 0,
  severityText: '',
  body: undefined,
  attributes: [],
  droppedAttributesCount: 0,
  flags: 0,
  traceId: EMPTY_BYTES,
  spanId: EMPTY_BYTES,
  eventName: '',
};

/** An INFO record `hello` at T0 without trace context, then the overrides. */
export function logRecord(p: Partial<LogRecord> = {}): LogRecord {
  return { ...EMPTY_LOG_RECORD, timeUnixNano: T0, severityNumber: 9, severityText: 'INFO', body: sv('hello'), attributes: [], ...p };
}

/** One ResourceLogs with one ScopeLogs; `resourceAttrs` undefined = no resource message. */
export function resourceLogs(
  resourceAttrs: KeyValue[] | undefined,
  records: LogRecord[],
  logScope?: InstrumentationScope,
  schemaUrl = '',
): ResourceLogs {
  return {
    resource: resourceAttrs === undefined ? undefined : { attributes: resourceAttrs, droppedAttributesCount: 0 },
    scopeLogs: [{ scope: logScope, logRecords: records, schemaUrl: '' }],
    schemaUrl,
  };
}

export const logsReq = (...resourceLogsList: ResourceLogs[]): LogsRequest => ({ resourceLogs: resourceLogsList });
