/**
 * The otlp sink: gateway A forwards what it receives to gateway B (a second real gateway on loopback) as OTLP/HTTP
 * protobuf, and B stores exactly the points A produces itself; against a scripted target: request shape, 503 +
 * Retry-After then 200, permanent refusals with their Status message, partial success.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import t, { type Test } from 'tap';
import { loadConfig } from '../src/config/index.js';
import type { OtlpSinkConfig } from '../src/config/types.js';
import { startGateway, type RunningGateway } from '../src/gateway.js';
import { otlpProtoTypes } from '../src/otlp/proto.js';
import { createOtlpSink, OtlpTransport } from '../src/sinks/otlp-sink.js';
import { QueuedSink } from '../src/sinks/queue.js';
import type { Sink, SinkContext } from '../src/sinks/sink.js';
import { CollectingSink } from './helpers/collecting-sink.js';
import { fixtureToml, startTestGateway } from './helpers/gateway.js';
import { request } from './helpers/http.js';
import { logsRequest, metricsRequest, tracesRequest, type EncodedRequest } from './helpers/otlp-build.js';
import { otlpJson } from './helpers/otlp-json.js';
import {
  attrs,
  event,
  expHistogram,
  expHistogramDp,
  gauge,
  hex,
  histogram,
  histogramDp,
  kv,
  logRecord,
  logsReq,
  metric,
  metricsReq,
  numberDp,
  resourceLogs,
  resourceMetrics,
  resourceSpans,
  scope,
  span,
  summary,
  summaryDp,
  sv,
  traces,
} from './helpers/model-build.js';
import { decodeRequest } from '../src/otlp/decode.js';
import { encodeRequestProtobuf } from '../src/otlp/encode-protobuf.js';
import type { AnyValue } from '../src/otlp/model.js';
import { intField, type Point, type PointBatch } from '../src/datakit/point.js';

/** Both gateways' clock (timestamp correction), so their points agree to the nanosecond. */
const NOW = 1_700_000_001_000_000_000n;
const now = () => NOW;

interface Logged {
  level: 'info' | 'warn' | 'error';
  msg: string;
}

function context(): SinkContext & { logged: Logged[] } {
  const logged: Logged[] = [];
  const logger = {
    info: (msg: string) => logged.push({ level: 'info', msg }),
    warn: (msg: string) => logged.push({ level: 'warn', msg }),
    error: (msg: string) => logged.push({ level: 'error', msg }),
  };
  return { logger, configDir: process.cwd(), datawayUrls: [], userAgent: 'otel-gateway-test/1', logged };
}

/** The otlp sink config as [[sinks.sink]] resolves it (through the real schema). */
function otlpConfig(url: string, extra = ''): OtlpSinkConfig {
  const config = loadConfig({ text: `${fixtureToml()}\n[[sinks.sink]]\ntarget = "otlp"\nurl = "${url}"\n${extra}\n`, env: {} });
  return config.sinks[0] as OtlpSinkConfig;
}

/** Gateway A: its own points go to `own`, and an otlp sink forwards to `url`. */
async function startForwarder(url: string, ctx: SinkContext, toml = fixtureToml(), extra = '') {
  const own = new CollectingSink();
  const forward = createOtlpSink(otlpConfig(url, extra), ctx);
  const gw = await startGateway({ config: loadConfig({ text: toml, env: {} }), sinks: [own, forward], listen: { host: '127.0.0.1', port: 0 }, now });
  return { gw, own, forward };
}

const CONTENT_TYPE = { protobuf: 'application/x-protobuf', json: 'application/json' } as const;

async function post(gw: RunningGateway, signal: string, encoding: 'protobuf' | 'json', body: Uint8Array): Promise<void> {
  const res = await request(`${gw.otelUrl}/v1/${signal}`, { headers: { 'Content-Type': CONTENT_TYPE[encoding] }, body: Buffer.from(body) });
  if (res.status !== 200) throw new Error(`A answered ${res.status}: ${res.body.toString()}`);
}

const REQUESTS: Array<[signal: string, build: () => Promise<EncodedRequest>, lines: number]> = [
  ['traces', tracesRequest, 3],
  ['metrics', metricsRequest, 8],
  ['logs', logsRequest, 3],
];

