/**
 * The stdout and file sinks: exact line protocol, categories, folders, appending, no mixed lines, backpressure, and
 * through the running gateway: a file sink holds a request's points by the time the client has its 200, and a sink
 * that fails makes the client retry (503 + Retry-After) without harming the gateway.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { loadConfig } from '../src/config/index.js';
import type { Category, Point, PointBatch } from '../src/datakit/point.js';
import { intField, strField, tag } from '../src/datakit/point.js';
import { startGateway } from '../src/gateway.js';
import { otlpProtoTypes } from '../src/otlp/proto.js';
import { createSinks, fanOut, FileSink, StdoutSink, type Sink, type SinkContext } from '../src/sinks/index.js';
import { EXAMPLE_TRACE_LINE, fixtureToml } from './helpers/gateway.js';
import { request } from './helpers/http.js';
import { tracesRequest } from './helpers/otlp-build.js';
import { CapturedStream } from './helpers/captured-stream.js';

const ALL: ReadonlySet<Category> = new Set(['tracing', 'metric', 'logging']);
const point = (measurement: string, n: number): Point => ({
  measurement,
  kvs: [tag('host', 'h1'), intField('n', BigInt(n)), strField('s', 'a "quoted"\nvalue')],
  time: 1_700_000_000_000_000_000n + BigInt(n),
});
const line = (measurement: string, n: number) => `${measurement},host=h1 n=${n}i,s="a \\"quoted\\"\nvalue" ${1_700_000_000_000_000_000n + BigInt(n)}`;

const TRACE_BATCH: PointBatch = { category: 'tracing', points: [point('span', 1), point('span', 2)] };
const METRIC_BATCH: PointBatch = { category: 'metric', points: [point('cpu', 3)] };
const LOGGING_BATCH: PointBatch = { category: 'logging', points: [point('log', 4)] };


async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dk-sinks-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test('StdoutSink: one point per line, exact line protocol; fanOut gives each sink only its categories', async (t) => {
  const tracesOnly = new CapturedStream();
  const everything = new CapturedStream();
  const sinks = [new StdoutSink(new Set(['tracing']), tracesOnly), new StdoutSink(ALL, everything)];
  for (const batch of [TRACE_BATCH, METRIC_BATCH, LOGGING_BATCH]) await fanOut(sinks, batch);
  t.equal(tracesOnly.text, `${line('span', 1)}\n${line('span', 2)}\n`);
  t.equal(everything.text, `${line('span', 1)}\n${line('span', 2)}\n${line('cpu', 3)}\n${line('log', 4)}\n`);
});

t.test('StdoutSink: write waits for a full stream to drain, and so does flush', async (t) => {
  const out = new CapturedStream(1);
  out.hold();
  const sink = new StdoutSink(ALL, out);
  let written = false;
  const writing = sink.write(TRACE_BATCH).then(() => (written = true));
  let flushed = false;
  const flushing = sink.flush().then(() => (flushed = true));
  await Promise.resolve();
  t.equal(written, false, 'not accepted while the stream is full');
  t.equal(flushed, false, 'not flushed while the stream is full');
  out.release();
  await Promise.all([writing, flushing]);
  t.equal(out.text, `${line('span', 1)}\n${line('span', 2)}\n`);
});

t.test('FileSink: creates missing folders, writes exact lines, and appends across restarts', async (t) => {
  const path = join(await tempDir(t), 'a', 'b', 'points.lp');
  const first = new FileSink(path, ALL);
  await first.open();
  t.equal(await readFile(path, 'utf8'), '', 'the file exists once the sink is open');
  await first.write(TRACE_BATCH);
  t.equal(await readFile(path, 'utf8'), `${line('span', 1)}\n${line('span', 2)}\n`, 'visible as soon as write resolves');
  await first.flush();
  await first.close();

  const second = new FileSink(path, ALL);
  await second.write(METRIC_BATCH);
  await second.close();
  t.equal(await readFile(path, 'utf8'), `${line('span', 1)}\n${line('span', 2)}\n${line('cpu', 3)}\n`);
  await t.rejects(second.write(LOGGING_BATCH), { message: `file:${path}: the sink is closed` });
});

t.test('FileSink: a device such as /dev/null takes writes and flushes (no fdatasync error)', async (t) => {
  const sink = new FileSink('/dev/null', ALL);
  await sink.open();
  await sink.write(TRACE_BATCH);
  await t.resolves(sink.flush());
  await sink.close();
});

t.test('FileSink: concurrent batches are written whole, in the order they were given', async (t) => {
  const path = join(await tempDir(t), 'points.lp');
  const sink = new FileSink(path, ALL);
  t.teardown(() => sink.close());
  // 40 batches of 300 points (~17 KiB each) at once: more than a pipe buffer, several fs threads.
  const batches = Array.from({ length: 40 }, (_, b): PointBatch => ({
    category: 'tracing',
    points: Array.from({ length: 300 }, (_, i) => point(`batch${b}`, i)),
  }));
  await Promise.all(batches.map((batch) => sink.write(batch)));
  const expected = batches.flatMap((batch, b) => batch.points.map((_, i) => `${line(`batch${b}`, i)}\n`)).join('');
  t.ok((await readFile(path, 'utf8')) === expected, 'file content is every batch, whole and in order');
});

const SILENT = { info() {}, warn() {}, error() {} };
const CTX: SinkContext = { logger: SILENT, configDir: process.cwd(), datawayUrls: [], userAgent: 'test' };
const FILE_DEFAULTS = { format: 'line-protocol', maxFileBytes: 0, maxFiles: 5 } as const;

t.test('createSinks: builds the configured sinks; a path that cannot be opened fails at startup, naming it', async (t) => {
  const dir = await tempDir(t);
  const sinks = await createSinks([
    { target: 'stdout', categories: ['tracing'], format: 'line-protocol' },
    { target: 'file', categories: ['metric', 'logging'], ...FILE_DEFAULTS, path: join(dir, 'new', 'm.lp') },
  ], CTX);
  t.teardown(() => Promise.all(sinks.map((s) => s.close())));
  t.same(
    sinks.map((s) => [s.constructor.name, s.name, [...s.categories]]),
    [
      ['StdoutSink', 'stdout', ['tracing']],
      ['FileSink', `file:${join(dir, 'new', 'm.lp')}`, ['metric', 'logging']],
    ],
  );
  t.equal(await readFile(join(dir, 'new', 'm.lp'), 'utf8'), '', 'opened (and created) before any traffic');

  await writeFile(join(dir, 'plain-file'), 'x');
  const bad = join(dir, 'plain-file', 'sub', 'x.lp');
  await t.rejects(createSinks([{ target: 'file', categories: ['tracing'], ...FILE_DEFAULTS, path: bad }], CTX), {
    message: new RegExp(`^file sink ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot open for appending: ENOTDIR`),
  });
  await mkdir(join(dir, 'a-dir'));
  await t.rejects(createSinks([{ target: 'file', categories: ['tracing'], ...FILE_DEFAULTS, path: join(dir, 'a-dir') }], CTX), {
    message: `file sink ${join(dir, 'a-dir')}: cannot open for appending: EISDIR: illegal operation on a directory, open '${join(dir, 'a-dir')}'`,
  });
});

const exampleTrace = () => readFile(new URL('./fixtures/otlp-examples/trace.json', import.meta.url));
const postJson = (url: string, body: Buffer) => request(`${url}/otel/v1/traces`, { headers: { 'content-type': 'application/json' }, body });
/** The example is from 2018: DataKit's timestamp correction would move it to "now". */
const NO_CORRECTION = '[io]\nauto_timestamp_correction = false';

