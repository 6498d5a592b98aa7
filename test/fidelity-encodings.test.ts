/**
 * Fidelity over HTTP: one rich request per signal, posted to a running gateway as protobuf, OTLP/JSON, snake_case
 * JSON and enum-name JSON. Every encoding must give byte-identical line protocol (issue 2), equal to a golden string
 * written from datakit-opentelemetry.md (issue 3): keys §5.2/§6/§7.3, value texts §4.7/§6.3/§7.4, numbers and
 * escapes §9.2–§9.3. The quirk-by-quirk index is fidelity-quirks.test.ts.
 */
import t, { type Test } from 'tap';
import type { AnyValue, KeyValue, Signal, SignalRequest } from '../src/otlp/model.js';
import { PATH, fixtureToml, startTestGateway } from './helpers/gateway.js';
import { request } from './helpers/http.js';
import {
  T0,
  TRACE_ID,
  attrs,
  bv,
  dv,
  event,
  expHistogram,
  expHistogramDp,
  gauge,
  hex,
  histogram,
  histogramDp,
  iv,
  logRecord,
  logsReq,
  metricsReq,
  numberDp,
  resourceLogs,
  resourceMetrics,
  resourceSpans,
  scope,
  span,
  sum,
  summary,
  summaryDp,
  sv,
  traces,
} from './helpers/model-build.js';
import { wireVariants } from './helpers/otlp-json.js';

/** Everything line protocol and JSON must escape, plus characters beyond ASCII and the BMP. */
const WEIRD = 'say "hi",\nback\\slash a=b c,d é 中 😀';
const BYTES: AnyValue = { kind: 'bytes', value: Buffer.from('bytes:é') }; // base64 Ynl0ZXM6w6k=
const ARRAY: AnyValue = { kind: 'array', values: [sv('a'), iv(1), dv(2.5), bv(false)] };
const KVLIST: AnyValue = { kind: 'kvlist', values: attrs({ k: 'v', n: iv(-1) }) };
/** One attribute of every AnyValue kind; `zoo.` keys so that a `reg:` customer_tags entry can select them all. */
const ZOO: KeyValue[] = attrs({
  'zoo.str': WEIRD,
  'zoo.int_big': iv(9_007_199_254_740_993n), // 2^53 + 1: exact only as int64
  'zoo.int_neg': iv(-42n),
  'zoo.dbl_tenth': dv(0.1),
  'zoo.dbl_huge': dv(1e21),
  'zoo.dbl_tiny': dv(1e-7),
  'zoo.bool': bv(true),
  'zoo.bytes': BYTES,
  'zoo.arr': ARRAY,
  'zoo.kv': KVLIST,
  'zoo.empty': { kind: 'empty' },
});

const CATEGORY = { traces: 'tracing', metrics: 'metric', logs: 'logging' } as const;

/** A line-protocol string field value (§9.2): quoted, `"` and `\` escaped, everything else raw. */
const q = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
/** A line-protocol tag value (§9.2): `,`, `=` and space escaped. */
const tv = (s: string): string => s.replace(/[,= ]/g, (c) => `\\${c}`);

/**
 * Posts every wire variant of `req` to one fresh gateway and asserts each answer is a 200 and each variant's points
 * are exactly `expected` (so all of them are byte-identical to each other too). With `strict`, the gateway has
 * `strict_datakit = true` and the JSON variants carry base64 ids, which is how DataKit 1.84 reads them (Q1).
 */
async function assertEveryEncoding<S extends Signal>(t: Test, signal: S, req: SignalRequest[S], expected: string[], strict: boolean, inputToml = ''): Promise<void> {
  const gw = await startTestGateway(fixtureToml(`${inputToml}\n${strict ? 'strict_datakit = true' : ''}`), () => T0);
  t.teardown(gw.close);
  const byVariant: Record<string, string[]> = {};
  for (const v of wireVariants(signal, req, strict ? 'base64' : 'hex')) {
    const before = gw.sink.lines().length;
    const res = await request(gw.url + PATH[signal], { headers: { 'content-type': v.contentType }, body: v.body });
    t.equal(res.status, 200, `${v.name}: 200`);
    byVariant[v.name] = gw.sink.lines(CATEGORY[signal]).slice(before);
  }
  t.strictSame(byVariant.protobuf, expected, 'protobuf → the golden points');
  for (const name of Object.keys(byVariant).slice(1)) t.strictSame(byVariant[name], byVariant.protobuf, `${name} is byte-identical to protobuf`);
}

