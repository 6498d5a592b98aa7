/**
 * The direct wire decoder (src/otlp/wire, the production `decode*Protobuf`) against the protobufjs reference
 * (`decode*ProtobufReflect`): identical models, identical line protocol, identical DecodeErrors — on every real body
 * we can build, on random models and random damage, and on hand-made bodies for each protobufjs quirk.
 */
import t, { type Test } from 'tap';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { readdirSync, readFileSync } from 'node:fs';
import { encodePoints } from '../src/datakit/line-protocol.js';
import { convertLogs } from '../src/datakit/logs.js';
import { convertMetrics } from '../src/datakit/metrics.js';
import { convertTraces } from '../src/datakit/trace.js';
import { DecodeError } from '../src/otlp/decode-error.js';
import { decodeLogsJson, decodeMetricsJson, decodeTracesJson } from '../src/otlp/decode-json.js';
import {
  decodeLogsProtobuf,
  decodeLogsProtobufReflect,
  decodeMetricsProtobuf,
  decodeMetricsProtobufReflect,
  decodeTracesProtobuf,
  decodeTracesProtobufReflect,
  type ProtobufDecodeOptions,
} from '../src/otlp/decode-protobuf.js';
import { encodeRequestProtobuf } from '../src/otlp/encode-protobuf.js';
import type { AnyValue, KeyValue, LogRecord, Metric, MetricData, Signal, SignalRequest, Span } from '../src/otlp/model.js';
import { traceSpans } from '../bench/payloads.js';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { convertContext, input } from './helpers/config-build.js';
import { mutatedBytes } from './helpers/hostile-bodies.js';
import { logsRequest, metricsRequest, tracesRequest } from './helpers/otlp-build.js';

type Decoder<S extends Signal> = (body: Uint8Array, opts?: ProtobufDecodeOptions) => SignalRequest[S];
const DECODERS: { [S in Signal]: { wire: Decoder<S>; reflect: Decoder<S> } } = {
  traces: { wire: decodeTracesProtobuf, reflect: decodeTracesProtobufReflect },
  metrics: { wire: decodeMetricsProtobuf, reflect: decodeMetricsProtobufReflect },
  logs: { wire: decodeLogsProtobuf, reflect: decodeLogsProtobufReflect },
};
const SIGNALS: readonly Signal[] = ['traces', 'metrics', 'logs'];

/** The model, or the DecodeError's message; any other exception is a failure of its own. */
type Outcome<S extends Signal> = { model: SignalRequest[S] } | { error: string };
function outcome<S extends Signal>(decode: Decoder<S>, body: Uint8Array, opts?: ProtobufDecodeOptions): Outcome<S> {
  try {
    return { model: decode(body, opts) };
  } catch (err) {
    if (err instanceof DecodeError) return { error: err.message };
    return { error: `not a DecodeError: ${String(err)}` };
  }
}

function lineProtocol<S extends Signal>(signal: S, req: SignalRequest[S]): string {
  const ctx = convertContext(input());
  if (signal === 'traces') return encodePoints(convertTraces(req as SignalRequest['traces'], ctx));
  if (signal === 'metrics') return encodePoints(convertMetrics(req as SignalRequest['metrics'], ctx));
  return encodePoints(convertLogs(req as SignalRequest['logs'], ctx));
}

/** Both decoders agree on `body`: the same model (or the same DecodeError) and the same line protocol. */
function agree<S extends Signal>(t: Test, signal: S, body: Uint8Array, what: string, opts?: ProtobufDecodeOptions): Outcome<S> {
  const wire = outcome(DECODERS[signal].wire, body, opts);
  const reflect = outcome(DECODERS[signal].reflect, body, opts);
  t.strictSame(wire, reflect, `${what}: same model`);
  if ('model' in wire && 'model' in reflect) t.equal(lineProtocol(signal, wire.model), lineProtocol(signal, reflect.model), `${what}: same line protocol`);
  return wire;
}

