/**
 * The dataway transport against a real DataKit-like backend on loopback (datakit reference §10): the exact request
 * per category (path, token, headers, gunzipped golden line protocol), splitting at DataKit's body size, the
 * classification of failures (Retry-After, retryable, permanent with the response body), and the independent
 * line-protocol parser the backend uses, round-tripping the encoder's output for tricky points (§9).
 */
import t, { type Test } from 'tap';
import type { DatawaySinkConfig } from '../src/config/types.js';
import { encodePoints } from '../src/datakit/line-protocol.js';
import {
  boolField,
  floatField,
  intField,
  strField,
  tag,
  uintField,
  type Category,
  type FieldValue,
  type Point,
} from '../src/datakit/point.js';
import { createDatawaySink, DatawayTransport, MAX_RAW_BODY_BYTES } from '../src/sinks/dataway-sink.js';
import { QueuedSink } from '../src/sinks/queue.js';
import { parseRetryAfter } from '../src/sinks/retry.js';
import type { SinkContext } from '../src/sinks/sink.js';
import { DeliveryError, type Envelope } from '../src/sinks/transport.js';
import { DatawayServer } from './helpers/dataway-server.js';
import { parseLineProtocol } from './helpers/line-protocol-parse.js';
import { DEFAULT_DELIVERY } from './helpers/config-build.js';

const USER_AGENT = 'datakit-linux-amd64/1.84.1/ci-host';


function config(url: string, more: Partial<DatawaySinkConfig> = {}): DatawaySinkConfig {
  return { target: 'dataway', categories: ['tracing', 'metric', 'logging'], url, gzip: true, delivery: DEFAULT_DELIVERY, ...more };
}

async function backend(t: Test): Promise<DatawayServer> {
  const server = await DatawayServer.start();
  t.teardown(() => server.close());
  return server;
}

function transport(t: Test, cfg: DatawaySinkConfig): DatawayTransport {
  const tr = new DatawayTransport(cfg, USER_AGENT);
  t.teardown(() => tr.close());
  return tr;
}

const T0 = 1_700_000_000_000_000_000n;
const span = (n: number): Point => ({
  measurement: 'opentelemetry',
  kvs: [tag('service', 'shop'), tag('host', 'ci-host'), intField('duration', BigInt(n)), strField('resource', `GET /${n}`)],
  time: T0 + BigInt(n),
});
const spanLine = (n: number) => `opentelemetry,host=ci-host,service=shop duration=${n}i,resource="GET /${n}" ${T0 + BigInt(n)}`;

/** What the failed send threw, or a failure of the test if it did not throw a DeliveryError. */
async function sendError(t: Test, tr: DatawayTransport, env: Envelope, signal = new AbortController().signal): Promise<DeliveryError> {
  try {
    await tr.send(env, signal);
  } catch (err) {
    if (err instanceof DeliveryError) return err;
    throw err;
  }
  t.fail('send should have failed');
  throw new Error('unreachable');
}

t.test('one request per category: path, token, DataKit headers, gzip, golden line protocol (§10)', async (t) => {
  const server = await backend(t);
  const tr = transport(t, config(server.url));
  const port = new URL(server.url).port;
  t.equal(tr.name, `dataway:http://127.0.0.1:${port}`, 'the name never shows the token');
  for (const category of ['tracing', 'metric', 'logging'] as Category[]) {
    const [env] = tr.encode({ category, points: [span(1), span(2)] });
    t.same({ category: env.category, items: env.items, route: env.route }, { category, items: 2, route: `/v1/write/${category}` });
    await tr.send(env, new AbortController().signal);
  }
  t.same(
    server.requests.map((r) => [r.path, r.category, r.token, r.status, r.text]),
    ['tracing', 'metric', 'logging'].map((c) => [`/v1/write/${c}`, c, 'tkn_test', 200, `${spanLine(1)}\n${spanLine(2)}`]),
  );
  const r = server.requests[0];
  const wire: Record<string, string> = {};
  for (let i = 0; i < r.rawHeaders.length; i += 2) wire[r.rawHeaders[i]] = r.rawHeaders[i + 1];
  t.match(wire['X-Pkg-Id'], /^dk_[0-9a-f]{20}$/);
  delete wire['X-Pkg-Id'];
  t.same(wire, {
    'User-Agent': USER_AGENT,
    Referer: 'DataKit',
    'Content-Type': 'application/line-protocol',
    'X-Points': '2',
    'Content-Encoding': 'gzip',
    'Content-Length': r.headers['content-length'],
    Host: `127.0.0.1:${port}`,
    Connection: 'keep-alive',
  });
  t.equal(new Set(server.requests.map((q) => q.headers['x-pkg-id'])).size, 3, 'each request has its own package id');
});