// ---------------------------------------------------------------------------------------------------- traces

const SPAN_ID = (n: number): Uint8Array => hex(n.toString(16).padStart(16, '0'));
const LINKED_TRACE = '0af7651916cd43dd8448eb211c80319c';

/**
 * One ResourceSpans with five spans, one per span kind 1–5, forming entry/local/exit (§5.6) with every status
 * variant (§5.4): error, ok, absent, present-but-unset, unknown code. The server span carries the AnyValue zoo,
 * events (one consumed exception), a link, dropped counts and a trace state.
 */
function richTraces() {
  const server = span({
    spanId: SPAN_ID(1),
    name: 'GET /cart?a=b, c',
    traceState: 'vendor=x',
    kind: 2,
    status: { message: 'boom', code: 2 },
    attributes: [...ZOO, ...attrs({ 'http.method': 'GET', 'http.status_code': iv(500), note: WEIRD })],
    droppedAttributesCount: 3,
    events: [
      event('cache.miss', attrs({ key: 'k1' }), T0 + 100_000n),
      event('exception', attrs({ 'exception.type': 'Error', 'exception.message': 'bad "x"\nline2', 'exception.stacktrace': 'at a\\b' }), T0 + 200_000n),
    ],
    droppedEventsCount: 4,
    links: [{ traceId: hex(LINKED_TRACE), spanId: SPAN_ID(9), traceState: 'a=b', attributes: attrs({ 'link.attr': iv(1) }), droppedAttributesCount: 2, flags: 0 }],
    droppedLinksCount: 5,
  });
  const child = (n: number, parent: Uint8Array, kind: number, p: Parameters<typeof span>[0]) =>
    span({ spanId: SPAN_ID(n), parentSpanId: parent, kind, name: `op${n}`, startTimeUnixNano: T0 + BigInt(n) * 1000n, endTimeUnixNano: T0 + BigInt(n) * 2000n, ...p });
  return traces(
    resourceSpans(attrs({ 'service.name': 'shop', 'deployment.environment': 'prod' }), [
      server,
      child(2, SPAN_ID(1), 3, { status: { message: '', code: 1 }, attributes: attrs({ 'db.system': 'mysql' }) }),
      child(3, SPAN_ID(1), 1, { status: undefined }),
      child(4, SPAN_ID(3), 4, { status: { message: '', code: 0 } }),
      // Parent outside the request → entry; ends before it starts → negative duration (Q40).
      child(5, hex('ffffffffffffffff'), 5, { status: { message: 'odd', code: 7 }, endTimeUnixNano: T0 + 2_500n }),
    ], scope('lib', attrs({ 'scope.attr': 'x' }))),
  );
}

/** A protojson KeyValue with a string value (§5.14). */
const strKV = (key: string, value: string) => ({ key, value: { stringValue: value } });