/** Same as `agree`, without tap output per body (for property runs): throws on the first difference. */
function agreeQuietly<S extends Signal>(signal: S, body: Uint8Array, opts?: ProtobufDecodeOptions): boolean {
  const wire = outcome(DECODERS[signal].wire, body, opts);
  const reflect = outcome(DECODERS[signal].reflect, body, opts);
  if (!tapSame(wire, reflect)) throw new Error(`decoders differ on ${Buffer.from(body).toString('hex')}:\n${show(wire)}\n${show(reflect)}`);
  return true;
}
const show = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
/** Deep equality as strictSame sees it for these plain trees (bigints, Buffers, undefined-valued keys). */
function tapSame(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (ArrayBuffer.isView(a)) return Buffer.compare(a as Uint8Array, b as Uint8Array) === 0;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => k in b && tapSame((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

// ------------------------------------------------------------------------------------------- every real body

async function realBodies(): Promise<{ signal: Signal; what: string; body: Uint8Array }[]> {
  const bodies: { signal: Signal; what: string; body: Uint8Array }[] = [];
  const sdk = { traces: await tracesRequest(), metrics: await metricsRequest(), logs: await logsRequest() };
  for (const signal of SIGNALS) bodies.push({ signal, what: `SDK ${signal} request`, body: sdk[signal].protobuf });
  bodies.push({ signal: 'traces', what: 'bench 100-span LLM trace', body: ProtobufTraceSerializer.serializeRequest(traceSpans(100))! });
  // The JSON examples (and the SDK's JSON twins) re-encoded by our own encoder.
  const json = { traces: decodeTracesJson, metrics: decodeMetricsJson, logs: decodeLogsJson } as const;
  const jsonOpts = { strictDatakit: false, maxDepth: 100 };
  const examples = new URL('./fixtures/otlp-examples/', import.meta.url);
  const exampleSignal: Record<string, Signal> = { 'trace.json': 'traces', 'events.json': 'traces', 'metrics.json': 'metrics', 'logs.json': 'logs' };
  for (const file of readdirSync(examples)) {
    const signal = exampleSignal[file];
    const model = json[signal](readFileSync(new URL(file, examples)), jsonOpts);
    bodies.push({ signal, what: `fixture ${file} re-encoded`, body: encodeRequestProtobuf(signal, model as never) });
  }
  for (const signal of SIGNALS) {
    const model = json[signal](sdk[signal].json, jsonOpts);
    bodies.push({ signal, what: `SDK ${signal} JSON twin re-encoded`, body: encodeRequestProtobuf(signal, model as never) });
  }
  const corpus = new URL('./corpus/', import.meta.url);
  for (const file of readdirSync(corpus).filter((f) => f.split('.')[1] === 'pb')) {
    bodies.push({ signal: file.split('.')[0] as Signal, what: `corpus ${file}`, body: readFileSync(new URL(file, corpus)) });
  }
  return bodies;
}

const REAL = await realBodies();

t.test('every real body: same model and same line protocol from both decoders', async (t) => {
  for (const { signal, what, body } of REAL) agree(t, signal, body, what);
  // The corpus pins: a group wire type on a known field and invalid UTF-8 are accepted, a cut varint is not.
  const corpus = (name: string) => REAL.find((b) => b.what === `corpus ${name}`)!;
  t.ok('model' in outcome(decodeTracesProtobuf, corpus('traces.pb.group-wire-type').body));
  t.ok('error' in outcome(decodeMetricsProtobuf, corpus('metrics.pb.truncated-varint').body));
  const log = outcome(decodeLogsProtobuf, corpus('logs.pb.bad-utf8-string').body);
  t.ok('model' in log && show(log).includes('\ufffd'), 'invalid UTF-8 becomes U+FFFD');
});

// -------------------------------------------------------------------------------------- random models, damage

const str = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('', 'service.name', 'http.method', 'ü€😀'));
const u32 = fc.nat({ max: 0xffffffff });
const i32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const i64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
const dbl = fc.double();
const id = (n: number) => fc.oneof(fc.constant(Buffer.alloc(0)), fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b)));

