/**
 * The OTLP/HTTP receiver over real HTTP on loopback: routing, content negotiation, limits, decompression, answers
 * and remote_ip, in spec mode and with strict_datakit (otlp-http-receiver.md checklist 1–9, 13–14, 20–25).
 */
import zlib from 'node:zlib';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import t, { type Test } from 'tap';
import type { OtelInputConfig } from '../src/config/types.js';
import type { Signal } from '../src/otlp/model.js';
import { decodeRequest } from '../src/otlp/decode.js';
import { otlpProtoTypes } from '../src/otlp/proto.js';
import { goDuration, pingBody } from '../src/otlp/ping.js';
import { otlpReceiver, RetryableError, type ExportResult, type ReceivedRequest, type ReceiverOptions } from '../src/otlp/receiver.js';
import { exportResponseBody, statusBody } from '../src/otlp/responses.js';
import { jsonBody, request, type RequestOptions, type Response } from './helpers/http.js';
import { input } from './helpers/config-build.js';
import { tracerSetup } from './helpers/otel-sdk.js';

const PB = 'application/x-protobuf';
const JSON_CT = 'application/json';
const LIMITS = { maxRequestBytes: 64 * 1024, maxDecompressedBytes: 256 * 1024, maxJsonDepth: 100, maxConcurrentRequests: 4, maxQueuedRequests: 256, queueWaitMs: 200 };

/** Two real spans from the OpenTelemetry JS SDK, serialised by its own exporters' serializers. */
function sdkSpans() {
  const sdk = tracerSetup({ 'service.name': 'svc' });
  sdk.tracer.startSpan('first', { startTime: [1_700_000_000, 0] }).end([1_700_000_001, 0]);
  sdk.tracer.startSpan('second', { startTime: [1_700_000_000, 0] }).end([1_700_000_001, 0]);
  return sdk.spans();
}
const SPANS = sdkSpans();
const TRACES_PB = Buffer.from(ProtobufTraceSerializer.serializeRequest(SPANS)!);
const TRACES_JSON = Buffer.from(JsonTraceSerializer.serializeRequest(SPANS)!);
const METRICS_JSON = Buffer.from('{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","gauge":{"dataPoints":[{"asInt":"1"},{"asDouble":2}]}}]}]}]}');
/** The JSON decoder's reason for hex ids (src/otlp/decode-json.ts), as the receiver logs it. */
const HEX_IDS_WARNING = 'accepted a JSON body: JSON ids are hex: DataKit 1.84 decodes them as base64 (set strict_datakit = true to reproduce)';
const LOGS_JSON = Buffer.from('{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"hello"}}]}]}]}');

interface Harness {
  url: string;
  calls: ReceivedRequest[];
  admitted: string[];
  logs: Array<{ level: number; msg: string; err?: { message: string; stack: string } }>;
  warnings(): string[];
  post(path: string, contentType: string | undefined, body: RequestOptions['body'], more?: RequestOptions): Promise<Response>;
}

interface HarnessOptions {
  inputs?: OtelInputConfig[];
  limits?: Partial<ReceiverOptions['limits']>;
  result?: ExportResult;
  handle?: ReceiverOptions['handle'];
  admit?: ReceiverOptions['admit'];
}