t.test('gateway B stores exactly the points gateway A produces, each request forwarded once', async (t) => {
  const b = await startTestGateway(fixtureToml(), now);
  for (const gzip of [true, false]) {
    const ctx = context();
    const a = await startForwarder(b.otelUrl, ctx, fixtureToml(), `gzip = ${gzip}`);
    for (const [signal, build, lines] of REQUESTS) {
      const req = await build();
      for (const encoding of ['protobuf', 'json'] as const) {
        b.sink.batches.length = 0;
        a.own.batches.length = 0;
        await post(a.gw, signal, encoding, req[encoding]);
        await a.forward.flush();
        t.equal(b.sink.batches.length, 1, `${signal} ${encoding} gzip=${gzip}: one request reached B`);
        t.equal(a.own.lines().length, lines, `${signal}: ${lines} points`);
        t.same(b.sink.lines(), a.own.lines(), `${signal} ${encoding} gzip=${gzip}: same points`);
      }
    }
    await a.gw.close();
    t.same(ctx.logged, [], 'nothing to report');
    t.same((a.forward as QueuedSink).stats().sent, 2 * (3 + 8 + 3));
  }
  await b.close();
});

t.test('a strict_datakit JSON request is forwarded with the ids as that input decoded them (Q1), never read again', async (t) => {
  const b = await startTestGateway(fixtureToml(), now);
  const a = await startForwarder(b.otelUrl, context(), fixtureToml('strict_datakit = true'));
  const req = traces(resourceSpans(undefined, [span({ traceId: hex('0af7651916cd43dd8448eb211c80319c'), spanId: hex('b7ad6b7169203331') })]));
  // Base64 ids, as DataKit reads them; then spec hex ids, which a strict_datakit input also reads as base64 (32 hex
  // digits are 24 bytes of base64): a second reading of the JSON, the spec way, would forward other ids.
  await post(a.gw, 'traces', 'json', otlpJson('traces', req, { ids: 'base64' }));
  await post(a.gw, 'traces', 'json', otlpJson('traces', req));
  await a.forward.flush();
  const lines = a.own.lines();
  t.equal(lines.length, 2);
  t.match(lines[0], /span_id="b7ad6b7169203331".*trace_id="0af7651916cd43dd8448eb211c80319c"/);
  t.match(lines[1], /span_id="6fb69de9bef5ebddb4df7df5".*trace_id="d1a7fbeb9d7dd7a71de3775df38e3c79bdb5d5cf34df5f5c"/);
  t.same(b.sink.lines(), lines);
  await a.gw.close();
  await b.close();
});

t.test('the otlp sink takes the categories it is configured for', async (t) => {
  const b = await startTestGateway(fixtureToml(), now);
  const a = await startForwarder(b.otelUrl, context(), fixtureToml(), 'categories = ["M"]');
  await post(a.gw, 'traces', 'protobuf', (await tracesRequest()).protobuf);
  await post(a.gw, 'metrics', 'protobuf', (await metricsRequest()).protobuf);
  await a.forward.flush();
  t.same(
    b.sink.batches.map((x) => x.category),
    ['metric'],
  );
  await a.gw.close();
  await b.close();
});

// ------------------------------------------------------------------------------------ a scripted target

interface Received {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: Uint8Array;
}

/** Records each request (body gunzipped) and answers from the script, then 200 with an empty body. */
async function scriptedTarget(t: Test, script: Answer[]) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      received.push({ url: req.url ?? '', headers: req.headers, body: req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw });
      const answer = script.shift() ?? { status: 200 };
      res.writeHead(answer.status, { 'Content-Type': 'application/x-protobuf', ...answer.headers });
      res.end(answer.body ?? Buffer.alloc(0));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

/** A QueuedSink around the transport whose backoff waits are recorded and skipped (flush() still really waits). */
function queued(config: OtlpSinkConfig, ctx: SinkContext) {
  const waits: number[] = [];
  const sink = new QueuedSink(new OtlpTransport(config, ctx.userAgent, ctx.logger), config.delivery, ctx, {
    sleep: async (ms) => void waits.push(ms),
    random: () => 0.5,
  });
  return { sink, waits };
}

const NO_STATS = { queuedItems: 0, queuedBytes: 0, sent: 0, retries: 0, droppedPermanent: 0, droppedExpired: 0, droppedSpoolFull: 0, spooledBytes: 0 };

const statusBody = (message: string): Uint8Array => {
  const { Status } = otlpProtoTypes();
  return Status.encode(Status.fromObject({ code: 3, message })).finish();
};

/** The point the pipeline would have made: only counted (the queue's limits and counters), never sent. */
const POINT: Point = { measurement: 'm', kvs: [intField('n', 1n)], time: 1n };

/**
 * Writes the traces request as the pipeline would (one batch, the request as its source); resolves to the body. A
 * protobuf source goes out as its body: the decoded model beside it is not looked at.
 */
async function writeTraces(sink: Sink, body?: Uint8Array): Promise<Uint8Array> {
  const protobuf = body ?? (await tracesRequest()).protobuf;
  const source: PointBatch['source'] = { signal: 'traces', encoding: 'protobuf', body: protobuf, data: { resourceSpans: [] } };
  await sink.write({ category: 'tracing', points: [POINT], source });
  return protobuf;
}