const { anyValue } = fc.letrec<{ anyValue: AnyValue }>((tie) => ({
  anyValue: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    str.map((value): AnyValue => ({ kind: 'string', value })),
    fc.boolean().map((value): AnyValue => ({ kind: 'bool', value })),
    i64.map((value): AnyValue => ({ kind: 'int', value })),
    dbl.map((value): AnyValue => ({ kind: 'double', value })),
    fc.uint8Array({ maxLength: 4 }).map((value): AnyValue => ({ kind: 'bytes', value: Buffer.from(value) })),
    fc.array(tie('anyValue'), { maxLength: 3 }).map((values): AnyValue => ({ kind: 'array', values })),
    fc.array(fc.record({ key: str, value: fc.option(tie('anyValue'), { nil: undefined }) }), { maxLength: 3 }).map((values): AnyValue => ({ kind: 'kvlist', values })),
    fc.constant<AnyValue>({ kind: 'empty' }),
  ),
}));
const attributes = fc.array(fc.record({ key: str, value: fc.option(anyValue, { nil: undefined }) }), { maxLength: 3 }) as fc.Arbitrary<KeyValue[]>;
const resource = fc.option(fc.record({ attributes, droppedAttributesCount: u32 }), { nil: undefined });
const scope = fc.option(fc.record({ name: str, version: str, attributes, droppedAttributesCount: u32 }), { nil: undefined });

const span: fc.Arbitrary<Span> = fc.record({
  traceId: id(16),
  spanId: id(8),
  traceState: str,
  parentSpanId: id(8),
  flags: u32,
  name: str,
  kind: i32,
  startTimeUnixNano: u64,
  endTimeUnixNano: u64,
  attributes,
  droppedAttributesCount: u32,
  events: fc.array(fc.record({ timeUnixNano: u64, name: str, attributes, droppedAttributesCount: u32 }), { maxLength: 2 }),
  droppedEventsCount: u32,
  links: fc.array(fc.record({ traceId: id(16), spanId: id(8), traceState: str, attributes, droppedAttributesCount: u32, flags: u32 }), { maxLength: 2 }),
  droppedLinksCount: u32,
  status: fc.option(fc.record({ message: str, code: i32 }), { nil: undefined }),
});