async function startReceiver(t: Test, o: HarnessOptions = {}): Promise<Harness> {
  const logs: Harness['logs'] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const app = Fastify({ loggerInstance: logger as FastifyBaseLogger, disableRequestLogging: true });
  const calls: ReceivedRequest[] = [];
  const admitted: string[] = [];
  await otlpReceiver(app, {
    inputs: o.inputs ?? [input()],
    limits: { ...LIMITS, ...o.limits },
    datakitVersion: '1.84.1',
    hostname: 'test-host',
    handle:
      o.handle ??
      (async (req) => {
        calls.push(req);
        return o.result ?? {};
      }),
    admit: o.admit
      ? (signal) => {
          admitted.push(signal);
          return o.admit!(signal);
        }
      : undefined,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    url,
    calls,
    admitted,
    logs,
    warnings: () => logs.filter((l) => l.level === 40).map((l) => l.msg),
    post: (path, contentType, body, more = {}) =>
      request(url + path, { ...more, body, headers: { ...(contentType === undefined ? {} : { 'Content-Type': contentType }), ...more.headers } }),
  };
}

/** Asserts an exact JSON Status answer (checklist 14). */
function assertJsonStatus(t: Test, res: Response, status: number, code: number, message: string) {
  t.equal(res.status, status, 'status');
  t.equal(res.headers['content-type'], JSON_CT, 'content-type');
  t.equal(res.body.toString(), JSON.stringify({ code, message }), 'body');
  t.equal(res.headers['content-length'], String(res.body.length), 'content-length');
}

function decodeStatus(body: Buffer) {
  const { Status } = otlpProtoTypes();
  return Status.toObject(Status.decode(body), { defaults: true });
}

/** A strict_datakit answer: the status and an empty body without Content-Type (Q6, Q7). */
function assertEmptyAnswer(t: Test, res: Response, status: number) {
  t.equal(res.status, status, 'status');
  t.equal(res.headers['content-type'], undefined, 'no content-type');
  t.equal(res.headers['content-length'], '0', 'content-length');
  t.equal(res.body.length, 0, 'empty body');
}

function decodeError(body: Buffer, encoding: 'protobuf' | 'json'): string {
  try {
    decodeRequest('traces', encoding, body, { strictDatakit: false, maxDepth: 100 });
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the body not to decode');
}

t.test('protobuf traces: 200 with a 0-byte ExportTraceServiceResponse, handler gets everything (checklist 1, 7, 8)', async (t) => {
  const h = await startReceiver(t);
  const res = await h.post('/otel/v1/traces', PB, TRACES_PB);
  t.equal(res.status, 200);
  t.equal(res.headers['content-type'], PB);
  t.equal(res.headers['content-length'], '0');
  t.equal(res.body.length, 0);
  t.equal(h.calls.length, 1);
  const [call] = h.calls;
  t.has(call, { signal: 'traces', encoding: 'protobuf', inputIndex: 0, remoteIp: '127.0.0.1', items: 2, bytes: TRACES_PB.length });
  t.same(
    (call.data as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string }> }> }> }).resourceSpans[0].scopeSpans[0].spans.map((s) => s.name),
    ['first', 'second'],
  );
  t.same(h.warnings(), []);
});

t.test('JSON traces, metrics and logs: 200 with `{}` and the right signal (checklist 1, 8)', async (t) => {
  const input0 = input();
  const h = await startReceiver(t, { inputs: [input0] });
  for (const [path, body, signal, items] of [
    ['/otel/v1/traces', TRACES_JSON, 'traces', 2],
    ['/otel/v1/metrics', METRICS_JSON, 'metrics', 2],
    ['/otel/v1/logs', LOGS_JSON, 'logs', 1],
  ] as const) {
    const res = await h.post(path, JSON_CT, body);
    t.equal(res.status, 200, path);
    t.equal(res.headers['content-type'], JSON_CT);
    t.equal(res.headers['content-length'], '2');
    t.equal(res.body.toString(), '{}');
    const call = h.calls.at(-1)!;
    t.has(call, { signal, encoding: 'json', items, bytes: body.length });
    t.equal(call.input, input0, 'the configured input object itself');
  }
  t.equal(h.calls.length, 3);
});

t.test('configured paths: trailing slash, query string, missing leading slash, several inputs (checklist 1, 2)', async (t) => {
  const spec = input({ http: { httpStatusOk: 200, traceApi: 'custom/traces/', metricApi: '/m', logsApi: '/l' } });
  const h = await startReceiver(t, { inputs: [input({ http: undefined }), input(), spec] });
  for (const path of ['/otel/v1/traces/', '/otel/v1/traces?x=1', '/custom/traces', '/custom/traces/']) {
    const res = await h.post(path, PB, TRACES_PB);
    t.equal(res.status, 200, path);
  }
  t.same(
    h.calls.map((c) => c.inputIndex),
    [1, 1, 2, 2],
  );
  t.equal(h.calls[2].input, spec);
});

t.test('the same path configured twice is refused at startup', async (t) => {
  const app = Fastify();
  t.teardown(() => app.close());
  await t.rejects(
    otlpReceiver(app, { inputs: [input(), input()], limits: LIMITS, datakitVersion: 'v', hostname: 'h', handle: async () => ({}) }),
    { message: 'OTLP/HTTP route /otel/v1/traces is configured twice ([[inputs.opentelemetry]] #1 and #2)' },
  );
});

