/**
 * Graceful shutdown (receiver checklist 41): close() stops accepting connections, lets a request in flight finish
 * with 200 and its points stored, answers requests that still arrive on open connections with 503 + Retry-After + a
 * google.rpc.Status in the request's encoding, and only then flushes and closes the sinks.
 *
 * No sleeps: the sink's write is held by a promise the test resolves, and "closing has begun" is observed as the
 * server dropping an idle keep-alive connection, which happens right after the preClose hooks ran.
 */
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import t from 'tap';
import { loadConfig } from '../src/config/index.js';
import type { Category, PointBatch } from '../src/datakit/point.js';
import { encodePoints } from '../src/datakit/line-protocol.js';
import { startGateway } from '../src/gateway.js';
import { otlpProtoTypes } from '../src/otlp/proto.js';
import type { Sink } from '../src/sinks/index.js';
import { EXAMPLE_TRACE_LINE, fixtureToml } from './helpers/gateway.js';
import { request } from './helpers/http.js';
import { tracesRequest } from './helpers/otlp-build.js';

/** A sink whose writes wait for the test's go-ahead, and which records what happened to it in order. */
class HeldSink implements Sink {
  readonly name = 'held';
  readonly categories: ReadonlySet<Category> = new Set<Category>(['tracing', 'metric', 'logging']);
  readonly events: string[] = [];
  readonly text: string[] = [];
  private release!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));
  private writeStarted!: () => void;
  /** Resolves when the first write has begun. */
  readonly writing = new Promise<void>((resolve) => (this.writeStarted = resolve));

  constructor(private readonly failFlush = false) {}

  async write(batch: PointBatch): Promise<void> {
    this.events.push('write');
    this.writeStarted();
    await this.gate;
    this.text.push(encodePoints(batch.points));
    this.events.push('written');
  }
  letWritesFinish(): void {
    this.release();
  }
  async flush(): Promise<void> {
    this.events.push('flush');
    if (this.failFlush) throw new Error('flush failed');
  }
  async close(): Promise<void> {
    this.events.push('close');
  }
}

interface RawResponse {
  head: string;
  body: Buffer;
}