const numberValue = fc.option(fc.oneof(dbl.map((value) => ({ kind: 'double' as const, value })), i64.map((value) => ({ kind: 'int' as const, value }))), { nil: undefined });
const exemplars = fc.array(fc.record({ filteredAttributes: attributes, timeUnixNano: u64, value: numberValue, spanId: id(8), traceId: id(16) }), { maxLength: 2 });
const pointBase = { attributes, startTimeUnixNano: u64, timeUnixNano: u64, flags: u32 };
const optDouble = fc.option(dbl, { nil: undefined });
const buckets = fc.option(fc.record({ offset: i32, bucketCounts: fc.array(u64, { maxLength: 4 }) }), { nil: undefined });
const metricData: fc.Arbitrary<MetricData | undefined> = fc.option(
  fc.oneof(
    fc.record({ type: fc.constant('gauge' as const), dataPoints: fc.array(fc.record({ ...pointBase, value: numberValue, exemplars }), { maxLength: 2 }) }),
    fc.record({
      type: fc.constant('sum' as const),
      dataPoints: fc.array(fc.record({ ...pointBase, value: numberValue, exemplars }), { maxLength: 2 }),
      aggregationTemporality: i32,
      isMonotonic: fc.boolean(),
    }),
    fc.record({
      type: fc.constant('histogram' as const),
      dataPoints: fc.array(
        fc.record({ ...pointBase, count: u64, sum: optDouble, bucketCounts: fc.array(u64, { maxLength: 4 }), explicitBounds: fc.array(dbl, { maxLength: 4 }), exemplars, min: optDouble, max: optDouble }),
        { maxLength: 2 },
      ),
      aggregationTemporality: i32,
    }),
    fc.record({
      type: fc.constant('exponentialHistogram' as const),
      dataPoints: fc.array(
        fc.record({ ...pointBase, count: u64, sum: optDouble, scale: i32, zeroCount: u64, positive: buckets, negative: buckets, exemplars, min: optDouble, max: optDouble, zeroThreshold: dbl }),
        { maxLength: 2 },
      ),
      aggregationTemporality: i32,
    }),
    fc.record({
      type: fc.constant('summary' as const),
      dataPoints: fc.array(
        fc.record({ ...pointBase, count: u64, sum: dbl, quantileValues: fc.array(fc.record({ quantile: dbl, value: dbl }), { maxLength: 3 }) }),
        { maxLength: 2 },
      ),
    }),
  ),
  { nil: undefined },
);
const metric: fc.Arbitrary<Metric> = fc.record({ name: str, description: str, unit: str, data: metricData, metadata: attributes });
const logRecord: fc.Arbitrary<LogRecord> = fc.record({
  timeUnixNano: u64,
  observedTimeUnixNano: u64,
  severityNumber: i32,
  severityText: str,
  body: fc.option(anyValue, { nil: undefined }),
  attributes,
  droppedAttributesCount: u32,
  flags: u32,
  traceId: id(16),
  spanId: id(8),
  eventName: str,
});

const levels = <T>(entry: fc.Arbitrary<T>) =>
  fc.array(fc.record({ resource, scopes: fc.array(fc.record({ scope, entries: fc.array(entry, { maxLength: 3 }), schemaUrl: str }), { maxLength: 2 }), schemaUrl: str }), { maxLength: 2 });
const REQUESTS: { [S in Signal]: fc.Arbitrary<SignalRequest[S]> } = {
  traces: levels(span).map((rs) => ({ resourceSpans: rs.map((r) => ({ resource: r.resource, scopeSpans: r.scopes.map((s) => ({ scope: s.scope, spans: s.entries, schemaUrl: s.schemaUrl })), schemaUrl: r.schemaUrl })) })),
  metrics: levels(metric).map((rm) => ({ resourceMetrics: rm.map((r) => ({ resource: r.resource, scopeMetrics: r.scopes.map((s) => ({ scope: s.scope, metrics: s.entries, schemaUrl: s.schemaUrl })), schemaUrl: r.schemaUrl })) })),
  logs: levels(logRecord).map((rl) => ({ resourceLogs: rl.map((r) => ({ resource: r.resource, scopeLogs: r.scopes.map((s) => ({ scope: s.scope, logRecords: s.entries, schemaUrl: s.schemaUrl })), schemaUrl: r.schemaUrl })) })),
};

t.test('random models encoded by encode-protobuf.ts: both decoders give the same model', async (t) => {
  for (const signal of SIGNALS) {
    fc.assert(fc.property(REQUESTS[signal] as fc.Arbitrary<SignalRequest[Signal]>, (req) => agreeQuietly(signal, encodeRequestProtobuf(signal, req as never))), { numRuns: 300 });
    // A shallow maxDepth makes the depth rule bite inside random values.
    fc.assert(fc.property(REQUESTS[signal] as fc.Arbitrary<SignalRequest[Signal]>, (req) => agreeQuietly(signal, encodeRequestProtobuf(signal, req as never), { maxDepth: 1 })), { numRuns: 200 });
    t.pass(`${signal}: random models agree`);
  }
});

