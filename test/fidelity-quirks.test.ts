/**
 * The DataKit 1.84 quirk table (datakit-opentelemetry.md §12), one named case per quirk that concerns HTTP or
 * conversion, each run over real HTTP against a gateway without and with `strict_datakit = true`. Test names say
 * the quirk and both behaviours; README's "Differences from DataKit" table points here. Suggested "never" quirks
 * (Q8, Q10, Q11, Q12, Q13, Q44, Q46) behave the same in both modes; "always" ones too (Q21, Q26, Q27, Q34, Q36,
 * Q37, Q40, Q47).
 */
import zlib from 'node:zlib';
import t from 'tap';
import { ConfigError } from '../src/config/index.js';
import type { Signal, SignalRequest } from '../src/otlp/model.js';
import { PATH, fixtureToml, startTestGateway, type TestGateway } from './helpers/gateway.js';
import { request, type Response } from './helpers/http.js';
import {
  T0,
  TRACE_ID,
  attrs,
  gauge,
  hex,
  histogram,
  histogramDp,
  logRecord,
  logsReq,
  metricsReq,
  numberDp,
  resourceLogs,
  resourceMetrics,
  resourceSpans,
  span,
  sv,
  traces,
} from './helpers/model-build.js';
import { otlpJson, otlpProtobuf } from './helpers/otlp-json.js';

const PB = 'application/x-protobuf';
const JSON_CT = 'application/json';

/** What a client sees: status, Content-Type (null when absent) and the body as text. */
interface Answer {
  status: number;
  contentType: string | null;
  body: string;
  allow?: string;
  acceptEncoding?: string;
}

function answerOf(res: Response): Answer {
  const a: Answer = { status: res.status, contentType: res.headers['content-type'] ?? null, body: res.body.toString('utf8') };
  if (res.headers.allow !== undefined) a.allow = res.headers.allow as string;
  if (res.headers['accept-encoding'] !== undefined) a.acceptEncoding = res.headers['accept-encoding'] as string;
  return a;
}

const EMPTY_200: Answer = { status: 200, contentType: null, body: '' };
const EMPTY_400: Answer = { status: 400, contentType: null, body: '' };
const JSON_200: Answer = { status: 200, contentType: JSON_CT, body: '{}' };
const PB_200: Answer = { status: 200, contentType: PB, body: '' };
/** A spec-mode error answer to a JSON (or unknown-encoding) request: `google.rpc.Status` as JSON (receiver §1.7). */
const statusAnswer = (status: number, code: number, message: string, extra: Partial<Answer> = {}): Answer => ({
  status,
  contentType: JSON_CT,
  body: JSON.stringify({ code, message }),
  ...extra,
});

async function post(gw: TestGateway, signal: Signal, contentType: string | undefined, body: Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  const all = contentType === undefined ? headers : { 'content-type': contentType, ...headers };
  return answerOf(await request(gw.url + PATH[signal], { headers: all, body }));
}

/** Posts a model request as protobuf and returns the answer's status; the points are read from the sink. */
async function postModel<S extends Signal>(gw: TestGateway, signal: S, req: SignalRequest[S]): Promise<number> {
  return (await post(gw, signal, PB, otlpProtobuf(signal, req))).status;
}

/** Posts each request (all must get 200) and returns every point stored, as line protocol. */
async function linesOf(gw: TestGateway, ...requests: Array<{ [S in Signal]: [S, SignalRequest[S]] }[Signal]>): Promise<string[]> {
  for (const [signal, req] of requests) {
    const status = await postModel(gw, signal, req);
    if (status !== 200) throw new Error(`${signal}: expected 200, got ${status}`);
  }
  return gw.sink.lines();
}

interface Quirk {
  /** `Q20 bytes attribute on a metric`. */
  name: string;
  /** The behaviour of each mode in words (the test name). */
  default: string;
  strict: string;
  /** Extra `[[inputs.opentelemetry]]` keys (before its sub-tables) and `[gateway]` keys. */
  inputToml?: string;
  gatewayToml?: string;
  run(gw: TestGateway): Promise<unknown>;
  expected: { default: unknown; strict: unknown };
}

const same = (v: unknown) => ({ default: v, strict: v });