t.test('the request: POST <url>/v1/<signal>, protobuf as received, gzip, config headers, User-Agent', async (t) => {
  const target = await scriptedTarget(t, []);
  const ctx = context();
  const { sink } = queued(otlpConfig(`${target.url}/base/?tenant=a`, 'headers = { Authorization = "Bearer s3cret" }'), ctx);
  const body = await writeTraces(sink);
  await sink.close();
  t.equal(target.received.length, 1);
  const [got] = target.received;
  t.equal(got.url, '/base/v1/traces?tenant=a');
  t.same(
    [got.headers['content-type'], got.headers['content-encoding'], got.headers.authorization, got.headers['user-agent']],
    ['application/x-protobuf', 'gzip', 'Bearer s3cret', 'otel-gateway-test/1'],
  );
  t.same(got.body, Buffer.from(body), 'the protobuf request byte for byte');
  t.equal(sink.name, `otlp:${target.url}/base`, 'no query (it may hold credentials) in the name');
});

t.test('503 + Retry-After, then 200: delivered once, after the wait the target asked for', async (t) => {
  const target = await scriptedTarget(t, [{ status: 503, headers: { 'Retry-After': '7' }, body: statusBody('busy') }]);
  const ctx = context();
  const { sink, waits } = queued(otlpConfig(target.url, 'gzip = false'), ctx);
  const body = await writeTraces(sink);
  await sink.flush();
  t.same(waits, [7000]);
  t.same(
    target.received.map((r) => r.body.equals(Buffer.from(body))),
    [true, true],
  );
  t.same(sink.stats(), { ...NO_STATS, sent: 1, retries: 1 });
  t.same(ctx.logged, [
    { level: 'warn', msg: `otlp:${target.url}: /v1/traces: attempt 1 failed, retrying in 7000 ms: otlp:${target.url}/v1/traces answered 503` },
  ]);
  await sink.close();
});

for (const status of [400, 500]) {
  t.test(`${status}: not retried (OTLP §1.7), dropped, counted, logged with the Status message`, async (t) => {
    const target = await scriptedTarget(t, [{ status, body: statusBody('trace_id: expected 32 hex digits') }]);
    const ctx = context();
    const { sink, waits } = queued(otlpConfig(target.url), ctx);
    await writeTraces(sink, Buffer.from('x'));
    await sink.flush();
    t.equal(target.received.length, 1);
    t.same(waits, []);
    t.same(sink.stats(), { ...NO_STATS, droppedPermanent: 1 });
    t.same(ctx.logged, [
      {
        level: 'error',
        msg:
          `otlp:${target.url}: /v1/traces: 1 points refused (HTTP ${status}), dropped: otlp:${target.url}/v1/traces answered ${status}; ` +
          'response: trace_id: expected 32 hex digits',
      },
    ]);
    await sink.close();
  });
}

t.test('partial success: a warning with the rejected count and message, not retried', async (t) => {
  const { ExportTraceServiceResponse: Response } = otlpProtoTypes();
  const partial = Response.encode(Response.fromObject({ partialSuccess: { rejectedSpans: 2, errorMessage: 'spans too old' } })).finish();
  const target = await scriptedTarget(t, [{ status: 200, body: partial }]);
  const ctx = context();
  const { sink } = queued(otlpConfig(target.url), ctx);
  await writeTraces(sink);
  await sink.flush();
  t.equal(target.received.length, 1);
  t.same(ctx.logged, [{ level: 'warn', msg: `otlp:${target.url}/v1/traces: partial success: 2 rejected: spans too old` }]);
  await sink.close();
});

t.test('a batch that does not come from a request has nothing to forward', async (t) => {
  const transport = new OtlpTransport(otlpConfig('http://127.0.0.1:9'), 'ua', context().logger);
  t.same(transport.encode({ category: 'tracing', points: [] }), []);
});

t.test('configured by [[sinks.sink]] target = "otlp": the running gateway forwards', async (t) => {
  const b = await startTestGateway(fixtureToml(), now);
  const config = loadConfig({ text: `${fixtureToml()}\n[[sinks.sink]]\ntarget = "otlp"\nurl = "${b.otelUrl}"\n`, env: {} });
  const a = await startGateway({ config, listen: { host: '127.0.0.1', port: 0 }, now });
  t.equal(a.sinks[0].name, `otlp:${b.otelUrl}`);
  const logs = await logsRequest();
  await post(a, 'logs', 'protobuf', logs.protobuf);
  await a.close(); // drains the queue
  t.equal(b.sink.batches.length, 1);
  t.equal(b.sink.lines('logging').length, 3);
  await b.close();
});