t.test('random damage to valid bodies: same model or the same DecodeError', async (t) => {
  for (const signal of SIGNALS) {
    const seeds = [...REAL.filter((b) => b.signal === signal && !b.what.includes('100-span')).map((b) => b.body), ...fc.sample(REQUESTS[signal] as fc.Arbitrary<SignalRequest[Signal]>, { numRuns: 20, seed: 7 }).map((req) => encodeRequestProtobuf(signal, req as never))];
    fc.assert(fc.property(mutatedBytes(seeds), (body) => agreeQuietly(signal, body)), { numRuns: 1500 });
    fc.assert(fc.property(fc.constantFrom(...seeds), fc.nat(), (body, cut) => agreeQuietly(signal, body.subarray(0, cut % (body.length + 1)))), { numRuns: 500 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 48 }), (body) => agreeQuietly(signal, Buffer.from(body))), { numRuns: 1000 });
    t.pass(`${signal}: damaged bodies agree`);
  }
});

// ------------------------------------------------------------------------------------------ hand-made bodies

const w = () => protobuf.Writer.create();
const tag = (id: number, wireType: number): Uint8Array => w().uint32((id << 3) | wireType).finish();
const field = (id: number, content: Uint8Array): Uint8Array => w().uint32((id << 3) | 2).bytes(content).finish();
const str8 = (id: number, s: string): Uint8Array => field(id, Buffer.from(s));
const varint = (id: number, v: number): Uint8Array => w().uint32(id << 3).int32(v).finish();
const fixed64 = (id: number, v: number): Uint8Array => w().uint32((id << 3) | 1).fixed64(v).finish();
const double = (id: number, v: number): Uint8Array => w().uint32((id << 3) | 1).double(v).finish();
const cat = (...parts: Uint8Array[]): Buffer => Buffer.concat(parts);
/** ExportTraceServiceRequest → ResourceSpans → ScopeSpans → the span bytes. */
const inSpan = (span: Uint8Array): Buffer => field(1, field(2, field(2, span))) as Buffer;
/** ExportMetricsServiceRequest → ResourceMetrics → ScopeMetrics → the metric bytes. */
const inMetric = (metric: Uint8Array): Buffer => field(1, field(2, field(2, metric))) as Buffer;
/** ExportLogsServiceRequest → ResourceLogs → ScopeLogs → the log record bytes. */
const inLog = (record: Uint8Array): Buffer => field(1, field(2, field(2, record))) as Buffer;
const attr = (key: string, value: Uint8Array): Uint8Array => field(9, cat(str8(1, key), field(2, value)));

const model = <S extends Signal>(o: Outcome<S>): SignalRequest[S] => {
  if ('error' in o) throw new Error(o.error);
  return o.model;
};
const spanOf = (o: Outcome<'traces'>): Span => model(o).resourceSpans[0].scopeSpans[0].spans[0];
const dataOf = (o: Outcome<'metrics'>): MetricData | undefined => model(o).resourceMetrics[0].scopeMetrics[0].metrics[0].data;

t.test('repeated scalars: packed and unpacked both accepted, and mixed', async (t) => {
  const bounds = [1.5, -2, 1e300];
  const counts = [3, 0, 2 ** 40];
  const packed = cat(field(6, cat(...counts.map((c) => w().fixed64(c).finish()))), field(7, cat(...bounds.map((b) => w().double(b).finish()))));
  const unpacked = cat(...counts.map((c) => fixed64(6, c)), ...bounds.map((b) => double(7, b)));
  const mixed = cat(fixed64(6, counts[0]), field(6, cat(...counts.slice(1).map((c) => w().fixed64(c).finish()))), ...bounds.map((b) => double(7, b)));
  for (const [what, point] of [['packed', packed], ['unpacked', unpacked], ['mixed', mixed]] as const) {
    const o = agree(t, 'metrics', inMetric(field(9, field(1, point))), what);
    const data = dataOf(o);
    t.strictSame(data?.type === 'histogram' && [data.dataPoints[0].bucketCounts, data.dataPoints[0].explicitBounds], [[3n, 0n, 2n ** 40n], bounds], what);
  }
  // ExponentialHistogram buckets: varint uint64 counts, packed and not.
  const exp = (b: Uint8Array) => inMetric(field(10, field(1, field(8, b))));
  const p = agree(t, 'metrics', exp(cat(w().uint32(8).sint32(-3).finish(), field(2, w().uint64(1).uint64(2 ** 35).finish()))), 'packed uint64');
  const u = agree(t, 'metrics', exp(cat(w().uint32(8).sint32(-3).finish(), w().uint32(16).uint64(1).uint32(16).uint64(2 ** 35).finish())), 'unpacked uint64');
  for (const o of [p, u]) {
    const data = dataOf(o);
    t.strictSame(data?.type === 'exponentialHistogram' && data.dataPoints[0].positive, { offset: -3, bucketCounts: [1n, 2n ** 35n] });
  }
});