t.test('gzip = false sends the line protocol as is; a path in the URL prefixes the route', async (t) => {
  const server = await backend(t);
  const tr = transport(t, config(server.url, { gzip: false }));
  const [env] = tr.encode({ category: 'metric', points: [span(3)] });
  t.equal(env.headers['Content-Encoding'], undefined);
  t.equal(Buffer.from(env.body).toString(), spanLine(3));
  await tr.send(env, new AbortController().signal);
  t.equal(server.requests[0].text, spanLine(3));
  t.equal(server.requests[0].headers['content-encoding'], undefined);

  const port = new URL(server.url).port;
  const prefixed = transport(t, config(`http://127.0.0.1:${port}/relay/?token=tkn_test`));
  t.equal(prefixed.name, `dataway:http://127.0.0.1:${port}/relay/`);
  const err = await sendError(t, prefixed, env);
  t.equal(server.requests[1].path, '/relay/v1/write/metric');
  t.same([err.status, err.retryable], [404, false], 'not found is permanent');
});

t.test('points DataKit cannot encode are left out and not counted; nothing left → no envelope (§9.1)', async (t) => {
  const server = await backend(t);
  const tr = transport(t, config(server.url));
  const noFields: Point = { measurement: 'm', kvs: [tag('a', 'b')], time: 1n };
  const nan: Point = { measurement: 'm', kvs: [floatField('f', NaN)], time: 1n };
  const [env] = tr.encode({ category: 'logging', points: [noFields, span(4), nan] });
  t.same([env.items, env.headers['X-Points']], [1, '1']);
  t.same(tr.encode({ category: 'logging', points: [noFields, nan] }), []);
  t.same(tr.encode({ category: 'logging', points: [] }), []);
});

t.test('encode cuts a batch at the raw body size, as DataKit does; an oversized point goes alone', async (t) => {
  const server = await backend(t);
  const tr = transport(t, config(server.url));
  const points = Array.from({ length: 10 }, (_, i) => span(i));
  const lineBytes = Buffer.byteLength(spanLine(0)) + 1;
  const envelopes = tr.encode({ category: 'tracing', points }, lineBytes * 4);
  t.same(envelopes.map((e) => e.items), [4, 4, 2]);
  for (const e of envelopes) await tr.send(e, new AbortController().signal);
  t.same(server.requests.map((r) => r.headers['x-points']), ['4', '4', '2']);
  t.same(server.points('tracing').map((p) => p.fields.duration), points.map((_, i) => ({ type: 'int', value: BigInt(i) })));

  const big: Point = { measurement: 'log', kvs: [strField('message', 'x'.repeat(100))], time: 5n };
  t.same(tr.encode({ category: 'logging', points: [span(1), big, span(2)] }, 50).map((e) => e.items), [1, 1, 1]);

  // By default at DataKit's 1 MiB: three points of 0.4 MiB each make two requests.
  const message = (n: number): Point => ({ measurement: 'log', kvs: [strField('message', String(n).repeat(0.4 * MAX_RAW_BODY_BYTES))], time: 5n });
  t.same(tr.encode({ category: 'logging', points: [message(1), message(2), message(3)] }).map((e) => e.items), [2, 1]);
});