t.test('traces: protobuf and every JSON variant give the same golden points (§4, §5)', async (t) => {
  /** The tags in key order (§9.1); `first` and `beforeRemoteIp` are the extra tags that sort there. */
  const tags = (kind: string, type: string, status: string, service = 'shop', first = '', beforeRemoteIp = '') =>
    `opentelemetry,${first}dk_fingerprint=ci-host_1.84.1,host=ci-host,${beforeRemoteIp}remote_ip=127.0.0.1,service=${service},` +
    `source=opentelemetry,source_type=custom,span_kind=${kind},span_type=${type},status=${status}`;
  // §4.8: the non-selected attributes in list order (resource without the consumed service.name, scope, span incl.
  // the synthetic trace_id, events except the consumed exception), replacing the span's own.
  const common = [strKV('deployment.environment', 'prod'), strKV('scope.attr', 'x')];
  const traceIdAttr = strKV('trace_id', TRACE_ID);
  const b64 = (h: string) => Buffer.from(h, 'hex').toString('base64');
  const serverMessage = {
    traceState: 'vendor=x',
    attributes: [...common, strKV('note', WEIRD), traceIdAttr, strKV('key', 'k1')],
    droppedAttributesCount: 3,
    // The consumed exception event stays as an empty placeholder (§5.14).
    events: [{ timeUnixNano: '1700000000000100000', name: 'cache.miss', attributes: [strKV('key', 'k1')] }, {}],
    droppedEventsCount: 4,
    links: [{ traceId: b64(LINKED_TRACE), spanId: b64('0000000000000009'), traceState: 'a=b', attributes: [{ key: 'link.attr', value: { intValue: '1' } }], droppedAttributesCount: 2 }],
    droppedLinksCount: 5,
  };
  const plainMessage = q(JSON.stringify({ attributes: [...common, traceIdAttr] }));
  const ids = (n: number, parent: string) => `parent_id="${parent}",resource="op${n}",span_id="${'000000000000000' + n}"`;
  const tail = (n: number) => `start=${1_700_000_000_000_000n + BigInt(n)}i,trace_id="${TRACE_ID}" ${T0 + BigInt(n) * 1000n}`;
  const expected = [
    // §4.7: selected values keep their type; bytes are the raw text; array/kvlist are protojson; an empty value and
    // the empty AnyValue vanish; an integer http_status_code is a tag. §9.3: floats never in exponent notation.
    `${tags('server', 'entry', 'error', 'shop', '', 'http_status_code=500,')} duration=1520i,error_message=${q('bad "x"\nline2')},error_stack=${q('at a\\b')},` +
      `error_type="Error",http_method="GET",message=${q(JSON.stringify(serverMessage))},parent_id="0",resource=${q('GET /cart?a=b, c')},` +
      `span_id="0000000000000001",start=1700000000000000i,trace_id="${TRACE_ID}",` +
      `zoo_arr=${q('{"values":[{"stringValue":"a"},{"intValue":"1"},{"doubleValue":2.5},{"boolValue":false}]}')},` +
      `zoo_bool=true,zoo_bytes="bytes:é",zoo_dbl_huge=1000000000000000000000,zoo_dbl_tenth=0.1,zoo_dbl_tiny=0.0000001,` +
      `zoo_int_big=9007199254740993i,zoo_int_neg=-42i,` +
      `zoo_kv=${q('{"values":[{"key":"k","value":{"stringValue":"v"}},{"key":"n","value":{"intValue":"-1"}}]}')},zoo_str=${q(WEIRD)} ${T0}`,
    // §5.7: db.system splits the service and is consumed (not in message).
    `${tags('client', 'exit', 'ok', 'mysql', 'base_service=shop,')} duration=2i,message=${plainMessage},${ids(2, '0000000000000001')},${tail(2)}`,
    `${tags('internal', 'local', 'info')} duration=3i,message=${plainMessage},${ids(3, '0000000000000001')},${tail(3)}`,
    `${tags('producer', 'exit', 'ok')} duration=4i,message=${plainMessage},${ids(4, '0000000000000003')},${tail(4)}`,
    // (2500 − 5000) ns → −2 µs: Go's integer division truncates towards zero.
    `${tags('consumer', 'entry', 'info')} duration=-2i,message=${plainMessage},${ids(5, 'ffffffffffffffff')},${tail(5)}`,
  ];
  const zooTags = `customer_tags = ['reg:^zoo\\.']`;
  await t.test('default', (t) => assertEveryEncoding(t, 'traces', richTraces(), expected, false, zooTags));
  // Nothing in this request meets a strict-only conversion quirk; the JSON ids are base64 as DataKit reads them (Q1).
  await t.test('strict_datakit', (t) => assertEveryEncoding(t, 'traces', richTraces(), expected, true, zooTags));
});

// --------------------------------------------------------------------------------------------------- metrics

/** Every metric type (§6.4): gauge int and double, sum, histogram with and without buckets/min/max/sum, exp histogram, summary. */
function richMetrics() {
  const at = (n: number) => ({ timeUnixNano: T0 + BigInt(n) });
  return metricsReq(
    resourceMetrics(
      attrs({ 'service.name': 'shop', 'telemetry.sdk.name': 'opentelemetry' }),
      [
        gauge('g.int', [numberDp(9_007_199_254_740_993n, ZOO), numberDp(-42n, [], at(1))], '1'),
        gauge('g.double', [numberDp(0.1, [], at(2)), numberDp(1e21, [], at(3)), numberDp(1e-7, [], at(4))]),
        sum('requests', [numberDp(3n, attrs({ route: '/cart' }), at(5))], '{request}'),
        histogram(
          'latency',
          [
            histogramDp({ ...at(6), count: 3n, sum: 555, min: 5, max: 500, bucketCounts: [1n, 1n, 1n], explicitBounds: [10, 100] }),
            histogramDp({ ...at(7), count: 2n }),
          ],
          'ms',
        ),
        expHistogram('payload.size', [expHistogramDp({ ...at(8), count: 3n, sum: 1027, min: 0, max: 1024, scale: 2, zeroCount: 1n, positive: { offset: 0, bucketCounts: [1n, 1n] } })], 'By'),
        summary('rpc.duration', [summaryDp({ ...at(9), count: 10n, sum: 12.5, quantileValues: [{ quantile: 0.5, value: 1 }, { quantile: 0.99, value: 2 }] })], 's'),
      ],
      scope('meter'),
    ),
  );
}