t.test('a message field sent twice is replaced, not merged (protobufjs; the protobuf spec would merge)', async (t) => {
  const o = agree(t, 'traces', inSpan(cat(str8(5, 'n'), field(15, cat(str8(2, 'first'), varint(3, 1))), field(15, varint(3, 2)))), 'status twice');
  t.strictSame(spanOf(o).status, { message: '', code: 2 });
  const resourceWithAttribute = field(1, field(1, cat(str8(1, 'a'), field(2, str8(1, 'x')))));
  const r = agree(t, 'traces', field(1, cat(resourceWithAttribute, field(1, new Uint8Array(0)))), 'resource twice');
  t.strictSame(model(r).resourceSpans[0].resource, { attributes: [], droppedAttributesCount: 0 });
  const body = inLog(cat(field(5, str8(1, 'first')), field(5, varint(2, 1))));
  t.strictSame(model(agree(t, 'logs', body, 'body twice')).resourceLogs[0].scopeLogs[0].logRecords[0].body, { kind: 'bool', value: true });
});

t.test('oneof members sent several times: the member that first appeared last wins, with its last value', async (t) => {
  const value = (...members: Uint8Array[]) => spanOf(agree(t, 'traces', inSpan(attr('k', cat(...members))), 'oneof')).attributes[0].value;
  t.strictSame(value(str8(1, 'a'), varint(3, 7)), { kind: 'int', value: 7n }, 'string then int: int');
  t.strictSame(value(varint(3, 7), str8(1, 'a')), { kind: 'string', value: 'a' }, 'int then string: string');
  // protobufjs's oneof getter walks property creation order: a member re-sent keeps its first position.
  t.strictSame(value(str8(1, 'a'), varint(3, 7), str8(1, 'b')), { kind: 'int', value: 7n }, 'string, int, string: still int');
  t.strictSame(value(varint(3, 7), str8(1, 'a'), varint(3, 9)), { kind: 'string', value: 'a' }, 'int, string, int: still string');
  t.strictSame(value(str8(1, 'a'), str8(1, 'b')), { kind: 'string', value: 'b' }, 'same member twice: last value');
  const gaugeThenSum = inMetric(cat(field(5, field(1, double(4, 1))), field(7, field(1, double(4, 2)))));
  t.equal(dataOf(agree(t, 'metrics', gaugeThenSum, 'metric data'))?.type, 'sum');
  const point = inMetric(field(5, field(1, cat(double(4, 1.5), w().uint32((6 << 3) | 1).sfixed64(-5).finish(), double(4, 2.5)))));
  const gauge = dataOf(agree(t, 'metrics', point, 'number value'));
  t.strictSame(gauge?.type === 'gauge' && gauge.dataPoints[0].value, { kind: 'int', value: -5n });
});