t.test('wrong method → 405 + Allow: POST + Status, before any body is read (checklist 3, 4, 14)', async (t) => {
  const h = await startReceiver(t);
  for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    const res = await request(`${h.url}/otel/v1/metrics/`, { method });
    t.equal(res.headers.allow, 'POST', method);
    assertJsonStatus(t, res, 405, 12, `method ${method} is not allowed on /otel/v1/metrics: OTLP/HTTP requests are POST`);
  }
  const head = await request(`${h.url}/otel/v1/logs`, { method: 'HEAD' });
  t.equal(head.status, 405);
  t.equal(head.headers.allow, 'POST');
  // A protobuf client gets a protobuf Status; a huge announced body is never waited for.
  const put = await request(`${h.url}/otel/v1/traces`, { method: 'PUT', headers: { 'content-type': PB, 'content-length': '999999999' }, holdBody: true });
  t.equal(put.status, 405);
  t.equal(put.headers['content-type'], PB);
  t.same(decodeStatus(put.body), { code: 12, message: 'method PUT is not allowed on /otel/v1/traces: OTLP/HTTP requests are POST', details: [] });
  t.same(h.calls, []);
  t.same(h.warnings(), [
    'answered 405 to a GET on /otel/v1/metrics: DataKit 1.84 answers 404 (set strict_datakit = true to reproduce)',
    'answered 405 to a PUT on /otel/v1/metrics: DataKit 1.84 answers 404 (set strict_datakit = true to reproduce)',
    'answered 405 to a DELETE on /otel/v1/metrics: DataKit 1.84 answers 404 (set strict_datakit = true to reproduce)',
    'answered 405 to a PATCH on /otel/v1/metrics: DataKit 1.84 answers 404 (set strict_datakit = true to reproduce)',
    'answered 405 to a OPTIONS on /otel/v1/metrics: DataKit 1.84 answers 404 (set strict_datakit = true to reproduce)',
    'answered 405 to a HEAD on /otel/v1/logs: DataKit 1.84 answers 404 (set strict_datakit = true to reproduce)',
    'answered 405 to a PUT on /otel/v1/traces: DataKit 1.84 answers 404 (set strict_datakit = true to reproduce)',
  ]);
});

t.test('unknown path → 404 Status naming the routes and the SDK base endpoint (checklist 3; pitfall 2)', async (t) => {
  const h = await startReceiver(t);
  const host = h.url.slice('http://'.length);
  const routes = 'OTLP/HTTP is served on POST /otel/v1/traces, /otel/v1/metrics, /otel/v1/logs';
  const hint = `An OpenTelemetry SDK's base endpoint for DataKit is http://${host}/otel (the SDK appends /v1/traces, /v1/metrics, /v1/logs); a per-signal endpoint must be the full path.`;
  // No Content-Type and a body that never comes: answered at once, not 415 and not 413.
  const res = await request(`${h.url}/otel/v1/traces/v1/traces?q=1`, { headers: { 'content-length': '999999999' }, holdBody: true });
  assertJsonStatus(t, res, 404, 5, `no route for POST /otel/v1/traces/v1/traces. ${routes}. ${hint}`);
  const pb = await h.post('/v1/traces', PB, TRACES_PB);
  t.equal(pb.status, 404);
  t.equal(pb.headers['content-type'], PB);
  t.same(decodeStatus(pb.body), { code: 5, message: `no route for POST /v1/traces. ${routes}. ${hint}`, details: [] });

  const none = await startReceiver(t, { inputs: [input({ http: undefined })] });
  const res2 = await request(`${none.url}/otel/v1/traces`, { method: 'GET' });
  assertJsonStatus(
    t,
    res2,
    404,
    5,
    `no route for GET /otel/v1/traces. no OTLP/HTTP routes are configured (add [inputs.opentelemetry.http]). An OpenTelemetry SDK's base endpoint for DataKit is http://${none.url.slice(7)}/otel (the SDK appends /v1/traces, /v1/metrics, /v1/logs); a per-signal endpoint must be the full path.`,
  );
});