t.test('metrics: protobuf and every JSON variant give the same golden points (§6)', async (t) => {
  // §6.2: resource, scope and data point attributes become tags (telemetry.sdk.* removed); io adds host (§11).
  // Tags sort by key (§9.1): host < le < remote_ip < route < scope_name < service_name < unit < zoo_*.
  const RS = 'remote_ip=127.0.0.1';
  const SCOPE = 'scope_name=meter,service_name=shop';
  const head = (unit: string, le = '') => `otel_service,host=ci-host${le && `,le=${le}`},${RS},${SCOPE}${unit && `,unit=${unit}`}`;
  // §6.3: attribute values as tag text: %.3f doubles (Q21), bytes as base64 (Q20 default), arrays/kvlists in Go's
  // one-line text form, the empty value left out; the checker (§8) turns the newline into a space and §9.2 escapes
  // `,`, `=` and space (not `"` or `\`).
  const zooTags =
    `zoo_arr=${tv('values:{string_value:"a"} values:{int_value:1} values:{double_value:2.5} values:{bool_value:false}')},` +
    `zoo_bool=true,zoo_bytes=Ynl0ZXM6w6k\\=,zoo_dbl_huge=1000000000000000000000.000,zoo_dbl_tenth=0.100,zoo_dbl_tiny=0.000,` +
    'zoo_int_big=9007199254740993,zoo_int_neg=-42,' +
    `zoo_kv=${tv('values:{key:"k" value:{string_value:"v"}} values:{key:"n" value:{int_value:-1}}')},` +
    `zoo_str=say\\ "hi"\\,\\ back\\slash\\ a\\=b\\ c\\,d\\ é\\ 中\\ 😀`;
  const ts = (n: number) => T0 + BigInt(n);
  const expected = [
    `${head('1')},${zooTags} g.int=9007199254740993i ${ts(0)}`,
    `${head('1')} g.int=-42i ${ts(1)}`,
    // §9.3: the shortest float text that reads back, never in exponent notation; an empty unit is no tag.
    `${head('')} g.double=0.1 ${ts(2)}`,
    `${head('')} g.double=1000000000000000000000 ${ts(3)}`,
    `${head('')} g.double=0.0000001 ${ts(4)}`,
    `otel_service,host=ci-host,${RS},route=/cart,${SCOPE},unit={request} requests=3i ${ts(5)}`,
    // §6.4/§6.5: count is uint; then one point per bucket with the cumulative count and `le` (+Inf for the last).
    `${head('ms')} latency_count=3u,latency_max=500,latency_min=5,latency_sum=555 ${ts(6)}`,
    `${head('ms', '10')} latency_bucket=1u ${ts(6)}`,
    `${head('ms', '100')} latency_bucket=2u ${ts(6)}`,
    `${head('ms', '+Inf')} latency_bucket=3u ${ts(6)}`,
    // Q26: absent min, max and sum are 0; Q27: no bucket points without bucket counts and bounds.
    `${head('ms')} latency_count=2u,latency_max=0,latency_min=0,latency_sum=0 ${ts(7)}`,
    // Q24: statistics only (the _avg string field is dropped, buckets ignored); field names keep their dots.
    `${head('By')} payload.size_count=3u,payload.size_max=1024,payload.size_min=0,payload.size_sum=1027 ${ts(8)}`,
    // Q25: quantiles ignored.
    `${head('s')} rpc.duration_count=10u,rpc.duration_sum=12.5 ${ts(9)}`,
  ];
  await t.test('default', (t) => assertEveryEncoding(t, 'metrics', richMetrics(), expected, false));
  // Q20: a bytes attribute reads as "" and the tag vanishes.
  const strict = [expected[0].replace('zoo_bytes=Ynl0ZXM6w6k\\=,', ''), ...expected.slice(1)];
  await t.test('strict_datakit', (t) => assertEveryEncoding(t, 'metrics', richMetrics(), strict, true));
});