t.test('unknown fields of every wire type are skipped, groups included', async (t) => {
  const group = cat(tag(99, 3), varint(1, 5), tag(2, 3), str8(3, 'x'), tag(2, 4), fixed64(4, 1), tag(99, 4));
  const unknown = cat(varint(90, 1), fixed64(91, 2), str8(92, 'z'), w().uint32((93 << 3) | 5).fixed32(3).finish(), group);
  const o = agree(t, 'traces', cat(unknown, inSpan(cat(unknown, str8(5, 'n'), unknown))), 'unknown everywhere');
  t.equal(spanOf(o).name, 'n');
  // An end-group tag with no start, and the reserved wire types, are errors.
  t.strictSame(agree(t, 'traces', tag(5, 4), 'stray end group'), { error: 'invalid protobuf ExportTraceServiceRequest: invalid wire type 4 at offset 1' });
  t.strictSame(agree(t, 'logs', tag(7, 6), 'wire type 6'), { error: 'invalid protobuf ExportLogsServiceRequest: invalid wire type 6 at offset 1' });
});

t.test('a known field with the wrong wire type is read as its declared type (protobufjs does not check)', async (t) => {
  // name (string, field 5) tagged as a varint: the "varint" is taken as the length of the string that follows.
  const o = agree(t, 'traces', inSpan(cat(tag(5, 0), w().uint32(2).finish(), Buffer.from('hi'))), 'string as varint');
  t.equal(spanOf(o).name, 'hi');
  // kind (enum) tagged as fixed64: read as a varint anyway.
  t.equal(spanOf(agree(t, 'traces', inSpan(cat(tag(6, 1), w().uint32(3).finish())), 'enum as fixed64')).kind, 3);
  // flags (fixed32) tagged as a varint: four bytes are read anyway.
  t.equal(spanOf(agree(t, 'traces', inSpan(cat(tag(16, 0), Buffer.from([1, 2, 0, 0]))), 'fixed32 as varint')).flags, 0x0201);
});

t.test('negative and wide integers', async (t) => {
  const o = agree(t, 'traces', inSpan(cat(varint(6, -1), field(15, varint(3, -5)), attr('i', w().uint32(3 << 3).int64(-2).finish()))), 'negatives');
  const s = spanOf(o);
  t.strictSame([s.kind, s.status?.code, s.attributes[0].value], [-1, -5, { kind: 'int', value: -2n }]);
  // sint32 scale / offset are zig-zag.
  const exp = inMetric(field(10, field(1, cat(w().uint32(6 << 3).sint32(-20).finish(), field(9, w().uint32(8).sint32(-1).finish())))));
  const data = dataOf(agree(t, 'metrics', exp, 'sint32'));
  t.strictSame(data?.type === 'exponentialHistogram' && [data.dataPoints[0].scale, data.dataPoints[0].negative?.offset], [-20, -1]);
  // A uint32 varint keeps its low 32 bits only (protobufjs): 2^32 + 5 dropped attributes count as 5.
  t.equal(spanOf(agree(t, 'traces', inSpan(w().uint32(10 << 3).uint64(2 ** 32 + 5).finish()), 'uint32 overflow')).droppedAttributesCount, 5);
});

t.test('proto3 optional doubles keep presence', async (t) => {
  const o = agree(t, 'metrics', inMetric(field(9, cat(field(1, cat(double(5, 0), double(12, -0))), field(1, fixed64(4, 1))))), 'optional doubles');
  const data = dataOf(o);
  t.strictSame(data?.type === 'histogram' && data.dataPoints.map((p) => [p.sum, p.min, p.max]), [[0, undefined, -0], [undefined, undefined, undefined]]);
});