t.test('Content-Type: parsed media type accepted, each DataKit difference warned once (checklist 5, 6)', async (t) => {
  const h = await startReceiver(t);
  for (const ct of ['application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json; charset=utf-8', 'application/json;charset=UTF-8']) {
    const res = await h.post('/otel/v1/traces', ct, TRACES_JSON);
    t.equal(res.status, 200, ct);
    t.equal(res.headers['content-type'], JSON_CT, 'the response mirrors the media type without parameters');
    t.equal(res.body.toString(), '{}');
  }
  const pb = await h.post('/otel/v1/traces', 'Application/X-Protobuf; proto=x', TRACES_PB);
  t.equal(pb.status, 200);
  t.equal(pb.headers['content-type'], PB);
  t.equal(h.calls.length, 5);
  t.same(h.warnings(), [
    "accepted Content-Type 'application/json; charset=utf-8': DataKit 1.84 answers 400 to it (set strict_datakit = true to reproduce)",
    HEX_IDS_WARNING,
    "accepted Content-Type 'APPLICATION/JSON': DataKit 1.84 answers 400 to it (set strict_datakit = true to reproduce)",
    "accepted Content-Type 'application/json;charset=UTF-8': DataKit 1.84 answers 400 to it (set strict_datakit = true to reproduce)",
    "accepted Content-Type 'Application/X-Protobuf; proto=x': DataKit 1.84 answers 400 to it (set strict_datakit = true to reproduce)",
  ]);
});

t.test('missing or unsupported Content-Type → 415 Status before the body is read (checklist 6, 14)', async (t) => {
  const h = await startReceiver(t);
  const missing = await request(`${h.url}/otel/v1/traces`, { headers: { 'content-length': '999999999' }, holdBody: true });
  assertJsonStatus(t, missing, 415, 3, 'no Content-Type: OTLP/HTTP bodies are application/x-protobuf, application/json');
  for (const ct of ['text/plain', 'application/protobuf', '', 'not a media type']) {
    const res = await h.post('/otel/v1/logs', ct, LOGS_JSON);
    assertJsonStatus(t, res, 415, 3, `unsupported Content-Type '${ct}': OTLP/HTTP bodies are application/x-protobuf, application/json`);
  }
  t.same(h.calls, []);
});

t.test('Content-Encoding: gzip, x-gzip, deflate, identity, any case (checklist 22)', async (t) => {
  const h = await startReceiver(t);
  const bodies: Array<[string | undefined, Buffer]> = [
    [undefined, TRACES_PB],
    ['', TRACES_PB],
    ['identity', TRACES_PB],
    ['gzip', zlib.gzipSync(TRACES_PB)],
    ['GZIP', zlib.gzipSync(TRACES_PB)],
    [' gzip ', zlib.gzipSync(TRACES_PB)],
    ['x-gzip', zlib.gzipSync(TRACES_PB)],
    ['deflate', zlib.deflateSync(TRACES_PB)],
    ['deflate', zlib.deflateRawSync(TRACES_PB)],
  ];
  for (const [encoding, body] of bodies) {
    const res = await h.post('/otel/v1/traces', PB, body, encoding === undefined ? {} : { headers: { 'Content-Encoding': encoding } });
    t.equal(res.status, 200, JSON.stringify(encoding));
  }
  t.same(
    h.calls.map((c) => [c.items, c.bytes]),
    bodies.map(([, body]) => [2, body.length]),
  );
  t.same(h.warnings(), [
    "accepted Content-Encoding 'x-gzip': DataKit 1.84 decompresses only gzip and decodes this body as it is (set strict_datakit = true to reproduce)",
    "accepted Content-Encoding 'deflate': DataKit 1.84 decompresses only gzip and decodes this body as it is (set strict_datakit = true to reproduce)",
  ]);
});

t.test('unsupported Content-Encoding → 415 + Accept-Encoding; broken gzip → 400 (checklist 23, 24, 25)', async (t) => {
  const h = await startReceiver(t);
  for (const encoding of ['br', 'zstd', 'gzip, br']) {
    const res = await h.post('/otel/v1/traces', JSON_CT, TRACES_JSON, { headers: { 'Content-Encoding': encoding } });
    t.equal(res.headers['accept-encoding'], 'gzip, deflate', encoding);
    assertJsonStatus(t, res, 415, 3, `unsupported Content-Encoding '${encoding}': use gzip, deflate or none`);
  }
  const notGzip = await h.post('/otel/v1/traces', JSON_CT, TRACES_JSON, { headers: { 'Content-Encoding': 'gzip' } });
  assertJsonStatus(t, notGzip, 400, 3, 'invalid gzip body: incorrect header check');
  const empty = await h.post('/otel/v1/traces', PB, Buffer.alloc(0), { headers: { 'Content-Encoding': 'gzip' } });
  t.equal(empty.status, 400);
  t.equal(empty.headers['content-type'], PB);
  t.same(decodeStatus(empty.body), { code: 3, message: 'invalid gzip body: unexpected end of file', details: [] });
  t.same(h.calls, []);
});

