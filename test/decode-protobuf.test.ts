/**
 * OTLP protobuf → model (src/otlp/decode-protobuf.ts): real SDK requests (and their JSON twins, checklist 34), then
 * hand-made edge cases encoded with otlp-transformer's generated protobufjs code (independent of our .proto loading).
 */
import t from 'tap';
import protobuf from 'protobufjs';
import generated from '@opentelemetry/otlp-transformer/build/src/generated/root.js';
import { DecodeError } from '../src/otlp/decode-error.js';
import { decodeLogsJson, decodeMetricsJson, decodeTracesJson } from '../src/otlp/decode-json.js';
import { decodeLogsProtobuf, decodeMetricsProtobuf, decodeTracesProtobuf } from '../src/otlp/decode-protobuf.js';
import { EMPTY_BYTES, EMPTY_SPAN, firstSpan, iv, kv, sv } from './helpers/model-build.js';
import { logsRequest, metricsRequest, tracesRequest } from './helpers/otlp-build.js';

const JSON_OPTS = { strictDatakit: false, maxDepth: 100 };
/** Bytes as the decoders produce them: Buffers (a Uint8Array subclass), views into the body. */
const b = (h: string): Buffer => Buffer.from(h, 'hex');

// The otlp-transformer's static protobufjs classes (plain-object encode), typed loosely for hand-made messages.
type Encoder = { encode(m: object): { finish(): Uint8Array } };
const otlp = (generated as unknown as { opentelemetry: { proto: Record<string, Record<string, Record<string, Record<string, Encoder>>>> } })
  .opentelemetry.proto;
const encodeTraces = (m: object): Uint8Array => otlp.collector.trace.v1.ExportTraceServiceRequest.encode(m).finish();
const encodeMetrics = (m: object): Uint8Array => otlp.collector.metrics.v1.ExportMetricsServiceRequest.encode(m).finish();
const encodeLogs = (m: object): Uint8Array => otlp.collector.logs.v1.ExportLogsServiceRequest.encode(m).finish();

/** One span in one ResourceSpans/ScopeSpans, as a plain object for the generated encoder. */
const oneSpan = (span: object, resourceSpans: object = {}): object => ({
  resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [span] }], ...resourceSpans }],
});