// Golden pieces of a default span() (model-build.ts) with del_message = true (§9.4).
const SPAN_TAGS = 'dk_fingerprint=ci-host_1.84.1,host=ci-host,remote_ip=127.0.0.1';
const SPAN_TAIL = 'source=opentelemetry,source_type=custom,span_kind=server,span_type=entry,status=ok';
const SPAN_FIELDS = `parent_id="0",resource="GET /cart",span_id="00f067aa0ba902b7",start=1700000000000000i,trace_id="${TRACE_ID}" ${T0}`;
const spanLine = (service: string, fields = 'duration=1520i', tags = '') =>
  `opentelemetry,${SPAN_TAGS}${tags}${service && `,service=${service}`},${SPAN_TAIL} ${fields},${SPAN_FIELDS}`;
const METRIC_TAGS = 'otel_service,host=ci-host,remote_ip=127.0.0.1';
const LOG_HEAD = `otel_logs,dk_fingerprint=ci-host_1.84.1,host=ci-host,remote_ip=127.0.0.1,service=unSetServiceName`;
const LOG_TAIL = `schema_url="",scope_name="",span_id="0",trace_id="0" ${T0}`;
const logLine = (fields: string, status = 'info') => `${LOG_HEAD},status=${status} ${fields}${fields && ','}${LOG_TAIL}`;

const SHOP = attrs({ 'service.name': 'shop' });
const shopSpan = (p: Parameters<typeof span>[0] = {}) => traces(resourceSpans(SHOP, [span(p)]));
const oneGauge = (dpAttrs: ReturnType<typeof attrs>, value: number | bigint = 1n) => metricsReq(resourceMetrics([], [gauge('m', [numberDp(value, dpAttrs)])]));
const oneLog = (p: Parameters<typeof logRecord>[0]) => logsReq(resourceLogs([], [logRecord(p)]));
const TRACES_JSON = otlpJson('traces', shopSpan());