t.test('max_request_bytes: Content-Length pre-check and chunked counting → 413 (checklist 20)', async (t) => {
  const h = await startReceiver(t, { limits: { maxRequestBytes: 1000 } });
  const message = 'request body exceeds max_request_bytes (1000 bytes)';
  const announced = await request(`${h.url}/otel/v1/traces`, { headers: { 'content-type': PB, 'content-length': '1001' }, holdBody: true });
  t.equal(announced.status, 413);
  t.same(decodeStatus(announced.body), { code: 8, message, details: [] });
  const chunked = await h.post('/otel/v1/logs', JSON_CT, [Buffer.alloc(600, 0x20), Buffer.alloc(600, 0x20)], { chunked: true });
  assertJsonStatus(t, chunked, 413, 8, message);
  // Exactly at the limit is accepted (JSON allows the padding).
  const exact = Buffer.concat([LOGS_JSON, Buffer.alloc(1000 - LOGS_JSON.length, 0x20)]);
  const ok = await h.post('/otel/v1/logs', JSON_CT, exact, { chunked: true });
  t.equal(ok.status, 200);
  t.equal(h.calls.length, 1);
});

t.test('max_decompressed_bytes: a gzip bomb is refused with 413 (checklist 21)', async (t) => {
  const h = await startReceiver(t, { limits: { maxRequestBytes: 1024 * 1024, maxDecompressedBytes: 1024 * 1024 } });
  const bomb = zlib.gzipSync(Buffer.alloc(256 * 1024 * 1024), { level: 9 });
  t.ok(bomb.length < 300 * 1024, `bomb is ${bomb.length} bytes`);
  const res = await h.post('/otel/v1/traces', PB, bomb, { headers: { 'content-encoding': 'gzip' } });
  t.equal(res.status, 413);
  t.same(decodeStatus(res.body), { code: 8, message: 'decompressed request body exceeds max_decompressed_bytes (1048576 bytes)', details: [] });
  // The same limit applies to a body that was not compressed.
  const plain = await startReceiver(t, { limits: { maxDecompressedBytes: 100 } });
  const big = await plain.post('/otel/v1/traces', JSON_CT, TRACES_JSON);
  assertJsonStatus(t, big, 413, 8, 'decompressed request body exceeds max_decompressed_bytes (100 bytes)');
  t.same(h.calls, []);
});

t.test("undecodable bodies → 400 Status code 3 with the decoder's message (checklist 13)", async (t) => {
  const h = await startReceiver(t);
  const badPb = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]);
  const pb = await h.post('/otel/v1/traces', PB, badPb);
  t.equal(pb.status, 400);
  t.equal(pb.headers['content-type'], PB);
  t.same(decodeStatus(pb.body), { code: 3, message: decodeError(badPb, 'protobuf'), details: [] });
  const badJson = Buffer.from('{"resourceSpans":[');
  assertJsonStatus(t, await h.post('/otel/v1/traces', JSON_CT, badJson), 400, 3, decodeError(badJson, 'json'));
  const badId = Buffer.from('{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"abc","name":"x"}]}]}]}');
  assertJsonStatus(t, await h.post('/otel/v1/traces', JSON_CT, badId), 400, 3, decodeError(badId, 'json'));
  t.same(h.calls, []);
});

t.test('empty requests → 200 at once, the handler is not called (checklist 9)', async (t) => {
  const h = await startReceiver(t);
  const pb = await h.post('/otel/v1/traces', PB, Buffer.alloc(0));
  t.equal(pb.status, 200);
  t.equal(pb.body.length, 0);
  for (const body of ['{}', '{"resourceSpans":[]}', '{"resourceSpans":[{"scopeSpans":[{"spans":[]}]}]}']) {
    const res = await h.post('/otel/v1/traces', JSON_CT, body);
    t.equal(res.status, 200, body);
    t.equal(res.body.toString(), '{}');
  }
  const noPoints = await h.post('/otel/v1/metrics', JSON_CT, '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","gauge":{}}]}]}]}');
  t.equal(noPoints.status, 200);
  t.same(h.calls, []);
});