t.test('real SDK requests: protobuf and JSON decode to the same model', async (t) => {
  t.test('traces, exactly', async (t) => {
    const req = await tracesRequest();
    const model = decodeTracesProtobuf(req.protobuf);
    t.strictSame(decodeTracesJson(req.json, JSON_OPTS), model, 'JSON twin');
    const T = 1_700_000_000_123_456_789n;
    const traceId = b('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1');
    const root = b('bbbbbbbbbbbbbbb1');
    t.strictSame(model, {
      resourceSpans: [
        {
          resource: {
            attributes: [kv('service.name', sv('checkout')), kv('host.name', sv('web-1')), kv('process.pid', iv(4242n))],
            droppedAttributesCount: 0,
          },
          scopeSpans: [
            {
              scope: { name: 'test-scope', version: '1.2.3', attributes: [], droppedAttributesCount: 0 },
              spans: [
                {
                  ...EMPTY_SPAN,
                  traceId,
                  spanId: b('bbbbbbbbbbbbbbb2'),
                  parentSpanId: root,
                  name: 'SELECT cart',
                  kind: 3,
                  startTimeUnixNano: T + 1_000_000n,
                  endTimeUnixNano: T + 3_000_000n,
                  links: [
                    { traceId, spanId: root, traceState: '', attributes: [kv('link.kind', sv('follows'))], droppedAttributesCount: 0, flags: 0 },
                  ],
                  status: { message: '', code: 1 },
                },
                {
                  ...EMPTY_SPAN,
                  traceId,
                  spanId: b('bbbbbbbbbbbbbbb3'),
                  parentSpanId: root,
                  name: 'render',
                  kind: 1,
                  startTimeUnixNano: T + 4_000_000n,
                  endTimeUnixNano: T + 6_000_000n,
                  status: { message: '', code: 0 },
                },
                {
                  ...EMPTY_SPAN,
                  traceId,
                  spanId: root,
                  name: 'GET /cart',
                  kind: 2,
                  startTimeUnixNano: T,
                  endTimeUnixNano: T + 10_000_000n,
                  attributes: [
                    kv('http.method', sv('GET')),
                    kv('http.status_code', iv(500n)),
                    kv('sampling.ratio', { kind: 'double', value: 0.25 }),
                    kv('cache.hit', { kind: 'bool', value: false }),
                    kv('user.roles', { kind: 'array', values: [sv('admin'), sv('ops')] }),
                    kv('retry.delays', { kind: 'array', values: [{ kind: 'double', value: 1.5 }, { kind: 'double', value: 2.5 }] }),
                  ],
                  events: [
                    {
                      timeUnixNano: T + 5_000_000n,
                      name: 'exception',
                      attributes: [kv('exception.type', sv('Error')), kv('exception.message', sv('boom'))],
                      droppedAttributesCount: 0,
                    },
                  ],
                  status: { message: 'boom', code: 2 },
                },
              ],
              schemaUrl: '',
            },
          ],
          schemaUrl: '',
        },
      ],
    });
  });

  t.test('metrics: every data type', async (t) => {
    const req = await metricsRequest();
    const model = decodeMetricsProtobuf(req.protobuf);
    t.strictSame(decodeMetricsJson(req.json, JSON_OPTS), model, 'JSON twin');
    const metrics = model.resourceMetrics[0].scopeMetrics[0].metrics;
    t.strictSame(
      metrics.map((m) => [m.name, m.unit, m.data?.type]),
      [
        ['payload.size', 'By', 'exponentialHistogram'],
        ['requests', '1', 'sum'],
        ['queue.depth', '', 'sum'],
        ['temperature', 'Cel', 'gauge'],
        ['latency', 'ms', 'histogram'],
      ],
    );
    const [expo, requests, queue, gauge, latency] = metrics.map((m) => m.data!);
    if (expo.type !== 'exponentialHistogram' || requests.type !== 'sum' || queue.type !== 'sum') throw new Error('types');
    if (gauge.type !== 'gauge' || latency.type !== 'histogram') throw new Error('types');
    const e = expo.dataPoints[0];
    t.strictSame([e.count, e.sum, e.min, e.max, e.scale, e.zeroCount, e.positive?.offset], [3n, 1027, 0, 1024, 4, 1n, 25]);
    t.strictSame(e.positive?.bucketCounts, [1n, ...new Array<bigint>(133).fill(0n), 1n]);
    t.strictSame(e.negative, { offset: 0, bucketCounts: [] });
    t.strictSame([requests.isMonotonic, requests.aggregationTemporality, requests.dataPoints[0].value], [true, 2, { kind: 'double', value: 3 }]);
    t.strictSame(requests.dataPoints[0].attributes, [kv('route', sv('/cart'))]);
    t.strictSame([queue.isMonotonic, queue.dataPoints[0].value], [false, { kind: 'double', value: -2 }]);
    t.strictSame(gauge.dataPoints[0].value, { kind: 'double', value: 21.5 });
    const h = latency.dataPoints[0];
    t.strictSame([h.count, h.sum, h.min, h.max, h.bucketCounts, h.explicitBounds], [3n, 555, 5, 500, [1n, 1n, 1n], [10, 100]]);
    t.ok(h.timeUnixNano > 1_700_000_000_000_000_000n && h.startTimeUnixNano <= h.timeUnixNano, 'nanosecond times stay exact bigints');
  });

  t.test('logs: bodies, trace context, event name', async (t) => {
    const req = await logsRequest();
    const model = decodeLogsProtobuf(req.protobuf);
    t.strictSame(decodeLogsJson(req.json, JSON_OPTS), model, 'JSON twin');
    const [failed, event, noBody] = model.resourceLogs[0].scopeLogs[0].logRecords;
    t.strictSame(failed, {
      timeUnixNano: 1_700_000_000_123_456_789n,
      observedTimeUnixNano: 1_700_000_000_124_456_789n,
      severityNumber: 17,
      severityText: 'ERROR',
      body: sv('payment failed'),
      attributes: [kv('order.id', iv(9001n)), kv('order.total', { kind: 'double', value: 12.5 }), kv('retry', { kind: 'bool', value: true })],
      droppedAttributesCount: 0,
      flags: 1,
      traceId: b('0af7651916cd43dd8448eb211c80319c'),
      spanId: b('b7ad6b7169203331'),
      eventName: '',
    });
    t.equal(event.eventName, 'browser.page_view');
    t.strictSame(event.body, {
      kind: 'kvlist',
      values: [kv('url', sv('https://shop.example/cart')), kv('visits', iv(3n)), kv('tags', { kind: 'array', values: [sv('a'), sv('b')] })],
    });
    t.strictSame([event.traceId, event.spanId], [EMPTY_BYTES, EMPTY_BYTES], 'no trace context: empty ids');
    // The SDK serializer writes an empty AnyValue for a record without a body.
    t.strictSame([noBody.body, noBody.severityText, noBody.attributes], [{ kind: 'empty' }, 'debug', [kv('empty', sv(''))]]);
  });
});

