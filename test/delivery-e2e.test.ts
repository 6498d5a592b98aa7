/**
 * Delivery end to end: the real gateway, configured with `[[sinks.sink]]` tables, in front of real DataKit-like
 * backends on loopback (test/helpers/dataway-server.ts). Shows fan-out by category, no loss and no duplicates when a
 * backend is down for a while (in memory, and across a gateway restart with a spool), and a slow backend turning into
 * 503 + Retry-After with a bounded queue instead of unbounded memory.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { loadConfig } from '../src/config/index.js';
import { startGateway, type RunningGateway } from '../src/gateway.js';
import { QueuedSink } from '../src/sinks/queue.js';
import { DatawayServer, waitFor } from './helpers/dataway-server.js';
import { fixtureToml } from './helpers/gateway.js';
import { request, type Response } from './helpers/http.js';
import { metricsRequest, tracesRequest } from './helpers/otlp-build.js';

/** 2023-11-14T22:13:20Z: the gateway's clock, so the records' times are kept as sent (no timestamp correction). */
const NOW_NS = 1_700_000_000_000_000_000n;

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dk-delivery-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function backend(t: Test): Promise<DatawayServer> {
  const server = await DatawayServer.start();
  t.teardown(() => server.close());
  return server;
}

/** Starts the gateway with these `[[sinks.sink]]` tables; closed at the end of the test unless the test did. */
async function gateway(t: Test, sinksToml: string): Promise<RunningGateway> {
  const config = loadConfig({ text: fixtureToml('', sinksToml), env: {} });
  const gw = await startGateway({ config, listen: { host: '127.0.0.1', port: 0 }, now: () => NOW_NS });
  t.teardown(() => gw.close());
  return gw;
}

/** The gateway's dataway sinks, in config order. */
const queued = (gw: RunningGateway): QueuedSink[] => gw.sinks.filter((s): s is QueuedSink => s instanceof QueuedSink);

/** A dataway sink table with quick retries, so a backend coming back is noticed at once. */
function datawaySink(server: DatawayServer, extra = ''): string {
  return `
[[sinks.sink]]
  target = "dataway"
  url = "${server.url}"
  retry_initial_ms = 5
  retry_max_ms = 20
${extra}
`;
}

/** An OTLP/JSON logs request whose records carry the bodies `msg-<from>` … `msg-<from + count - 1>`. */
function logsJson(from: number, count = 1): string {
  const logRecords = Array.from({ length: count }, (_, i) => ({
    timeUnixNano: String(NOW_NS + BigInt(from + i)),
    severityText: 'INFO',
    body: { stringValue: `msg-${from + i}` },
  }));
  const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] };
  return JSON.stringify({ resourceLogs: [{ resource, scopeLogs: [{ logRecords }] }] });
}

function postLogs(gw: RunningGateway, from: number, count = 1): Promise<Response> {
  return request(`${gw.url}/otel/v1/logs`, { headers: { 'Content-Type': 'application/json' }, body: logsJson(from, count) });
}

/** Sends `msg-<from>` … one request each, and asserts every one was accepted. */
async function sendLogs(t: Test, gw: RunningGateway, from: number, count: number): Promise<void> {
  const statuses = [];
  for (let i = from; i < from + count; i++) statuses.push((await postLogs(gw, i)).status);
  t.same(statuses, Array(count).fill(200), `msg-${from}…msg-${from + count - 1} accepted`);
}

/** The `message` of every logging point the backend accepted, in arrival order. */
const messages = (server: DatawayServer): unknown[] => server.points('logging').map((p) => p.fields.message?.value);
const expectedMessages = (from: number, count: number): string[] => Array.from({ length: count }, (_, i) => `msg-${from + i}`);

const onRequest = (server: DatawayServer) => [{ emitter: server, events: ['request'] }];

t.test('fan-out: each sink gets only its categories; over the wire exactly what the file sink writes', async (t) => {
  const a = await backend(t);
  const b = await backend(t);
  const dir = await tempDir(t);
  const file = join(dir, 'all.lp');
  const gw = await gateway(
    t,
    datawaySink(a, '  categories = ["T", "L"]') +
      datawaySink(b, '  categories = ["M"]\n  gzip = false') +
      `[[sinks.sink]]\n  target = "file"\n  path = "${file}"\n`,
  );
  const proto = { 'Content-Type': 'application/x-protobuf' };
  const traces = Buffer.from((await tracesRequest()).protobuf);
  const metrics = Buffer.from((await metricsRequest()).protobuf);
  t.equal((await request(`${gw.url}/otel/v1/traces`, { headers: proto, body: traces })).status, 200);
  t.equal((await request(`${gw.url}/otel/v1/metrics`, { headers: proto, body: metrics })).status, 200);
  t.equal((await postLogs(gw, 1, 2)).status, 200);
  await gw.close(); // drains the queues

  t.same(a.requests.map((r) => [r.category, r.status, r.headers['content-encoding']]), [['tracing', 200, 'gzip'], ['logging', 200, 'gzip']]);
  t.same(b.requests.map((r) => [r.category, r.status, r.headers['content-encoding']]), [['metric', 200, undefined]]);
  const [tracing, logging] = a.requests;
  const [metric] = b.requests;
  t.equal(await readFile(file, 'utf8'), `${tracing.text}\n${metric.text}\n${logging.text}\n`, 'the same line protocol');
  const wire = [tracing, metric, logging];
  t.same(wire.map((r) => r.headers['x-points']), wire.map((r) => String(r.points.length)), 'X-Points counts the lines');
  t.same([tracing.points.length, metric.points.length, logging.points.length], [3, 8, 2], 'points of the three requests');
  t.same(messages(a), ['msg-1', 'msg-2']);
});