const QUIRKS: Quirk[] = [
  // ------------------------------------------------------------------------------------------------ HTTP
  {
    name: 'Q1 hex ids in JSON',
    default: 'read as hex (J1)',
    strict: 'read as base64, the ids come out mangled',
    inputToml: 'del_message = true',
    async run(gw) {
      // The OTLP spec example ids; §3.5 gives what DataKit makes of them.
      const req = traces(resourceSpans(SHOP, [span({ traceId: hex('5b8efff798038103d269b633813fc60c'), spanId: hex('eee19b7ec3c1b174') })]));
      await post(gw, 'traces', JSON_CT, otlpJson('traces', req));
      return gw.sink.lines();
    },
    expected: {
      default: [spanLine('shop').replace(SPAN_FIELDS, `parent_id="0",resource="GET /cart",span_id="eee19b7ec3c1b174",start=1700000000000000i,trace_id="5b8efff798038103d269b633813fc60c" ${T0}`)],
      strict: [
        spanLine('shop').replace(
          SPAN_FIELDS,
          `parent_id="0",resource="GET /cart",span_id="79e7b5f5bede7377356f5ef8",start=1700000000000000i,trace_id="e5bf1e7df7fbf7cd37f35d37776ebd6fadf7f35ddf73ad1c" ${T0}`,
        ),
      ],
    },
  },
  {
    name: 'Q2 JSON with a field the old DataKit schema lacks (Span.flags) and an unknown key',
    default: 'ignored (J3), 200 and stored',
    strict: '400, nothing stored',
    async run(gw) {
      const flags = await post(gw, 'traces', JSON_CT, otlpJson('traces', shopSpan({ flags: 1 })));
      const unknown = await post(gw, 'traces', JSON_CT, Buffer.from('{"resourceSpans":[],"futureField":1}'));
      return { flags, unknown, stored: gw.sink.lines().length };
    },
    expected: { default: { flags: JSON_200, unknown: JSON_200, stored: 1 }, strict: { flags: EMPTY_400, unknown: EMPTY_400, stored: 0 } },
  },
  {
    name: 'Q3 Content-Type with parameters or another case',
    default: 'media type parsed, 200',
    strict: 'exact match only, 400',
    run: async (gw) => [
      await post(gw, 'traces', 'application/json; charset=utf-8', TRACES_JSON),
      await post(gw, 'traces', 'Application/JSON', TRACES_JSON),
    ],
    expected: { default: [JSON_200, JSON_200], strict: [EMPTY_400, EMPTY_400] },
  },
  {
    name: 'Q4 unsupported or missing Content-Type',
    default: '415 with a Status body',
    strict: '400, empty body',
    run: async (gw) => [await post(gw, 'traces', 'text/plain', TRACES_JSON), await post(gw, 'traces', undefined, TRACES_JSON)],
    expected: {
      default: [
        statusAnswer(415, 3, "unsupported Content-Type 'text/plain': OTLP/HTTP bodies are application/x-protobuf, application/json"),
        statusAnswer(415, 3, 'no Content-Type: OTLP/HTTP bodies are application/x-protobuf, application/json'),
      ],
      strict: [EMPTY_400, EMPTY_400],
    },
  },
  {
    name: 'Q5 expected_headers',
    default: 'ignored: neither required nor a way past the Content-Type check',
    strict: 'OR-ed with the Content-Type check, and the decoder still refuses the request (400)',
    inputToml: '[inputs.opentelemetry.expected_headers]\nX-Api-Key = "k"',
    run: async (gw) => [
      await post(gw, 'traces', 'text/plain', TRACES_JSON, { 'X-Api-Key': 'k' }),
      await post(gw, 'traces', JSON_CT, TRACES_JSON),
    ],
    expected: {
      default: [statusAnswer(415, 3, "unsupported Content-Type 'text/plain': OTLP/HTTP bodies are application/x-protobuf, application/json"), JSON_200],
      strict: [EMPTY_400, EMPTY_200],
    },
  },
  {
    name: 'Q6 success body',
    default: 'Export*ServiceResponse in the request encoding (0 bytes protobuf, {} JSON) with its Content-Type',
    strict: 'empty, no Content-Type',
    run: async (gw) => [await post(gw, 'traces', PB, otlpProtobuf('traces', shopSpan())), await post(gw, 'traces', JSON_CT, TRACES_JSON)],
    expected: { default: [PB_200, JSON_200], strict: [EMPTY_200, EMPTY_200] },
  },
  {
    name: 'Q7 error body',
    default: 'google.rpc.Status naming the problem',
    strict: 'empty',
    run: (gw) => post(gw, 'traces', JSON_CT, Buffer.from('{"resourceSpans":5}')),
    expected: { default: statusAnswer(400, 3, 'resourceSpans: expected an array, got 5'), strict: EMPTY_400 },
  },
  {
    name: 'Q8 body that says gzip but is not',
    default: '400 with a Status',
    strict: '400 (never the likely 500 of DataKit)',
    run: async (gw) => (await post(gw, 'traces', JSON_CT, Buffer.from('not gzip'), { 'content-encoding': 'gzip' })).status,
    expected: same(400),
  },
  {
    name: 'Q9 Content-Encoding other than gzip',
    default: 'deflate decompressed; unknown codings 415 + Accept-Encoding',
    strict: 'only gzip decompressed, anything else decoded as it is',
    run: async (gw) => [
      await post(gw, 'traces', JSON_CT, zlib.deflateSync(TRACES_JSON), { 'content-encoding': 'deflate' }),
      await post(gw, 'traces', JSON_CT, TRACES_JSON, { 'content-encoding': 'br' }),
    ],
    expected: {
      default: [JSON_200, statusAnswer(415, 3, "unsupported Content-Encoding 'br': use gzip, deflate or none", { acceptEncoding: 'gzip, deflate' })],
      strict: [EMPTY_400, EMPTY_200],
    },
  },
  {
    name: 'Q10 request size limit',
    default: '413 with a Status',
    strict: '413, empty body (never unlimited)',
    gatewayToml: 'max_request_bytes = 100',
    run: (gw) => post(gw, 'traces', JSON_CT, TRACES_JSON),
    expected: { default: statusAnswer(413, 8, 'request body exceeds max_request_bytes (100 bytes)'), strict: { status: 413, contentType: null, body: '' } },
  },
  {
    name: 'Q48 wrong method',
    default: '405 + Allow: POST + Status',
    strict: '404, empty body',
    run: async (gw) => answerOf(await request(gw.url + PATH.traces, { method: 'GET' })),
    expected: {
      default: statusAnswer(405, 12, 'method GET is not allowed on /otel/v1/traces: OTLP/HTTP requests are POST', { allow: 'POST' }),
      strict: { status: 404, contentType: null, body: '' },
    },
  },
  // ------------------------------------------------------------------------------------------ conversion
  {
    name: 'Q11 ResourceSpans without resource',
    default: 'an empty resource (service unknown_service)',
    strict: 'the same (never the panic)',
    inputToml: 'del_message = true',
    run: (gw) => linesOf(gw, ['traces', traces(resourceSpans(undefined, [span()]))]),
    expected: same([spanLine('unknown_service')]),
  },
  {
    name: 'Q12 ResourceMetrics without resource',
    default: 'an empty resource, the rest of the request is kept',
    strict: 'the same (never drops the rest)',
    run: (gw) =>
      linesOf(gw, ['metrics', metricsReq(resourceMetrics(undefined, [gauge('a', [numberDp(1n)])]), resourceMetrics(attrs({ 'service.name': 'b' }), [gauge('b', [numberDp(2n)])]))]),
    expected: same([`${METRIC_TAGS} a=1i ${T0}`, `${METRIC_TAGS},service_name=b b=2i ${T0}`]),
  },
  {
    name: 'Q13 attribute KeyValue without a value (metric, log, selected span attribute)',
    default: 'the attribute is skipped',
    strict: 'the same (never the panic)',
    inputToml: 'del_message = true',
    run: (gw) =>
      linesOf(
        gw,
        ['metrics', oneGauge(attrs({ gone: undefined, kept: 'x' }))],
        ['logs', oneLog({ attributes: attrs({ gone: undefined }) })],
        ['traces', shopSpan({ attributes: attrs({ 'http.method': undefined }) })],
      ),
    expected: same([`otel_service,host=ci-host,kept=x,remote_ip=127.0.0.1 m=1i ${T0}`, logLine('message="hello"'), spanLine('shop')]),
  },
  {
    name: 'Q20 bytes attribute on a metric and a log',
    default: 'base64 tag / field',
    strict: 'tag vanishes / field ""',
    run: (gw) => {
      const raw = { kind: 'bytes', value: Uint8Array.from([1, 2, 3]) } as const;
      return linesOf(gw, ['metrics', oneGauge(attrs({ raw }))], ['logs', oneLog({ attributes: attrs({ raw }) })]);
    },
    expected: {
      default: [`otel_service,host=ci-host,raw=AQID,remote_ip=127.0.0.1 m=1i ${T0}`, logLine('message="hello",raw="AQID"')],
      strict: [`${METRIC_TAGS} m=1i ${T0}`, logLine('message="hello",raw=""')],
    },
  },
  {
    name: 'Q21 double attribute on a metric',
    default: '%.3f text (half to even)',
    strict: 'the same',
    run: (gw) => linesOf(gw, ['metrics', oneGauge(attrs({ half: 0.0625, pi: 3.14159, two: 2 }))]),
    expected: same([`otel_service,half=0.062,host=ci-host,pi=3.142,remote_ip=127.0.0.1,two=2.000 m=1i ${T0}`]),
  },
  {
    name: 'Q26 histogram without min/max/sum',
    default: 'reported as 0',
    strict: 'the same',
    run: (gw) => linesOf(gw, ['metrics', metricsReq(resourceMetrics([], [histogram('h', [histogramDp({ count: 2n })])]))]),
    expected: same([`${METRIC_TAGS} h_count=2u,h_max=0,h_min=0,h_sum=0 ${T0}`]),
  },
  {
    name: 'Q27 histogram with one bucket count',
    default: 'no bucket points',
    strict: 'the same',
    run: (gw) => linesOf(gw, ['metrics', metricsReq(resourceMetrics([], [histogram('h', [histogramDp({ count: 2n, sum: 3, bucketCounts: [2n], explicitBounds: [1] })])]))]),
    expected: same([`${METRIC_TAGS} h_count=2u,h_max=0,h_min=0,h_sum=3 ${T0}`]),
  },
  {
    name: 'Q31 adjacent duplicate keys (env on the resource and the span)',
    default: 'the later copy wins',
    strict: 'both copies vanish',
    inputToml: 'del_message = true',
    run: (gw) => linesOf(gw, ['traces', traces(resourceSpans(attrs({ 'service.name': 'shop', env: 'r' }), [span({ attributes: attrs({ env: 's' }) })]))]),
    expected: { default: [spanLine('shop', 'duration=1520i,env="s"')], strict: [spanLine('shop')] },
  },
  {
    name: 'Q33 log record with an empty body',
    default: 'kept with message ""',
    strict: 'dropped',
    run: (gw) => linesOf(gw, ['logs', oneLog({ body: sv('') })]),
    expected: { default: [logLine('message=""')], strict: [] },
  },
  {
    name: 'Q34 severity number 0 with a severity text',
    default: 'status unknown',
    strict: 'the same',
    run: (gw) => linesOf(gw, ['logs', oneLog({ severityNumber: 0, severityText: 'ERROR' })]),
    expected: same([logLine('message="hello"', 'unknown')]),
  },
  {
    name: 'Q36 log source tag and date attribute',
    default: 'both dropped by the logging checker',
    strict: 'the same',
    run: (gw) => linesOf(gw, ['logs', oneLog({ attributes: attrs({ date: '2024-01-01', source: 'app' }) })]),
    expected: same([logLine('message="hello"')]),
  },
  {
    name: 'Q37 [tags]',
    default: 'spans: overriding tags; logs: fields that lose to attributes; metrics: ignored',
    strict: 'the same',
    inputToml: 'del_message = true\n[inputs.opentelemetry.tags]\nservice = "renamed"\nteam = "core"',
    run: (gw) =>
      linesOf(gw, ['traces', shopSpan()], ['metrics', oneGauge([])], ['logs', oneLog({ attributes: attrs({ team: 'from-attr' }) })]),
    expected: same([
      `opentelemetry,${SPAN_TAGS},service=renamed,${SPAN_TAIL},team=core duration=1520i,${SPAN_FIELDS}`,
      `${METRIC_TAGS} m=1i ${T0}`,
      // The [tags] `service` field comes before the service tag, so it wins and stays a field (§7.3).
      'otel_logs,dk_fingerprint=ci-host_1.84.1,host=ci-host,remote_ip=127.0.0.1,status=info message="hello",schema_url="",scope_name="",' +
        `service="renamed",span_id="0",team="from-attr",trace_id="0" ${T0}`,
    ]),
  },
  {
    name: 'Q38 empty service.name on a span',
    default: 'service unknown_service',
    strict: 'empty service tag, left out',
    inputToml: 'del_message = true',
    run: (gw) => linesOf(gw, ['traces', traces(resourceSpans(attrs({ 'service.name': '' }), [span()]))]),
    expected: { default: [spanLine('unknown_service')], strict: [spanLine('')] },
  },
  {
    name: 'Q40 span ending before it starts',
    default: 'negative duration',
    strict: 'the same',
    inputToml: 'del_message = true',
    run: (gw) => linesOf(gw, ['traces', shopSpan({ endTimeUnixNano: T0 - 2_500n })]),
    expected: same([spanLine('shop', 'duration=-2i')]),
  },
  {
    name: 'Q44 attribute keys that collide after . → _ in one list (metric, log)',
    default: 'the later one wins (deterministic)',
    strict: 'the same (never random)',
    run: (gw) => {
      const colliding = attrs({ 'a.b': 'first', a_b: 'second' });
      return linesOf(gw, ['metrics', oneGauge(colliding)], ['logs', oneLog({ attributes: colliding })]);
    },
    expected: same([`otel_service,a_b=second,host=ci-host,remote_ip=127.0.0.1 m=1i ${T0}`, logLine('a_b="second",message="hello"')]),
  },
  {
    name: 'Q47 NaN gauge value',
    default: 'the point is dropped, the others kept',
    strict: 'the same',
    run: (gw) => linesOf(gw, ['metrics', metricsReq(resourceMetrics([], [gauge('m', [numberDp(NaN), numberDp(0.5)])]))]),
    expected: same([`${METRIC_TAGS} m=0.5 ${T0}`]),
  },
];

