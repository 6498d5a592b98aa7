/** Terse builders for the internal OTLP model, for hand-made conversion fixtures. */
import type {
  AnyValue,
  InstrumentationScope,
  KeyValue,
  ResourceSpans,
  Span,
  SpanEvent,
  TracesRequest,
} from '../../src/otlp/model.js';
import type { OtelInputConfig } from '../../src/config/types.js';

export const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

export const sv = (value: string): AnyValue => ({ kind: 'string', value });
export const iv = (value: bigint | number): AnyValue => ({ kind: 'int', value: BigInt(value) });
export const dv = (value: number): AnyValue => ({ kind: 'double', value });
export const bv = (value: boolean): AnyValue => ({ kind: 'bool', value });

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

export function span(p: Partial<Span> & { name?: string } = {}): Span {
  return {
    traceId: hex(TRACE_ID),
    spanId: hex('00f067aa0ba902b7'),
    traceState: '',
    parentSpanId: new Uint8Array(0),
    flags: 0,
    name: 'GET /cart',
    kind: 2,
    startTimeUnixNano: T0,
    endTimeUnixNano: T0 + 1_520_000n,
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { message: '', code: 0 },
    ...p,
  };
}

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

/** An `[[inputs.opentelemetry]]` with DataKit's defaults (datakit reference §1.2) and the given overrides. */
export function input(overrides: Partial<OtelInputConfig> = {}): OtelInputConfig {
  return {
    customerTags: [],
    customerTagsAll: false,
    keepRareResource: false,
    omitErrStatus: [],
    compatibleDdtrace: false,
    compatibleZhaoshang: false,
    splitServiceName: true,
    delMessage: false,
    cleanMessage: true,
    logMax: 500,
    jmarshaler: 'protojson',
    tracingMetricEnable: false,
    tracingMetricTagBlacklist: ['resource'],
    tracingMetricTagWhitelist: [],
    strictDatakit: false,
    http: { httpStatusOk: 200, traceApi: '/otel/v1/traces', metricApi: '/otel/v1/metrics', logsApi: '/otel/v1/logs' },
    tags: {},
    closeResource: {},
    expectedHeaders: {},
    ...overrides,
  };
}