t.test('partial success from the handler, in both encodings (checklist 10 plumbing; §1.6)', async (t) => {
  const h = await startReceiver(t, { result: { rejected: 3, errorMessage: 'three spans had no name' } });
  const json = await h.post('/otel/v1/traces', JSON_CT, TRACES_JSON);
  t.equal(json.status, 200);
  t.equal(json.body.toString(), '{"partialSuccess":{"rejectedSpans":"3","errorMessage":"three spans had no name"}}');
  const pb = await h.post('/otel/v1/traces', PB, TRACES_PB);
  t.equal(pb.status, 200);
  t.equal(pb.headers['content-type'], PB);
  const type = otlpProtoTypes().ExportTraceServiceResponse;
  t.same(type.toObject(type.decode(pb.body), { longs: Number }), { partialSuccess: { rejectedSpans: 3, errorMessage: 'three spans had no name' } });
});

t.test('Export*ServiceResponse bodies per signal', async (t) => {
  const json = (signal: Signal, result: ExportResult) => exportResponseBody(signal, 'json', result).toString();
  t.equal(json('traces', {}), '{}');
  t.equal(json('logs', { rejected: 0, errorMessage: '' }), '{}');
  t.same(exportResponseBody('metrics', 'protobuf', {}), Buffer.alloc(0));
  t.equal(json('metrics', { rejected: 2 }), '{"partialSuccess":{"rejectedDataPoints":"2"}}');
  t.equal(json('logs', { rejected: 1, errorMessage: 'x' }), '{"partialSuccess":{"rejectedLogRecords":"1","errorMessage":"x"}}');
  t.equal(json('traces', { errorMessage: 'warning only' }), '{"partialSuccess":{"errorMessage":"warning only"}}');
  // ExportMetricsPartialSuccess { rejected_data_points = 1 (int64), error_message = 2 }.
  t.same(exportResponseBody('metrics', 'protobuf', { rejected: 2, errorMessage: 'x' }), Buffer.from([0x0a, 0x05, 0x08, 0x02, 0x12, 0x01, 0x78]));
  t.same(exportResponseBody('logs', 'protobuf', { errorMessage: 'x' }), Buffer.from([0x0a, 0x03, 0x12, 0x01, 0x78]));
  // google.rpc.Status { code = 1, message = 2 }.
  t.same(statusBody('protobuf', 503, 'x'), Buffer.from([0x08, 0x0e, 0x12, 0x01, 0x78]));
  t.equal(statusBody('json', 429, 'slow down').toString(), '{"code":8,"message":"slow down"}');
});

t.test('handler errors: RetryableError → 503 + Retry-After; anything else → 500, logged with its stack', async (t) => {
  let thrown: Error = new RetryableError('the sink is full', 1.2);
  const h = await startReceiver(t, {
    handle: async () => {
      throw thrown;
    },
  });
  const retry = await h.post('/otel/v1/traces', JSON_CT, TRACES_JSON);
  t.equal(retry.headers['retry-after'], '2');
  assertJsonStatus(t, retry, 503, 14, 'the sink is full');
  thrown = new Error('boom');
  const failed = await h.post('/otel/v1/traces', PB, TRACES_PB);
  t.equal(failed.status, 500);
  t.same(decodeStatus(failed.body), { code: 13, message: 'internal error: boom', details: [] });
  const logged = h.logs.filter((l) => l.level === 50);
  t.equal(logged.length, 1);
  t.equal(logged[0].msg, 'OTLP request failed');
  t.equal(logged[0].err?.message, 'boom');
  t.match(logged[0].err?.stack, /^Error: boom\n\s+at /);
});

t.test('503s are logged once per reason and interval, not once per request (no log flood under overload)', async (t) => {
  const h = await startReceiver(t, {
    handle: async () => {
      throw new RetryableError('the sink is full', 1);
    },
  });
  for (let i = 0; i < 5; i++) t.equal((await h.post('/otel/v1/traces', PB, TRACES_PB)).status, 503);
  t.same(h.warnings(), ['OTLP request refused with 503: the sink is full']);
});

