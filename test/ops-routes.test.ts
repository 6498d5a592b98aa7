/**
 * GET /metrics, /health and /ready (issue 7; otlp-http-receiver.md checklist 41, 42) on a real gateway over
 * loopback HTTP: exact Prometheus sample lines after known requests, sink gauges read from a real dataway sink, the
 * readiness answers (a full queue, closing) and `[gateway] metrics = false`.
 */
import { once } from 'node:events';
import net from 'node:net';
import t, { type Test } from 'tap';
import { loadConfig } from '../src/config/index.js';
import { startGateway, type RunningGateway } from '../src/gateway.js';
import { QueuedSink } from '../src/sinks/index.js';
import { DatawayServer, waitFor } from './helpers/dataway-server.js';
import { fixtureToml, PATH, startTestGateway } from './helpers/gateway.js';
import { jsonBody, request } from './helpers/http.js';
import { tracesRequest } from './helpers/otlp-build.js';

const get = (gw: RunningGateway, path: string) => request(`${gw.url}${path}`, { method: 'GET' });

/** The sample lines of /metrics whose metric name starts with `prefix` (HELP/TYPE comments left out). */
async function samples(gw: RunningGateway, prefix: string): Promise<string[]> {
  const res = await get(gw, '/metrics');
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.body
    .toString()
    .split('\n')
    .filter((line) => line.startsWith(prefix));
}

/** Two log records, so that logs and traces (three spans) differ in every count. */
const LOGS_JSON = JSON.stringify({
  resourceLogs: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] },
      scopeLogs: [{ logRecords: [{ timeUnixNano: '1700000000000000000', body: { stringValue: 'a' } }, { timeUnixNano: '1700000000000000001', body: { stringValue: 'b' } }] }],
    },
  ],
});

t.test('/metrics: exact counts after an accepted protobuf trace, an accepted JSON log, a 415 and a 400', async (t) => {
  const gw = await startTestGateway(fixtureToml('', '[io]\nauto_timestamp_correction = false'));
  t.teardown(gw.close);
  const traces = Buffer.from((await tracesRequest()).protobuf);

  const answers = [
    await request(`${gw.url}${PATH.traces}`, { headers: { 'content-type': 'application/x-protobuf' }, body: traces }),
    await request(`${gw.url}${PATH.logs}`, { headers: { 'content-type': 'application/json' }, body: LOGS_JSON }),
    await request(`${gw.url}${PATH.traces}`, { headers: { 'content-type': 'text/plain' }, body: 'hello' }),
    await request(`${gw.url}${PATH.metrics}`, { headers: { 'content-type': 'application/json' }, body: '{"resourceMetrics": 5' }),
  ];
  t.same(
    answers.map((a) => a.status),
    [200, 200, 415, 400],
  );
  t.equal(gw.sink.batches.flatMap((b) => b.points).length, 5, 'three span points, two log points');

  t.strictSame(await samples(gw, 'otelgw_receiver_requests_total'), [
    'otelgw_receiver_requests_total{signal="traces",encoding="protobuf",outcome="accepted"} 1',
    'otelgw_receiver_requests_total{signal="logs",encoding="json",outcome="accepted"} 1',
    'otelgw_receiver_requests_total{signal="traces",encoding="unknown",outcome="refused"} 1',
    'otelgw_receiver_requests_total{signal="metrics",encoding="json",outcome="refused"} 1',
  ]);
  t.strictSame(await samples(gw, 'otelgw_receiver_items_total'), [
    'otelgw_receiver_items_total{signal="traces",encoding="protobuf",outcome="accepted"} 3',
    'otelgw_receiver_items_total{signal="logs",encoding="json",outcome="accepted"} 2',
  ]);
  t.strictSame(await samples(gw, 'otelgw_receiver_refused_requests_total'), [
    'otelgw_receiver_refused_requests_total{signal="traces",reason="content_type"} 1',
    'otelgw_receiver_refused_requests_total{signal="metrics",reason="decode"} 1',
  ]);
  t.strictSame(await samples(gw, 'otelgw_receiver_request_bytes_total'), [
    `otelgw_receiver_request_bytes_total{signal="traces",encoding="protobuf"} ${traces.length}`,
    `otelgw_receiver_request_bytes_total{signal="logs",encoding="json"} ${LOGS_JSON.length}`,
    'otelgw_receiver_request_bytes_total{signal="metrics",encoding="json"} 21',
  ]);
  t.strictSame(await samples(gw, 'otelgw_receiver_decompressed_bytes_total'), [
    `otelgw_receiver_decompressed_bytes_total{signal="traces",encoding="protobuf"} ${traces.length}`,
    `otelgw_receiver_decompressed_bytes_total{signal="logs",encoding="json"} ${LOGS_JSON.length}`,
    'otelgw_receiver_decompressed_bytes_total{signal="metrics",encoding="json"} 21',
  ]);
  t.strictSame(await samples(gw, 'otelgw_receiver_request_duration_seconds_count'), [
    'otelgw_receiver_request_duration_seconds_count{signal="traces"} 2',
    'otelgw_receiver_request_duration_seconds_count{signal="logs"} 1',
    'otelgw_receiver_request_duration_seconds_count{signal="metrics"} 1',
  ]);
  t.strictSame(await samples(gw, 'otelgw_points_total'), ['otelgw_points_total{category="tracing"} 3', 'otelgw_points_total{category="logging"} 2']);
  t.strictSame(await samples(gw, 'otelgw_items_dropped_total'), [], 'nothing dropped');
  t.equal((await samples(gw, 'process_cpu_user_seconds_total')).length, 1, "prom-client's default process metrics are in");
  t.strictSame(await samples(gw, 'otelgw_sink'), [], 'no queued sink, no sink series');
});