t.test('gateway + configured file sinks: after the 200 the file already holds the points; categories apply', async (t) => {
  const dir = await tempDir(t);
  const sinksToml = `
[[sinks.sink]]
target = "file"
path = "${join(dir, 'traces', 'out.lp')}"
categories = ["T"]
[[sinks.sink]]
target = "file"
path = "${join(dir, 'metrics.lp')}"
categories = ["M", "L"]
`;
  const config = loadConfig({ text: fixtureToml('', `${NO_CORRECTION}\n${sinksToml}`), env: {} });
  const gw = await startGateway({ config, listen: { host: '127.0.0.1', port: 0 } });
  t.teardown(gw.close);
  const body = await exampleTrace();

  for (let n = 1; n <= 3; n++) {
    const res = await postJson(gw.url, body);
    t.equal(res.status, 200);
    // Read at once, while the gateway still runs: no flush or close in between.
    t.equal(await readFile(join(dir, 'traces', 'out.lp'), 'utf8'), `${EXAMPLE_TRACE_LINE}\n`.repeat(n), `request ${n}`);
  }
  t.equal(await readFile(join(dir, 'metrics.lp'), 'utf8'), '', 'a sink without T gets no tracing points');
});

/** A sink that fails its first `failures` writes, then keeps what it is given. */
class FlakySink implements Sink {
  readonly name = 'flaky';
  readonly categories = ALL;
  readonly lines: string[] = [];
  constructor(private failures: number) {}
  async write(batch: PointBatch): Promise<void> {
    if (this.failures-- > 0) throw new Error('disk full');
    for (const p of batch.points) this.lines.push(p.measurement);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

t.test('a sink write failure: 503 + Retry-After + Status(UNAVAILABLE) in the request encoding, then service goes on', async (t) => {
  const sink = new FlakySink(2);
  const config = loadConfig({ text: fixtureToml('', NO_CORRECTION), env: {} });
  const gw = await startGateway({ config, sinks: [sink], listen: { host: '127.0.0.1', port: 0 } });
  t.teardown(gw.close);
  const body = await exampleTrace();

  const json = await postJson(gw.url, body);
  t.equal(json.status, 503);
  t.equal(json.headers['retry-after'], '1');
  t.equal(json.headers['content-type'], 'application/json');
  t.same(JSON.parse(json.body.toString()), { code: 14, message: 'a sink could not store the data: disk full' });

  const { Status } = otlpProtoTypes();
  const protobuf = Buffer.from((await tracesRequest()).protobuf);
  const proto = await request(`${gw.url}/otel/v1/traces`, { headers: { 'content-type': 'application/x-protobuf' }, body: protobuf });
  t.equal(proto.status, 503);
  t.equal(proto.headers['retry-after'], '1');
  t.equal(proto.headers['content-type'], 'application/x-protobuf');
  t.same(Status.toObject(Status.decode(proto.body)), { code: 14, message: 'a sink could not store the data: disk full' });

  const retried = await postJson(gw.url, body);
  t.equal(retried.status, 200, 'the retry is accepted once the sink works again');
  t.same(sink.lines, ['opentelemetry']);
});