t.test('admit() refuses before the body is read: 503 + Retry-After + Status (checklist 15, 18)', async (t) => {
  let open = false;
  const h = await startReceiver(t, { admit: () => (open ? null : { retryAfterSeconds: 5 }) });
  // The announced body is far over max_request_bytes and never sent: only an answer before reading can come back.
  const res = await request(`${h.url}/otel/v1/metrics`, { headers: { 'content-type': JSON_CT, 'content-length': '999999999' }, holdBody: true });
  t.equal(res.headers['retry-after'], '5');
  assertJsonStatus(t, res, 503, 14, 'the gateway is overloaded: retry the metrics export later');
  open = true;
  t.equal((await h.post('/otel/v1/logs', JSON_CT, LOGS_JSON)).status, 200);
  t.same(h.admitted, ['metrics', 'logs']);
  t.same(
    h.calls.map((c) => c.signal),
    ['logs'],
  );
});

t.test('remote_ip: forwarded host:port, else the peer (datakit §3.7, Q43)', async (t) => {
  const h = await startReceiver(t);
  const cases: Array<[Record<string, string | string[]>, string]> = [
    [{}, '127.0.0.1'],
    [{ 'X-Forwarded-For': '203.0.113.7:4711, 10.0.0.1:80' }, '203.0.113.7'],
    [{ 'X-Forwarded-For': '203.0.113.7, 10.0.0.1:80' }, ' 10.0.0.1'],
    [{ 'X-Forwarded-For': '203.0.113.7', 'X-Real-IP': '[2001:db8::7]:1' }, '2001:db8::7'],
    [{ 'X-Real-IP': '198.51.100.1' }, '127.0.0.1'],
    [{ 'Proxy-Client-IP': '198.51.100.2:9' }, '198.51.100.2'],
    [{ 'X-Forwarded-For': ['1.1.1.1', '2.2.2.2:2'] }, '127.0.0.1'],
  ];
  for (const [headers] of cases) t.equal((await h.post('/otel/v1/traces', PB, TRACES_PB, { headers })).status, 200);
  t.same(
    h.calls.map((c) => c.remoteIp),
    cases.map(([, ip]) => ip),
  );
});

t.test('JSON decoder differences are warned once per reason', async (t) => {
  const h = await startReceiver(t);
  const body = Buffer.from('{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","name":"x"}]}]}]}');
  t.equal((await h.post('/otel/v1/traces', JSON_CT, body)).status, 200);
  t.equal((await h.post('/otel/v1/traces', JSON_CT, body)).status, 200);
  t.same(h.warnings(), [HEX_IDS_WARNING]);
});

t.test('GET /v1/ping answers like DataKit', async (t) => {
  const h = await startReceiver(t);
  const res = await request(`${h.url}/v1/ping`, { method: 'GET' });
  t.equal(res.status, 200);
  t.equal(res.headers['content-type'], JSON_CT);
  const body = jsonBody(res) as { content: { version: string; uptime: string; host: string } };
  t.same(Object.keys(body.content), ['version', 'uptime', 'host']);
  t.has(body.content, { version: '1.84.1', host: 'test-host' });
  t.match(body.content.uptime, /^\d+(\.\d+)?(ns|µs|ms|s)$/);
  t.equal(pingBody({ datakitVersion: '1.84.1', hostname: 'h' }, 3_723_500_000_000n), '{"content":{"version":"1.84.1","uptime":"1h2m3.5s","host":"h"}}');
});

t.test("goDuration is Go's time.Duration.String()", async (t) => {
  const cases: Array<[bigint, string]> = [
    [0n, '0s'],
    [1n, '1ns'],
    [999n, '999ns'],
    [1_000n, '1µs'],
    [1_500n, '1.5µs'],
    [1_000_000n, '1ms'],
    [2_345_678n, '2.345678ms'],
    [1_000_000_000n, '1s'],
    [1_000_000_001n, '1.000000001s'],
    [59_999_999_999n, '59.999999999s'],
    [60_000_000_000n, '1m0s'],
    [3_600_000_000_000n, '1h0m0s'],
    [3_603_250_000_000n, '1h0m3.25s'],
    [90_061_000_000_000n, '25h1m1s'],
  ];
  for (const [ns, text] of cases) t.equal(goDuration(ns), text, String(ns));
});