// ------------------------------------------------------------------------ the JSON → protobuf re-encoding

/** A copy with every Uint8Array as a Buffer. */
function asBuffers<T>(v: T): T {
  if (v instanceof Uint8Array) return Buffer.from(v) as T;
  if (Array.isArray(v)) return v.map(asBuffers) as T;
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asBuffers(x)])) as T;
}

t.test('model → protobuf is the inverse of the protobuf decoder, presence and edge values included', async (t) => {
  const opts = { strictDatakit: false, maxDepth: 100 };
  const every: AnyValue[] = [
    sv('s'),
    { kind: 'bool', value: false },
    { kind: 'int', value: -5n },
    { kind: 'int', value: (1n << 63n) - 1n },
    { kind: 'double', value: 0 },
    { kind: 'bytes', value: Buffer.from([0, 255]) },
    { kind: 'array', values: [sv('a'), { kind: 'empty' }] },
    { kind: 'kvlist', values: [kv('k', sv('v')), kv('no value', undefined)] },
    { kind: 'empty' },
  ];
  const anyAttrs = every.map((v, i) => kv(`a${i}`, v));
  const link = { traceId: hex('0af7651916cd43dd8448eb211c80319c'), spanId: hex('b7ad6b7169203331'), traceState: 'k=v', attributes: [], droppedAttributesCount: 1, flags: 0x301 };
  const spans = traces(
    resourceSpans(undefined, [
      span({ attributes: anyAttrs, events: [event('e', attrs({ n: 1n }))], links: [link], flags: 0x100, kind: -1, droppedLinksCount: 2 }),
      span({ status: undefined, parentSpanId: hex('00f067aa0ba902b7') }),
      span({ status: { message: 'boom', code: 2 } }),
    ], scope('s', attrs({ x: 'y' }))),
  );
  const exemplar = { filteredAttributes: attrs({ f: 1 }), timeUnixNano: 1n, value: { kind: 'int', value: -7n } as const, spanId: hex('b7ad6b7169203331'), traceId: hex('0af7651916cd43dd8448eb211c80319c') };
  const metrics = metricsReq(
    resourceMetrics(attrs({ 'service.name': 'svc' }), [
      gauge('g', [numberDp(-3n, [], { exemplars: [exemplar], flags: 1 }), numberDp(-0), numberDp(undefined)]),
      { ...metric('s', { type: 'sum', dataPoints: [numberDp(1.5)], aggregationTemporality: 1, isMonotonic: false }), metadata: attrs({ m: 'd' }) },
      histogram('h', [histogramDp({ count: 2n, sum: 0, min: -1, max: 1, bucketCounts: [0n, (1n << 64n) - 1n], explicitBounds: [-1.5, 0] }), histogramDp()]),
      expHistogram('e', [
        expHistogramDp({ scale: -2, zeroCount: 3n, positive: { offset: -3, bucketCounts: [1n, 1n << 40n] }, negative: { offset: 0, bucketCounts: [] }, zeroThreshold: 1e-9 }),
      ]),
      summary('q', [summaryDp({ count: 4n, sum: 10, quantileValues: [{ quantile: 0, value: 1 }, { quantile: 1, value: -0 }] })]),
      metric('none', undefined),
    ]),
  );
  const logs = logsReq(
    resourceLogs([], [
      logRecord({ body: undefined, flags: 1, eventName: 'ev', observedTimeUnixNano: 9n, traceId: hex('0af7651916cd43dd8448eb211c80319c') }),
      logRecord({ body: { kind: 'kvlist', values: anyAttrs }, severityNumber: 0, severityText: '' }),
    ]),
  );
  // Strictly (1n is not 1); the decoders give bytes as Buffers, the builders as plain Uint8Arrays.
  t.strictSame(decodeRequest('traces', 'protobuf', encodeRequestProtobuf('traces', spans), opts), asBuffers(spans));
  const decodedMetrics = decodeRequest('metrics', 'protobuf', encodeRequestProtobuf('metrics', metrics), opts);
  t.strictSame(decodedMetrics, asBuffers(metrics));
  // tap compares -0 and 0 as equal: -0 is not the proto3 default and must survive.
  const q = decodedMetrics.resourceMetrics[0].scopeMetrics[0].metrics[4].data;
  t.equal(q?.type === 'summary' && Object.is(q.dataPoints[0].quantileValues[1].value, -0), true, 'a -0 quantile value stays -0');
  t.strictSame(decodeRequest('logs', 'protobuf', encodeRequestProtobuf('logs', logs), opts), asBuffers(logs));
  // Proto3 zero values stay off the wire: an empty request is zero bytes.
  t.equal(encodeRequestProtobuf('traces', { resourceSpans: [] }).length, 0);
});