t.test('presence', async (t) => {
  t.test('status: absent vs present-but-empty vs set', async (t) => {
    t.equal(firstSpan(decodeTracesProtobuf(encodeTraces(oneSpan({ name: 'a' })))).status, undefined);
    t.strictSame(firstSpan(decodeTracesProtobuf(encodeTraces(oneSpan({ status: {} })))).status, { message: '', code: 0 });
    t.strictSame(firstSpan(decodeTracesProtobuf(encodeTraces(oneSpan({ status: { code: 2, message: 'x' } })))).status, { message: 'x', code: 2 });
  });

  t.test('resource and scope absent vs empty', async (t) => {
    const absent = decodeTracesProtobuf(encodeTraces({ resourceSpans: [{ scopeSpans: [{ spans: [] }] }] }));
    t.strictSame(absent, { resourceSpans: [{ resource: undefined, scopeSpans: [{ scope: undefined, spans: [], schemaUrl: '' }], schemaUrl: '' }] });
    const empty = decodeTracesProtobuf(encodeTraces({ resourceSpans: [{ resource: {}, scopeSpans: [{ scope: {} }], schemaUrl: 's' }] }));
    t.strictSame(empty.resourceSpans[0], {
      resource: { attributes: [], droppedAttributesCount: 0 },
      scopeSpans: [{ scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 }, spans: [], schemaUrl: '' }],
      schemaUrl: 's',
    });
  });

  t.test('KeyValue without value, AnyValue with nothing set, every AnyValue kind', async (t) => {
    const span = firstSpan(
      decodeTracesProtobuf(
        encodeTraces(
          oneSpan({
            attributes: [
              { key: 'no-value' },
              { key: 'empty', value: {} },
              { key: 's', value: { stringValue: '' } },
              { key: 'b', value: { boolValue: false } },
              { key: 'neg', value: { intValue: '-9223372036854775808' } },
              { key: 'big', value: { intValue: '9007199254740993' } },
              { key: 'd', value: { doubleValue: 0 } },
              { key: 'bytes', value: { bytesValue: b('00ff') } },
              { key: 'kv', value: { kvlistValue: { values: [{ key: 'k', value: { intValue: -1 } }] } } },
              { key: 'arr', value: { arrayValue: {} } },
            ],
          }),
        ),
      ),
    );
    t.strictSame(span.attributes, [
      kv('no-value', undefined),
      kv('empty', { kind: 'empty' }),
      kv('s', sv('')),
      kv('b', { kind: 'bool', value: false }),
      kv('neg', iv(-9223372036854775808n)),
      kv('big', iv(9007199254740993n)),
      kv('d', { kind: 'double', value: 0 }),
      kv('bytes', { kind: 'bytes', value: b('00ff') }),
      kv('kv', { kind: 'kvlist', values: [kv('k', iv(-1n))] }),
      kv('arr', { kind: 'array', values: [] }),
    ]);
  });

  t.test('body absent vs empty on a log record', async (t) => {
    const logs = decodeLogsProtobuf(encodeLogs({ resourceLogs: [{ scopeLogs: [{ logRecords: [{}, { body: {} }] }] }] }));
    const [none, empty] = logs.resourceLogs[0].scopeLogs[0].logRecords;
    t.equal(none.body, undefined);
    t.strictSame(empty.body, { kind: 'empty' });
  });

  t.test('64-bit values: fixed64 above 2^63, int64 negative, uint64 bucket counts', async (t) => {
    const span = firstSpan(decodeTracesProtobuf(encodeTraces(oneSpan({ startTimeUnixNano: '18446744073709551615', endTimeUnixNano: '9223372036854775808' }))));
    t.strictSame([span.startTimeUnixNano, span.endTimeUnixNano], [18446744073709551615n, 9223372036854775808n]);
    const metrics = decodeMetricsProtobuf(
      encodeMetrics({
        resourceMetrics: [
          {
            scopeMetrics: [
              {
                metrics: [
                  { name: 'g', gauge: { dataPoints: [{ asInt: '-42', timeUnixNano: '1700000000123456789' }, {}] } },
                  { name: 'h', histogram: { dataPoints: [{ count: '18446744073709551615', bucketCounts: ['18446744073709551615', 0] }] } },
                  { name: 'none' },
                ],
              },
            ],
          },
        ],
      }),
    );
    const [g, h, none] = metrics.resourceMetrics[0].scopeMetrics[0].metrics;
    if (g.data?.type !== 'gauge' || h.data?.type !== 'histogram') throw new Error('types');
    t.strictSame(g.data.dataPoints[0].value, { kind: 'int', value: -42n });
    t.equal(g.data.dataPoints[0].timeUnixNano, 1700000000123456789n);
    t.equal(g.data.dataPoints[1].value, undefined, 'neither asDouble nor asInt');
    t.strictSame([h.data.dataPoints[0].count, h.data.dataPoints[0].bucketCounts], [18446744073709551615n, [18446744073709551615n, 0n]]);
    t.equal(none.data, undefined, 'no data oneof');
  });

  t.test('proto3 optional sum/min/max: absent vs 0', async (t) => {
    const metrics = decodeMetricsProtobuf(
      encodeMetrics({
        resourceMetrics: [
          {
            scopeMetrics: [
              {
                metrics: [
                  { histogram: { dataPoints: [{}, { sum: 0, min: 0, max: 0 }] } },
                  { exponentialHistogram: { dataPoints: [{ zeroThreshold: 0.5 }, { sum: 0, min: -1, max: 0, positive: {} }] } },
                ],
              },
            ],
          },
        ],
      }),
    );
    const [h, e] = metrics.resourceMetrics[0].scopeMetrics[0].metrics.map((m) => m.data);
    if (h?.type !== 'histogram' || e?.type !== 'exponentialHistogram') throw new Error('types');
    t.strictSame(h.dataPoints.map((p) => [p.sum, p.min, p.max]), [[undefined, undefined, undefined], [0, 0, 0]]);
    t.strictSame(e.dataPoints.map((p) => [p.sum, p.min, p.max, p.zeroThreshold, p.positive]), [
      [undefined, undefined, undefined, 0.5, undefined],
      [0, -1, 0, 0, { offset: 0, bucketCounts: [] }],
    ]);
  });
});