t.test('strict_datakit answers exactly as DataKit 1.84 (Q3, Q4, Q6, Q7, Q9, Q48), limits and bad gzip stay safe (Q8, Q10)', async (t) => {
  const h = await startReceiver(t, { inputs: [input({ strictDatakit: true })], limits: { maxRequestBytes: 4096 } });
  assertEmptyAnswer(t, await h.post('/otel/v1/traces', PB, TRACES_PB), 200);
  assertEmptyAnswer(t, await h.post('/otel/v1/traces', JSON_CT, TRACES_JSON), 200);
  assertEmptyAnswer(t, await h.post('/otel/v1/traces/', PB, zlib.gzipSync(TRACES_PB), { headers: { 'Content-Encoding': ' GZIP ' } }), 200);
  t.equal(h.calls.length, 3);
  t.has(h.calls[1], { encoding: 'json', items: 2 });

  for (const ct of ['application/json; charset=utf-8', 'APPLICATION/JSON', 'text/plain']) {
    assertEmptyAnswer(t, await h.post('/otel/v1/traces', ct, TRACES_JSON), 400);
  }
  assertEmptyAnswer(t, await request(`${h.url}/otel/v1/traces`, { headers: { 'content-length': '10' }, holdBody: true }), 400);
  // Any exact value passes the header check; the first value picks the decoder.
  assertEmptyAnswer(t, await h.post('/otel/v1/traces', undefined, TRACES_JSON, { headers: { 'Content-Type': ['application/json; charset=utf-8', PB] } }), 200);
  // Only gzip is decompressed: an x-gzip body is decoded as it is and fails.
  assertEmptyAnswer(t, await h.post('/otel/v1/traces', PB, zlib.gzipSync(TRACES_PB), { headers: { 'Content-Encoding': 'x-gzip' } }), 400);
  assertEmptyAnswer(t, await h.post('/otel/v1/traces', PB, TRACES_PB, { headers: { 'Content-Encoding': 'br' } }), 200);
  assertEmptyAnswer(t, await h.post('/otel/v1/traces', PB, TRACES_PB, { headers: { 'Content-Encoding': 'gzip' } }), 400);
  assertEmptyAnswer(t, await h.post('/otel/v1/traces', PB, Buffer.from([0x0a, 0xff])), 400);
  assertEmptyAnswer(t, await request(`${h.url}/otel/v1/traces`, { method: 'GET' }), 404);
  assertEmptyAnswer(t, await request(`${h.url}/otel/v1/traces`, { headers: { 'content-type': PB, 'content-length': '5000' }, holdBody: true }), 413);
  t.equal(h.calls.length, 5);
  t.same(h.warnings(), [], 'strict mode warns about nothing');
});

t.test('strict_datakit handler failures keep their status, with empty bodies', async (t) => {
  let thrown: Error = new RetryableError('full', 3);
  const h = await startReceiver(t, {
    inputs: [input({ strictDatakit: true })],
    handle: async () => {
      throw thrown;
    },
  });
  const retry = await h.post('/otel/v1/traces', PB, TRACES_PB);
  assertEmptyAnswer(t, retry, 503);
  t.equal(retry.headers['retry-after'], '3');
  thrown = new Error('boom');
  assertEmptyAnswer(t, await h.post('/otel/v1/traces', PB, TRACES_PB), 500);
});

t.test('a strict and a spec input side by side answer each in their own way', async (t) => {
  const strict = input({ strictDatakit: true, http: { httpStatusOk: 200, traceApi: '/dk/v1/traces', metricApi: '/dk/v1/metrics', logsApi: '/dk/v1/logs' } });
  const h = await startReceiver(t, { inputs: [input(), strict] });
  assertEmptyAnswer(t, await h.post('/dk/v1/logs', 'application/json; charset=utf-8', LOGS_JSON), 400);
  const spec = await h.post('/otel/v1/logs', 'application/json; charset=utf-8', LOGS_JSON);
  t.equal(spec.status, 200);
  t.equal(spec.body.toString(), '{}');
  t.same(
    h.calls.map((c) => c.inputIndex),
    [0],
  );
});
