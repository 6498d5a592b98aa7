/**
 * Slowloris protection (receiver checklist 39): a client that stalls in its headers or its body is answered 408 with
 * a google.rpc.Status and disconnected once the (here shortened) timeouts pass; an idle connection is closed.
 */
import net from 'node:net';
import t from 'tap';
import { loadConfig } from '../src/config/index.js';
import { startGateway } from '../src/gateway.js';
import { defaultServerTimeouts, type ServerTimeouts } from '../src/server-timeouts.js';
import { CollectingSink } from './helpers/collecting-sink.js';
import { fixtureToml } from './helpers/gateway.js';
import { request } from './helpers/http.js';

const TIMEOUTS: ServerTimeouts = { headersMs: 100, requestMs: 200, keepAliveMs: 100, idleMs: 5_000, checkIntervalMs: 20 };
/** The longest the server may take past a timeout before the test fails (two check ticks and scheduling slack). */
const SLACK_MS = 500;
/** Node keeps an idle keep-alive socket open this much longer than `keepAliveTimeout`, for requests in flight. */
const NODE_KEEP_ALIVE_BUFFER_MS = 1_000;

const gw = await startGateway({
  config: loadConfig({ text: fixtureToml(), env: {} }),
  sinks: [new CollectingSink()],
  listen: { host: '127.0.0.1', port: 0 },
  timeouts: TIMEOUTS,
});
t.teardown(gw.close);
const { port } = new URL(gw.url);

interface Closed {
  /** Everything the server wrote before it closed the connection. */
  received: string;
  afterMs: number;
}

/** Connects, writes `sent`, then stays silent; resolves when the server closes, fails if it has not after `failAfterMs`. */
function stallAfter(sent: string, failAfterMs: number): Promise<Closed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(sent));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {}); // a reset after the answer still ends in 'close'
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept a stalled connection open for ${failAfterMs} ms`));
    }, failAfterMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ received: Buffer.concat(chunks).toString('latin1'), afterMs: performance.now() - started });
    });
  });
}

const STATUS_408 = '{"code":4,"message":"the request was not received in time (headers or body too slow)"}';
const ANSWER_408 =
  'HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\n' + `Content-Length: ${STATUS_408.length}\r\nConnection: close\r\n\r\n${STATUS_408}`;

t.test('headers that never end are answered 408 with a Status after the headers timeout', async (t) => {
  const closed = await stallAfter('POST /otel/v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n', TIMEOUTS.headersMs + SLACK_MS);
  t.equal(closed.received, ANSWER_408);
  t.ok(closed.afterMs >= TIMEOUTS.headersMs - 5, `not before the headers timeout (${closed.afterMs.toFixed(0)} ms)`);
});

t.test('a body that never comes is answered 408 with a Status after the request timeout', async (t) => {
  const head = 'POST /otel/v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n';
  const closed = await stallAfter(`${head}{"resourceSpans":`, TIMEOUTS.requestMs + SLACK_MS);
  t.equal(closed.received, ANSWER_408);
  t.ok(closed.afterMs >= TIMEOUTS.requestMs - 5, `not before the request timeout (${closed.afterMs.toFixed(0)} ms)`);
});

t.test('a connection that sends nothing is answered 408 after the headers timeout', async (t) => {
  const closed = await stallAfter('', TIMEOUTS.headersMs + SLACK_MS);
  t.equal(closed.received, ANSWER_408);
  t.ok(closed.afterMs >= TIMEOUTS.headersMs - 5, `not before the headers timeout (${closed.afterMs.toFixed(0)} ms)`);
});

t.test('an idle keep-alive connection is closed after the keep-alive timeout', async (t) => {
  const get = 'GET /v1/ping HTTP/1.1\r\nHost: x\r\n\r\n';
  const closed = await stallAfter(get, TIMEOUTS.keepAliveMs + NODE_KEEP_ALIVE_BUFFER_MS + SLACK_MS);
  t.match(closed.received, /^HTTP\/1\.1 200 OK\r\n/, 'the request was answered first');
  t.ok(closed.afterMs >= TIMEOUTS.keepAliveMs - 5, `not before the keep-alive timeout (${closed.afterMs.toFixed(0)} ms)`);
});

t.test('a request sent promptly is unaffected by the short timeouts', async (t) => {
  const res = await request(`${gw.url}/otel/v1/traces`, { headers: { 'content-type': 'application/json' }, body: '{}' });
  t.equal(res.status, 200);
  t.equal(res.body.toString(), '{}');
});

t.test('defaults: the body budget grows with max_request_bytes at 1 MiB/s, never below 30 s', async (t) => {
  t.same(defaultServerTimeouts(64 * 1024 * 1024), { headersMs: 30_000, requestMs: 64_000, keepAliveMs: 72_000, idleMs: 64_000, checkIntervalMs: 5_000 });
  t.equal(defaultServerTimeouts(1024).requestMs, 30_000);
});