t.test('failures: 429 and 503 retryable with Retry-After, 4xx permanent with the start of the body', async (t) => {
  const server = await backend(t);
  const tr = transport(t, config(server.url));
  const [env] = tr.encode({ category: 'tracing', points: [span(1)] });

  server.failNext(1, 429, '7');
  let err = await sendError(t, tr, env);
  t.same([err.retryable, err.status, err.retryAfterMs, err.responseBody], [true, 429, 7000, '{"error":"try again"}']);
  t.equal(err.message, `${tr.name}/v1/write/tracing answered 429`);

  server.failNext(1, 503);
  err = await sendError(t, tr, env);
  t.same([err.retryable, err.status, err.retryAfterMs], [true, 503, undefined]);

  server.failNext(1, 408, 'Wed, 21 Oct 2015 07:28:00 GMT');
  err = await sendError(t, tr, env);
  t.same([err.retryable, err.status, err.retryAfterMs], [true, 408, 0], 'a date in the past means now');

  const body = `{"error_code":"datakit.badRequest","message":"${'é'.repeat(600)}"}`;
  server.reject(400, body);
  err = await sendError(t, tr, env);
  t.same([err.retryable, err.status, err.retryAfterMs], [false, 400, undefined]);
  t.equal(err.responseBody, Buffer.from(body).subarray(0, 1024).toString('utf8'), 'the first KiB of the body');
  server.accept();

  const wrongToken = transport(t, config(server.url.replace('tkn_test', 'tkn_other')));
  err = await sendError(t, wrongToken, env);
  t.same([err.retryable, err.status, err.responseBody], [false, 403, '{"error_code":"dataway.tokenNotFound"}']);
  t.notMatch(err.message, 'tkn_other', 'the token stays out of messages');

  await tr.send(env, new AbortController().signal);
  t.same(server.requests.map((r) => r.status), [429, 503, 408, 400, 403, 200]);
  t.equal(server.points().length, 1, 'only the accepted request counts');
});

t.test('network failures are retryable: connection refused, no answer in time, aborted by the sink', async (t) => {
  const server = await backend(t);
  const tr = transport(t, config(server.url, { delivery: { ...DEFAULT_DELIVERY, timeoutMs: 200 } }));
  const [env] = tr.encode({ category: 'metric', points: [span(1)] });

  await server.down();
  let err = await sendError(t, tr, env);
  t.same([err.retryable, err.status], [true, undefined]);
  t.match(err.message, /ECONNREFUSED/);

  await server.up();
  server.hold();
  // QueuedSink gives every attempt a signal that also fires after timeout_ms; here the test plays that part.
  err = await sendError(t, tr, env, AbortSignal.timeout(200));
  t.same([err.retryable, err.message], [true, `${tr.name}: no answer within timeout_ms (200 ms)`]);

  const abort = new AbortController();
  const sending = sendError(t, tr, env, abort.signal);
  server.once('held', () => abort.abort());
  err = await sending;
  t.same([err.retryable, err.message], [true, `${tr.name}: aborted`]);
  server.release();

  await tr.send(env, new AbortController().signal);
  // The backend took the two abandoned requests too when released: a timeout or an abort cannot tell whether the data
  // arrived, which is why delivery is at-least-once.
  t.same(server.requests.map((r) => r.status), [200, 200, 200]);
});

/** A sink context whose logger keeps `level: message` lines. */
function context(): SinkContext & { lines: string[] } {
  const lines: string[] = [];
  const logger = { info: (m: string) => lines.push(`info: ${m}`), warn: (m: string) => lines.push(`warn: ${m}`), error: (m: string) => lines.push(`error: ${m}`) };
  return { logger, configDir: '/', datawayUrls: [], userAgent: USER_AGENT, lines };
}

t.test('as a sink: Retry-After decides the wait, a permanent refusal is dropped, counted and logged with the body', async (t) => {
  const server = await backend(t);
  const ctx = context();
  const waits: number[] = [];
  const sink = new QueuedSink(new DatawayTransport(config(server.url), USER_AGENT), DEFAULT_DELIVERY, ctx, {
    sleep: async (ms) => void waits.push(ms),
  });
  t.teardown(() => sink.close());
  server.failNext(1, 429, '3');
  await sink.write({ category: 'tracing', points: [span(1)] });
  await sink.flush();
  t.same(waits, [3000]);
  t.same(server.requests.map((r) => r.status), [429, 200]);
  t.same(server.points('tracing').map((p) => p.fields.duration), [{ type: 'int', value: 1n }]);

  server.reject(400, '{"message":"bad point"}');
  await sink.write({ category: 'logging', points: [span(2), span(3)] });
  await sink.flush();
  t.same(sink.stats(), { queuedItems: 0, queuedBytes: 0, sent: 1, retries: 1, droppedPermanent: 2, droppedExpired: 0, droppedSpoolFull: 0, spooledBytes: 0 });
  t.same(ctx.lines.slice(1), [
    `error: ${sink.name}: /v1/write/logging: 2 points refused (HTTP 400), dropped: ${sink.name}/v1/write/logging answered 400; response: {"message":"bad point"}`,
  ]);
});