t.test('/metrics: a NaN gauge value the checker drops counts as one dropped item', async (t) => {
  const gw = await startTestGateway(fixtureToml('', '[io]\nauto_timestamp_correction = false'));
  t.teardown(gw.close);
  const dataPoints = [
    { timeUnixNano: '1700000000000000000', asDouble: 'NaN' },
    { timeUnixNano: '1700000000000000000', asDouble: 1 },
  ];
  const body = JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'g', gauge: { dataPoints } }] }] }] });
  t.equal((await request(`${gw.url}${PATH.metrics}`, { headers: { 'content-type': 'application/json' }, body })).status, 200);
  t.strictSame(gw.sink.lines(), ['otel_service,host=ci-host,remote_ip=127.0.0.1 g=1 1700000000000000000']);
  t.strictSame(await samples(gw, 'otelgw_points_total'), ['otelgw_points_total{category="metric"} 1']);
  t.strictSame(await samples(gw, 'otelgw_items_dropped_total'), ['otelgw_items_dropped_total{signal="metrics"} 1']);
});

t.test('/metrics: refusal reasons for a Content-Encoding, a path and a method; the ops routes are not counted', async (t) => {
  const gw = await startTestGateway();
  t.teardown(gw.close);
  const brotli = await request(`${gw.url}${PATH.logs}`, { headers: { 'content-type': 'application/json', 'content-encoding': 'br' }, body: LOGS_JSON });
  t.equal(brotli.status, 415);
  t.equal((await get(gw, '/nowhere')).status, 404);
  t.equal((await get(gw, PATH.logs)).status, 405);
  t.equal((await get(gw, '/health')).status, 200);
  t.strictSame(await samples(gw, 'otelgw_receiver_refused_requests_total'), [
    'otelgw_receiver_refused_requests_total{signal="logs",reason="encoding"} 1',
    'otelgw_receiver_refused_requests_total{signal="unknown",reason="not_found"} 1',
    'otelgw_receiver_refused_requests_total{signal="logs",reason="method"} 1',
  ]);
});

t.test('/health, /ready and /metrics are open when auth_token is set; metrics = false removes /metrics only', async (t) => {
  const gw = await startTestGateway(fixtureToml('', 'auth_token = "s3cret"\nmetrics = false'));
  t.teardown(gw.close);
  const health = await get(gw, '/health');
  t.same([health.status, jsonBody(health)], [200, { status: 'ok' }]);
  const ready = await get(gw, '/ready');
  t.same([ready.status, jsonBody(ready)], [200, { status: 'ready' }]);
  t.equal((await get(gw, '/metrics')).status, 404);
  t.equal((await request(`${gw.url}${PATH.logs}`, { headers: { 'content-type': 'application/json' }, body: LOGS_JSON })).status, 401, 'OTLP routes still need the token');

  const open = await startTestGateway(fixtureToml('', 'auth_token = "s3cret"'));
  t.teardown(open.close);
  t.equal((await get(open, '/metrics')).status, 200);
});

async function datawayGateway(t: Test, server: DatawayServer): Promise<RunningGateway> {
  const sinks = `
[[sinks.sink]]
  target = "dataway"
  url = "${server.url}"
  queue_max_points = 2
`;
  const config = loadConfig({ text: fixtureToml('', `[io]\nauto_timestamp_correction = false\n${sinks}`), env: {} });
  const gw = await startGateway({ config, listen: { host: '127.0.0.1', port: 0 } });
  t.teardown(gw.close);
  return gw;
}