for (const quirk of QUIRKS) {
  t.test(`${quirk.name}: default ${quirk.default}; strict_datakit: ${quirk.strict}`, async (t) => {
    for (const strict of [false, true]) {
      const gw = await startTestGateway(fixtureToml(`${strict ? 'strict_datakit = true' : ''}\n${quirk.inputToml ?? ''}`, quirk.gatewayToml), () => T0);
      try {
        t.strictSame(await quirk.run(gw), strict ? quirk.expected.strict : quirk.expected.default, strict ? 'strict_datakit' : 'default');
      } finally {
        await gw.close();
      }
    }
  });
}

t.test('Q46 log_max ≤ 0: default refused at startup; strict_datakit: refused too (never the endless loop)', async (t) => {
  for (const strict of ['', 'strict_datakit = true']) {
    const error = await startTestGateway(fixtureToml(`${strict}\nlog_max = 0`)).then(
      (gw) => gw.close().then(() => null),
      (e: unknown) => e,
    );
    t.ok(error instanceof ConfigError, `${strict || 'default'}: a ConfigError`);
    t.strictSame((error as ConfigError).issues, ['config text: inputs.opentelemetry[0].log_max: expected an integer > 0, got 0']);
  }
});

// The request builder really writes what the cases above rely on, so a broken helper cannot make a case pass vacuously.
t.test('the quirk requests carry hex ids, Span.flags and a KeyValue without value', async (t) => {
  t.match(TRACES_JSON.toString(), /"traceId":"4bf92f3577b34da6a3ce929d0e0e4736"/);
  t.match(otlpJson('traces', shopSpan({ flags: 1 })).toString(), /"flags":1/);
  t.match(otlpJson('metrics', oneGauge(attrs({ gone: undefined }))).toString(), /\{"key":"gone"\}/);
});