t.test('createDatawaySink: the transport behind a QueuedSink, named without the token', async (t) => {
  const server = await backend(t);
  const sink = createDatawaySink(config(server.url, { categories: ['metric'] }), context());
  t.teardown(() => sink.close());
  t.same([sink.name, [...sink.categories]], [`dataway:http://127.0.0.1:${new URL(server.url).port}`, ['metric']]);
  await sink.write({ category: 'metric', points: [span(7)] });
  await sink.flush();
  t.same(server.requests.map((r) => [r.category, r.text]), [['metric', spanLine(7)]]);
});

t.test('parseRetryAfter: delta seconds or HTTP date', async (t) => {
  const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
  t.equal(parseRetryAfter('120', now), 120_000);
  t.equal(parseRetryAfter(' 0 ', now), 0);
  t.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now), 30_000);
  t.equal(parseRetryAfter('soon', now), undefined);
  t.equal(parseRetryAfter('-5', now), undefined);
  t.equal(parseRetryAfter(undefined, now), undefined);
});

// ------------------------------------------------------------------------------------------ the parser (§9)

/** What a backend must read back for a point: non-empty tags and all fields, by key (§9.1). */
function expected(p: Point) {
  const tags: Record<string, string> = {};
  const fields: Record<string, FieldValue> = {};
  for (const kv of p.kvs) {
    if (kv.isTag) {
      if (kv.value !== '') tags[kv.key] = kv.value;
    } else fields[kv.key] = kv.value;
  }
  return { measurement: p.measurement, tags, fields, time: p.time };
}

t.test('line-protocol-parse reads back what encodePoints writes, for tricky points', async (t) => {
  const points: Point[] = [
    {
      measurement: 'a b,c=d"e\\x',
      kvs: [tag('k ,=k"', 'v ,=v"'), tag('empty', ''), strField('f ,="k', 'say "hi"\\ \\\\ back\\'), intField('i', -1n)],
      time: 0n,
    },
    {
      measurement: '指标📈',
      kvs: [tag('服务', '商店 🛒'), strField('msg', 'line one\nline two\r\n\ttab'), strField('e', ''), boolField('ok', false)],
      time: -5n,
    },
    {
      measurement: 'nums',
      kvs: [
        intField('imin', -9223372036854775808n),
        intField('imax', 9223372036854775807n),
        uintField('umax', 18446744073709551615n),
        uintField('u0', 0n),
        floatField('f3', 3),
        floatField('tenth', 0.1),
        floatField('big', 1e21),
        floatField('tiny', 1e-7),
        floatField('neg', -2.5),
        floatField('max', Number.MAX_VALUE),
        boolField('t', true),
      ],
      time: T0,
    },
  ];
  t.same(parseLineProtocol(encodePoints(points)), points.map(expected));
});

t.test('line-protocol-parse accepts the other spellings and refuses malformed lines', async (t) => {
  t.same(parseLineProtocol('m a=T,b=False,c=1.5e3,d=-.5\n\nm2 x="y"'), [
    {
      measurement: 'm',
      tags: {},
      fields: {
        a: { type: 'bool', value: true },
        b: { type: 'bool', value: false },
        c: { type: 'float', value: 1500 },
        d: { type: 'float', value: -0.5 },
      },
      time: undefined,
    },
    { measurement: 'm2', tags: {}, fields: { x: { type: 'string', value: 'y' } }, time: undefined },
  ]);
  t.throws(() => parseLineProtocol('m s="open 1'), /unterminated string at offset 11/);
  t.throws(() => parseLineProtocol('m v=1x 1'), /bad field value "1x" at offset 4/);
  t.throws(() => parseLineProtocol('m,t=1 v=1i 12a'), /bad timestamp at offset 11/);
  t.throws(() => parseLineProtocol('m v=1u,w=-1u 1'), /bad field value "-1u"/);
  t.throws(() => parseLineProtocol('m'), /expected " " at offset 1/);
  t.throws(() => parseLineProtocol('m v=1i 1 2'), /bad timestamp/);
});