t.test('truncation quirks of protobufjs are kept', async (t) => {
  // A string claiming more bytes than the body has left is cut, not refused (BufferReader.string)...
  const overlong = cat(tag(5, 2), w().uint32(10).finish(), Buffer.from('abcdef'));
  t.equal(spanOf(agree(t, 'traces', inSpan(overlong), 'string cut')).name, 'abcdef');
  // ...but an enclosing message that then claims more than the body is refused.
  t.strictSame(agree(t, 'traces', inSpan(str8(5, 'abcdef')).subarray(0, -2), 'body cut in a string'), {
    error: 'invalid protobuf ExportTraceServiceRequest: index out of range: 12 + 10 > 12',
  });
  // Bytes running past the end are refused.
  t.strictSame(agree(t, 'traces', inSpan(field(1, Buffer.alloc(16))).subarray(0, -1), 'bytes cut'), {
    error: 'invalid protobuf ExportTraceServiceRequest: index out of range: 8 + 16 > 23',
  });
  // A 64-bit varint with three continuation bytes at the very end: a fourth byte is "read" past the end.
  t.strictSame(spanOf(agree(t, 'traces', inSpan(cat(str8(5, 'n'), attr('i', Buffer.from([0x18, 0x81, 0x80, 0x80])))), 'long varint at end')).attributes[0].value, {
    kind: 'int',
    value: 1n,
  });
  // A sub-message claiming more bytes than there are.
  t.strictSame(agree(t, 'metrics', Buffer.from([0x0a, 0x10, 0x1a, 0x01, 0x61]), 'long message'), {
    error: 'invalid protobuf ExportMetricsServiceRequest: index out of range: 5 + 10 > 5',
  });
});

t.test('AnyValue depth: refused only when the too-deep value ends up in the model', async (t) => {
  const nested = (levels: number): Uint8Array => {
    let v: Uint8Array = str8(1, 'leaf');
    for (let i = 1; i < levels; i++) v = field(5, field(1, v));
    return v;
  };
  const opts = { maxDepth: 3 };
  const tooDeep = { error: 'AnyValue nested deeper than 3 levels (arrayValue/kvlistValue)' };
  t.strictSame(agree(t, 'traces', inSpan(attr('k', nested(4))), 'too deep', opts), tooDeep);
  t.ok('model' in agree(t, 'traces', inSpan(attr('k', nested(3))), 'deep enough', opts));
  // Replaced by a later value of the same KeyValue: not in the model, not refused.
  t.ok('model' in agree(t, 'traces', inSpan(field(9, cat(str8(1, 'k'), field(2, nested(4)), field(2, str8(1, 'x'))))), 'replaced', opts));
  // In a losing oneof member: not refused either.
  t.ok('model' in agree(t, 'traces', inSpan(attr('k', cat(nested(4), str8(1, 'x')))), 'losing member', opts));
  // A log body replaced by a shallow one; and one that stays.
  t.ok('model' in agree(t, 'logs', inLog(cat(field(5, nested(5)), field(5, str8(1, 'x')))), 'body replaced', opts));
  t.strictSame(agree(t, 'logs', inLog(field(5, nested(5))), 'body too deep', opts), tooDeep);
  // Exemplar attributes sit deepest in the message tree; a structural error after a too-deep value wins.
  const exemplar = inMetric(field(5, field(1, field(5, field(7, cat(str8(1, 'k'), field(2, nested(4))))))));
  t.strictSame(agree(t, 'metrics', exemplar, 'exemplar', opts), tooDeep);
  t.strictSame(agree(t, 'metrics', cat(exemplar, tag(99, 7)), 'exemplar then garbage', opts), {
    error: `invalid protobuf ExportMetricsServiceRequest: invalid wire type 7 at offset ${exemplar.length + 2}`,
  });
});

t.test('the message nesting limit answers like protobufjs, unknown groups included', async (t) => {
  let v: Uint8Array = str8(1, 'leaf');
  for (let i = 0; i < 400; i++) v = field(5, field(1, v));
  t.strictSame(agree(t, 'traces', inSpan(attr('deep', v)), 'deep array'), {
    error: 'invalid protobuf ExportTraceServiceRequest: maximum nesting depth exceeded',
  });
  let g: Uint8Array = varint(1, 1);
  for (let i = 0; i < 400; i++) g = cat(tag(50, 3), g, tag(50, 4));
  t.strictSame(agree(t, 'logs', g, 'deep groups'), { error: 'invalid protobuf ExportLogsServiceRequest: maximum nesting depth exceeded' });
});