t.test('a queued sink: gauges and counters from its stats, /ready 503 naming it while its queue is full', async (t) => {
  const server = await DatawayServer.start();
  t.teardown(() => server.close());
  const gw = await datawayGateway(t, server);
  const [sink] = gw.sinks.filter((s): s is QueuedSink => s instanceof QueuedSink);
  const label = `sink="dataway:http://127.0.0.1:${new URL(server.url).port}"`;
  t.same(jsonBody(await get(gw, '/ready')), { status: 'ready' });

  server.hold();
  t.equal((await request(`${gw.url}${PATH.logs}`, { headers: { 'content-type': 'application/json' }, body: LOGS_JSON })).status, 200);
  await waitFor('the batch to reach the backend', () => server.heldCount === 1, [{ emitter: server, events: ['held'] }]);
  const notReady = await get(gw, '/ready');
  t.same([notReady.status, jsonBody(notReady)], [503, { status: 'sinks full', sinks: [sink.name] }]);
  const queuedBytes = sink.stats().queuedBytes;
  t.strictSame(await samples(gw, 'otelgw_sink'), [
    `otelgw_sink_queue_points{${label}} 2`,
    `otelgw_sink_queue_bytes{${label}} ${queuedBytes}`,
    `otelgw_sink_spool_bytes{${label}} 0`,
    `otelgw_sink_sent_points_total{${label}} 0`,
    `otelgw_sink_retries_total{${label}} 0`,
    `otelgw_sink_dropped_points_total{${label},reason="permanent"} 0`,
    `otelgw_sink_dropped_points_total{${label},reason="expired"} 0`,
    `otelgw_sink_dropped_points_total{${label},reason="spool_full"} 0`,
  ]);
  t.ok(queuedBytes > 0);

  const refused = await request(`${gw.url}${PATH.logs}`, { headers: { 'content-type': 'application/json' }, holdBody: true });
  t.equal(refused.status, 503);
  t.strictSame(await samples(gw, 'otelgw_receiver_refused_requests_total'), ['otelgw_receiver_refused_requests_total{signal="logs",reason="overloaded"} 1']);

  server.release();
  await waitFor('the queue to drain', () => sink.stats().queuedItems === 0, [{ emitter: server, events: ['request'] }]);
  t.same(jsonBody(await get(gw, '/ready')), { status: 'ready' });
  t.strictSame((await samples(gw, 'otelgw_sink_')).slice(0, 4), [
    `otelgw_sink_queue_points{${label}} 0`,
    `otelgw_sink_queue_bytes{${label}} 0`,
    `otelgw_sink_spool_bytes{${label}} 0`,
    `otelgw_sink_sent_points_total{${label}} 2`,
  ]);
});

/** A raw keep-alive connection, so a request can be started before close() and finished after it began. */
async function connect(gw: RunningGateway): Promise<{ socket: net.Socket; received: () => Promise<string> }> {
  const { hostname, port } = new URL(gw.url);
  const socket = net.connect(Number(port), hostname);
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const ended = once(socket, 'close');
  return { socket, received: async () => (await ended, Buffer.concat(chunks).toString('latin1')) };
}

t.test('while closing: /ready answers 503, /health still 200', async (t) => {
  const gw = await startTestGateway();
  t.teardown(gw.close);
  // An idle keep-alive connection is dropped as soon as closing has begun: that is the signal to go on.
  const idle = await connect(gw);
  idle.socket.write('GET /health HTTP/1.1\r\nHost: gw\r\n\r\n');
  await once(idle.socket, 'data');
  // Requests started (request line sent) before close(): their connections stay open and they are routed after.
  const ready = await connect(gw);
  const health = await connect(gw);
  ready.socket.write('GET /ready HTTP/1.1\r\n');
  health.socket.write('GET /health HTTP/1.1\r\n');

  const closing = gw.close();
  await idle.received();
  ready.socket.write('Host: gw\r\n\r\n');
  health.socket.write('Host: gw\r\n\r\n');
  const readyAnswer = await ready.received();
  t.match(readyAnswer, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
  t.match(readyAnswer, /\r\n\r\n\{"status":"closing"\}$/);
  const healthAnswer = await health.received();
  t.match(healthAnswer, /^HTTP\/1\.1 200 OK\r\n/);
  t.match(healthAnswer, /\r\n\r\n\{"status":"ok"\}$/);
  await closing;
});