t.test('a backend that is down for a while and comes back receives every point exactly once', async (t) => {
  const server = await backend(t);
  const gw = await gateway(t, datawaySink(server));
  const [sink] = queued(gw);
  await server.down();
  await sendLogs(t, gw, 0, 20);
  await waitFor('the sink to retry while the backend is down', () => sink.stats().retries >= 3);
  t.equal(server.requests.length, 0);

  await server.up();
  await waitFor('every point to arrive', () => sink.stats().queuedItems === 0, onRequest(server));
  await gw.close();
  t.same(messages(server), expectedMessages(0, 20), 'all of them, once each, in order');
  t.match(sink.stats(), { sent: 20, queuedItems: 0, droppedPermanent: 0, droppedExpired: 0 });
});

t.test('across a gateway restart with spool_dir: nothing lost, nothing sent twice', async (t) => {
  const server = await backend(t);
  const dir = await tempDir(t);
  const sinkToml = datawaySink(server, `  spool_dir = "${join(dir, 'spool')}"\n  drain_timeout_ms = 50`);
  await server.down();

  const first = await gateway(t, sinkToml);
  const [spooling] = queued(first);
  await sendLogs(t, first, 0, 12);
  await waitFor('a failed attempt', () => spooling.stats().retries >= 1);
  await first.close(); // the backend is still down: drains for 50 ms, then everything stays in the spool
  t.match(spooling.stats(), { sent: 0, queuedItems: 12, droppedExpired: 0 });

  const second = await gateway(t, sinkToml);
  const [replaying] = queued(second);
  await sendLogs(t, second, 12, 3);
  await server.up();
  await waitFor('the spool to be delivered', () => replaying.stats().queuedItems === 0, onRequest(server));
  await second.close();
  t.same(messages(server), expectedMessages(0, 15), 'the spooled points first, then the new ones, once each');

  const third = await gateway(t, sinkToml);
  await third.close();
  t.equal(server.requests.length, 15, 'a clean restart sends nothing again');
  t.match(queued(third)[0].stats(), { sent: 0, queuedItems: 0 });
});

t.test('a slow backend: bounded queue, 503 + Retry-After (before reading the body when full), then everything arrives', async (t) => {
  const server = await backend(t);
  const gw = await gateway(t, datawaySink(server, '  queue_max_points = 5'));
  const [sink] = queued(gw);
  server.hold();

  t.equal((await postLogs(gw, 0, 2)).status, 200);
  await waitFor('the first batch to reach the backend', () => server.heldCount === 1, [{ emitter: server, events: ['held'] }]);
  t.equal((await postLogs(gw, 2, 2)).status, 200);
  const tooMany = await postLogs(gw, 100, 2);
  t.same([tooMany.status, tooMany.headers['retry-after']], [503, '1'], 'the batch would pass queue_max_points');
  t.equal((await postLogs(gw, 4, 1)).status, 200, 'a batch that fits is still taken');

  t.match(sink.stats(), { queuedItems: 5, sent: 0 });
  const bytes = sink.stats().queuedBytes;
  for (let i = 0; i < 20; i++) {
    // Headers only: a full queue is refused before the body is read (the request never sends one).
    const refused = await request(`${gw.url}/otel/v1/logs`, { headers: { 'Content-Type': 'application/json' }, holdBody: true });
    t.same([refused.status, refused.headers['retry-after']], [503, '1']);
  }
  t.same([sink.stats().queuedItems, sink.stats().queuedBytes], [5, bytes], 'the queue did not grow');

  server.release();
  await waitFor('the queue to drain', () => sink.stats().queuedItems === 0, onRequest(server));
  t.same(messages(server), expectedMessages(0, 5));
  t.equal((await postLogs(gw, 5, 1)).status, 200, 'room again');
  await gw.close();
  t.same(messages(server), expectedMessages(0, 6));
});