// ---------------------------------------------------------------------------------------- hand-written wire bytes

const w = () => protobuf.Writer.create();
/** A length-delimited field (wire type 2) with the given content. */
const field = (id: number, content: Uint8Array): Uint8Array => w().uint32((id << 3) | 2).bytes(content).finish();
const concat = (...parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);
/** ExportTraceServiceRequest → ResourceSpans(1) → ScopeSpans(2) → Span(2) with the given span bytes. */
const wrapSpan = (span: Uint8Array): Uint8Array => field(1, field(2, field(2, span)));

t.test('unknown fields are skipped at every level', async (t) => {
  const unknown = concat(w().uint32((99 << 3) | 0).uint64(12345).finish(), field(100, Buffer.from('ignored')), w().uint32((101 << 3) | 5).fixed32(7).finish());
  const span = concat(field(5, Buffer.from('n')), unknown);
  const bytes = concat(field(1, concat(unknown, field(2, concat(field(2, span), unknown)))), unknown);
  t.strictSame(decodeTracesProtobuf(bytes), decodeTracesProtobuf(encodeTraces({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'n' }] }] }] })));
  t.equal(firstSpan(decodeTracesProtobuf(bytes)).name, 'n');
});

t.test('an empty body is an empty request', async (t) => {
  t.strictSame(decodeTracesProtobuf(new Uint8Array(0)), { resourceSpans: [] });
  t.strictSame(decodeMetricsProtobuf(new Uint8Array(0)), { resourceMetrics: [] });
  t.strictSame(decodeLogsProtobuf(new Uint8Array(0)), { resourceLogs: [] });
});

t.test('a plain Uint8Array body (not a Buffer) decodes the same', async (t) => {
  const bytes = encodeTraces(oneSpan({ traceId: b('5b8efff798038103d269b633813fc60c'), name: 'x' }));
  const copy = new Uint8Array(new ArrayBuffer(bytes.length + 3), 3);
  copy.set(bytes);
  t.strictSame(decodeTracesProtobuf(copy), decodeTracesProtobuf(Buffer.from(bytes)));
  t.strictSame(firstSpan(decodeTracesProtobuf(copy)).traceId, b('5b8efff798038103d269b633813fc60c'));
});