// ------------------------------------------------------------------------------------------------------ logs

/** One body of each kind (§7.4), in record order; `undefined` is a record without a body. */
const BODIES: Array<AnyValue | undefined> = [
  sv(WEIRD),
  iv(9_007_199_254_740_993n),
  iv(-42n),
  dv(0.1),
  dv(1e21),
  dv(1e-7),
  bv(true),
  BYTES,
  ARRAY,
  KVLIST,
  { kind: 'empty' },
  undefined,
];

function richLogs() {
  const records = BODIES.map((body, i) =>
    logRecord({ body, timeUnixNano: T0 + BigInt(i), severityNumber: 9, severityText: 'INFO', attributes: i === 0 ? ZOO : [] }),
  );
  // The first record also has ids and another severity (§7.2).
  Object.assign(records[0], { traceId: hex(TRACE_ID), spanId: hex('00f067aa0ba902b7'), severityNumber: 17, severityText: 'ERROR' });
  return logsReq(
    resourceLogs(attrs({ 'service.name': 'shop', 'host.name': 'node-1', 'process.runtime.name': 'nodejs' }), records, scope('app.logger'), 'https://schema/1'),
  );
}

t.test('logs: protobuf and every JSON variant give the same golden points (§7)', async (t) => {
  // §7.1/§7.3: measurement = service.name; attributes are string fields (process.runtime.* removed); the source tag
  // is dropped by the logging checker (Q36).
  const line = (i: number, message: string, status = 'info', more = '', ids = 'span_id="0",trace_id="0"') =>
    `shop,dk_fingerprint=ci-host_1.84.1,host=node-1,remote_ip=127.0.0.1,service=shop,status=${status} host_name="node-1",` +
    `message=${q(message)},schema_url="https://schema/1",scope_name="app.logger",service_name="shop",${ids}${more} ${T0 + BigInt(i)}`;
  // §6.3 texts as string fields (only `"` and `\` escaped, newlines kept).
  const zooFields =
    `,zoo_arr=${q('values:{string_value:"a"} values:{int_value:1} values:{double_value:2.5} values:{bool_value:false}')}` +
    ',zoo_bool="true",zoo_bytes="Ynl0ZXM6w6k=",zoo_dbl_huge="1000000000000000000000.000",zoo_dbl_tenth="0.100",zoo_dbl_tiny="0.000"' +
    ',zoo_int_big="9007199254740993",zoo_int_neg="-42"' +
    `,zoo_kv=${q('values:{key:"k" value:{string_value:"v"}} values:{key:"n" value:{int_value:-1}}')},zoo_str=${q(WEIRD)}`;
  const expected = [
    line(0, WEIRD, 'error', zooFields, `span_id="00f067aa0ba902b7",trace_id="${TRACE_ID}"`),
    line(1, '9007199254740993'),
    line(2, '-42'),
    // §7.4: double bodies are Go %f (6 decimals).
    line(3, '0.100000'),
    line(4, '1000000000000000000000.000000'),
    line(5, '0.000000'),
    line(6, 'true'),
    // bytes: the raw bytes as text.
    line(7, 'bytes:é'),
    line(8, 'values:{string_value:"a"} values:{int_value:1} values:{double_value:2.5} values:{bool_value:false}'),
    line(9, 'values:{key:"k" value:{string_value:"v"}} values:{key:"n" value:{int_value:-1}}'),
    // Q33 (default): an empty or absent body is kept with message "".
    line(10, ''),
    line(11, ''),
  ];
  await t.test('default', (t) => assertEveryEncoding(t, 'logs', richLogs(), expected, false));
  // Q20: a bytes attribute reads as ""; Q33: records with an empty or absent body are dropped.
  const strict = [expected[0].replace('zoo_bytes="Ynl0ZXM6w6k="', 'zoo_bytes=""'), ...expected.slice(1, -2)];
  await t.test('strict_datakit', (t) => assertEveryEncoding(t, 'logs', richLogs(), strict, true));
});