/** A raw HTTP/1.1 connection, so a test controls exactly when each byte of a request is sent. */
class RawConnection {
  private readonly chunks: Buffer[] = [];
  readonly ended: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (c: Buffer) => this.chunks.push(c));
    this.ended = once(socket, 'close').then(() => undefined);
  }

  static async open(url: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    const socket = net.connect(Number(port), hostname);
    await once(socket, 'connect');
    return new RawConnection(socket);
  }

  send(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  /** Everything received, once the server has closed the connection. */
  async response(): Promise<RawResponse> {
    await this.ended;
    const all = Buffer.concat(this.chunks);
    const split = all.indexOf('\r\n\r\n');
    return { head: all.subarray(0, split).toString('latin1'), body: all.subarray(split + 4) };
  }

  /** Sends a whole request and waits for the whole response (Content-Length framed); the connection stays open. */
  async roundTrip(req: string): Promise<string> {
    this.send(req);
    for (;;) {
      await once(this.socket, 'data');
      const text = Buffer.concat(this.chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: (\d+)/i.exec(text);
      if (split >= 0 && length && text.length >= split + 4 + Number(length[1])) return text.slice(0, text.indexOf('\r\n'));
    }
  }
}

/** The rest of a POST whose request line was already sent: headers, then the body. */
const restOfPost = (contentType: string, body: Buffer) =>
  `Host: gw\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\n\r\n`;


async function startWith(sink: HeldSink) {
  // The example trace is from 2018: without this, DataKit's timestamp correction would move it to "now".
  const config = loadConfig({ text: fixtureToml('', '[io]\nauto_timestamp_correction = false'), env: {} });
  return startGateway({ config, sinks: [sink], listen: { host: '127.0.0.1', port: 0 } });
}

t.test('close(): in-flight request completes, late requests get 503 + Retry-After + Status, then sinks flush and close', async (t) => {
  const sink = new HeldSink();
  const gw = await startWith(sink);
  t.teardown(gw.close);
  const jsonTrace = await readFile(new URL('./fixtures/otlp-examples/trace.json', import.meta.url));
  const protobufTrace = Buffer.from((await tracesRequest()).protobuf);

  // An idle keep-alive connection: the server drops it as soon as closing has begun.
  const idle = await RawConnection.open(gw.url);
  t.equal(await idle.roundTrip('GET /v1/ping HTTP/1.1\r\nHost: gw\r\n\r\n'), 'HTTP/1.1 200 OK');
  // Connections whose next request has started (request line sent) but not arrived: these are not idle, so they
  // stay open and their requests are routed after closing has begun.
  const lateJson = await RawConnection.open(gw.url);
  const lateProtobuf = await RawConnection.open(gw.url);
  const lateUnknown = await RawConnection.open(gw.url);
  lateJson.send('POST /otel/v1/traces HTTP/1.1\r\n');
  lateProtobuf.send('POST /otel/v1/traces HTTP/1.1\r\n');
  lateUnknown.send('GET /nowhere HTTP/1.1\r\n');

  const inFlight = request(`${gw.url}/otel/v1/traces`, { headers: { 'content-type': 'application/json' }, body: jsonTrace });
  await sink.writing;

  let closed = false;
  const closing = gw.close().then(() => (closed = true));
  await idle.ended;
  await t.rejects(request(`${gw.url}/v1/ping`, { method: 'GET' }), { code: 'ECONNREFUSED' }, 'no new connections');

  lateJson.send(restOfPost('application/json', jsonTrace));
  lateJson.send(jsonTrace);
  lateProtobuf.send(restOfPost('application/x-protobuf', protobufTrace));
  lateProtobuf.send(protobufTrace);
  lateUnknown.send('Host: gw\r\n\r\n');
  const message = 'the gateway is shutting down: retry the export later';

  const json = await lateJson.response();
  t.match(json.head, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
  t.match(json.head, /\r\nretry-after: 1\r\n/i);
  t.match(json.head, /\r\nconnection: close\r\n/i);
  t.match(json.head, /\r\ncontent-type: application\/json\r\n/i);
  t.same(JSON.parse(json.body.toString()), { code: 14, message });

  const protobuf = await lateProtobuf.response();
  t.match(protobuf.head, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
  t.match(protobuf.head, /\r\nretry-after: 1\r\n/i);
  t.match(protobuf.head, /\r\ncontent-type: application\/x-protobuf\r\n/i);
  const { Status } = otlpProtoTypes();
  t.same(Status.toObject(Status.decode(protobuf.body)), { code: 14, message });

  const unknown = await lateUnknown.response();
  t.match(unknown.head, /^HTTP\/1\.1 503 Service Unavailable\r\n/, 'any path: no 404 while closing');
  t.same(JSON.parse(unknown.body.toString()), { code: 14, message });

  t.same(sink.events, ['write'], 'nothing flushed or closed while a request is in flight');
  t.equal(closed, false, 'close() waits for the request in flight');

  sink.letWritesFinish();
  const res = await inFlight;
  t.equal(res.status, 200);
  t.equal(res.body.toString(), '{}');
  await closing;
  t.same(sink.events, ['write', 'written', 'flush', 'close'], 'sinks flushed and closed after the request in flight');
  t.same(sink.text, [EXAMPLE_TRACE_LINE], 'only the in-flight request reached the sink');
});

t.test('close(): idempotent; a sink failing to flush still lets the others close, and close() rejects', async (t) => {
  const failing = new HeldSink(true);
  const healthy = new HeldSink();
  const config = loadConfig({ text: fixtureToml(), env: {} });
  const gw = await startGateway({ config, sinks: [failing, healthy], listen: { host: '127.0.0.1', port: 0 } });
  const first = gw.close();
  t.equal(gw.close(), first, 'the same promise');
  await t.rejects(first, { message: 'flush failed' });
  t.same(failing.events, ['flush']);
  t.same(healthy.events, ['flush', 'close']);
});