t.test('malformed bytes → DecodeError with protobufjs detail', async (t) => {
  const good = encodeTraces(oneSpan({ name: 'checkout', attributes: [{ key: 'k', value: { stringValue: 'v' } }] }));
  t.throws(
    () => decodeTracesProtobuf(good.subarray(0, good.length - 3)),
    new DecodeError('invalid protobuf ExportTraceServiceRequest: index out of range: 25 + 10 > 25'),
    'truncated',
  );
  t.throws(
    () => decodeTracesProtobuf(Buffer.from([0x9f, 0x06])), // field 99, wire type 7
    new DecodeError('invalid protobuf ExportTraceServiceRequest: invalid wire type 7 at offset 2'),
  );
  t.throws(
    () => decodeLogsProtobuf(Buffer.from([0x0a, 0x05, 0x01])), // a 5-byte ResourceLogs with 1 byte left
    new DecodeError('invalid protobuf ExportLogsServiceRequest: index out of range: 3 + 8 > 3'),
  );
  t.throws(
    () => decodeMetricsProtobuf(Buffer.from([0x10, ...new Array<number>(11).fill(0xff)])), // an endless varint
    new DecodeError('invalid protobuf ExportMetricsServiceRequest: index out of range: 12 + 1 > 12'),
  );
});

t.test('random garbage never throws anything but DecodeError', async (t) => {
  // mulberry32: a fixed seed keeps the run reproducible.
  let seed = 0x5eed;
  const random = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const decoders = [decodeTracesProtobuf, decodeMetricsProtobuf, decodeLogsProtobuf];
  let refused = 0;
  let other: unknown;
  for (let i = 0; i < 3000; i++) {
    const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 64) }, () => Math.floor(random() * 256)));
    try {
      decoders[i % 3](bytes);
    } catch (err) {
      if (err instanceof DecodeError) refused++;
      else other ??= err;
    }
  }
  t.equal(other, undefined, 'no other exception type');
  t.ok(refused > 2000, `most garbage is refused (${refused}/3000)`);
});

/** An attribute whose value nests `levels` AnyValues through arrayValue (or kvlistValue). */
function nestedValue(levels: number, via: 'array' | 'kvlist'): object {
  let value: object = { stringValue: 'leaf' };
  for (let i = 1; i < levels; i++) {
    value = via === 'array' ? { arrayValue: { values: [value] } } : { kvlistValue: { values: [{ key: `k${i}`, value }] } };
  }
  return value;
}
const nestedSpan = (levels: number, via: 'array' | 'kvlist'): Uint8Array =>
  encodeTraces(oneSpan({ attributes: [{ key: 'deep', value: nestedValue(levels, via) }] }));

t.test('AnyValue nesting is bounded by maxDepth (default 100)', async (t) => {
  const tooDeep = new DecodeError('AnyValue nested deeper than 100 levels (arrayValue/kvlistValue)');
  for (const via of ['array', 'kvlist'] as const) {
    const ok = firstSpan(decodeTracesProtobuf(nestedSpan(100, via))).attributes[0].value;
    let depth = 0;
    for (let v = ok; v; depth++) v = v.kind === 'array' ? v.values[0] : v.kind === 'kvlist' ? v.values[0].value : undefined;
    t.equal(depth, 100, `${via}: 100 levels decode`);
    t.throws(() => decodeTracesProtobuf(nestedSpan(101, via)), tooDeep, `${via}: 101 levels refused`);
  }
  t.throws(() => decodeTracesProtobuf(nestedSpan(6, 'array'), { maxDepth: 5 }), new DecodeError('AnyValue nested deeper than 5 levels (arrayValue/kvlistValue)'));
  t.strictSame(firstSpan(decodeTracesProtobuf(nestedSpan(5, 'array'), { maxDepth: 5 })).attributes.length, 1);
  // Far deeper than any limit: protobufjs's own nesting guard answers, still as a DecodeError.
  let value: Uint8Array = field(1, Buffer.from('leaf'));
  for (let i = 0; i < 5000; i++) value = field(5, field(1, value)); // AnyValue.arrayValue → ArrayValue.values
  const body = wrapSpan(field(9, concat(field(1, Buffer.from('deep')), field(2, value))));
  t.throws(() => decodeTracesProtobuf(body), new DecodeError('invalid protobuf ExportTraceServiceRequest: maximum nesting depth exceeded'));
});
