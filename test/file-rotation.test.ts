/**
 * The file sink's size-based rotation and formats: exact file contents after rotations, `max_files` respected, the
 * size of an existing file counted after a restart, an oversize batch written whole into a fresh file, concurrent
 * writes whole and in order across rotations, FIFOs never rotated, and the `json-lines` format (also configured
 * through the running gateway).
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { loadConfig } from '../src/config/index.js';
import type { FileSinkConfig } from '../src/config/types.js';
import { intField, strField, tag, type Category, type Point, type PointBatch } from '../src/datakit/point.js';
import { startGateway } from '../src/gateway.js';
import { createFileSink, FileSink, type FileSinkOptions } from '../src/sinks/file-sink.js';
import type { SinkContext } from '../src/sinks/sink.js';
import { FIXTURE_HOST, FIXTURE_VERSION, fixtureToml } from './helpers/gateway.js';
import { request } from './helpers/http.js';

const ALL: ReadonlySet<Category> = new Set(['tracing', 'metric', 'logging']);

/** Point `n` (0–9) is the 10-byte line `p<n> v=<n>i <n>\n`, so file sizes are easy to reason about. */
const point = (n: number): Point => ({ measurement: `p${n}`, kvs: [intField('v', BigInt(n))], time: BigInt(n) });
const lineOf = (n: number) => `p${n} v=${n}i ${n}\n`;
const batch = (...ns: number[]): PointBatch => ({ category: 'metric', points: ns.map(point) });
const lines = (...ns: number[]) => ns.map(lineOf).join('');

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dk-rotation-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Every file in `dir` with its content, by name. */
async function files(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) out[name] = await readFile(join(dir, name), 'utf8');
  return out;
}

async function openSink(t: Test, path: string, options: FileSinkOptions): Promise<FileSink> {
  const sink = new FileSink(path, ALL, options);
  await sink.open();
  t.teardown(() => sink.close());
  return sink;
}

t.test('rotation: path → path.1 → path.2, the oldest replaced; exactly at the limit does not rotate', async (t) => {
  const dir = await tempDir(t);
  const sink = await openSink(t, join(dir, 'out.lp'), { maxFileBytes: 30, maxFiles: 2 });

  await sink.write(batch(1, 2));
  await sink.write(batch(3)); // 30 bytes: at the limit, not past it
  t.same(await files(dir), { 'out.lp': lines(1, 2, 3) });

  await sink.write(batch(4));
  t.same(await files(dir), { 'out.lp': lines(4), 'out.lp.1': lines(1, 2, 3) });

  await sink.write(batch(5, 6));
  await sink.write(batch(7));
  t.same(await files(dir), { 'out.lp': lines(7), 'out.lp.1': lines(4, 5, 6), 'out.lp.2': lines(1, 2, 3) });

  await sink.write(batch(8, 9));
  await sink.write(batch(0));
  t.same(
    await files(dir),
    { 'out.lp': lines(0), 'out.lp.1': lines(7, 8, 9), 'out.lp.2': lines(4, 5, 6) },
    'max_files = 2: the oldest (1, 2, 3) is gone, no out.lp.3',
  );
});

t.test('restart: the size of an existing file counts; old rotated files are shifted on, a gap stops the shift', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'out.lp');
  await writeFile(path, lines(1, 2));
  await writeFile(`${path}.1`, lines(0));
  await writeFile(`${path}.3`, lines(9)); // past a gap: older still, left until the shift reaches it

  const sink = await openSink(t, path, { maxFileBytes: 25, maxFiles: 3 });
  await sink.write(batch(3)); // 20 + 10 > 25
  t.same(await files(dir), { 'out.lp': lines(3), 'out.lp.1': lines(1, 2), 'out.lp.2': lines(0), 'out.lp.3': lines(9) });
  await sink.write(batch(4, 5));
  t.same(await files(dir), { 'out.lp': lines(4, 5), 'out.lp.1': lines(3), 'out.lp.2': lines(1, 2), 'out.lp.3': lines(0) });
});

t.test('a batch bigger than the limit goes whole into a fresh file; the next batch starts another', async (t) => {
  const dir = await tempDir(t);
  const sink = await openSink(t, join(dir, 'out.lp'), { maxFileBytes: 25, maxFiles: 5 });

  await sink.write(batch(1));
  await sink.write(batch(2, 3, 4, 5));
  t.same(await files(dir), { 'out.lp': lines(2, 3, 4, 5), 'out.lp.1': lines(1) });
  await sink.write(batch(6));
  t.same(await files(dir), { 'out.lp': lines(6), 'out.lp.1': lines(2, 3, 4, 5), 'out.lp.2': lines(1) });

  const fresh = await tempDir(t);
  const first = await openSink(t, join(fresh, 'out.lp'), { maxFileBytes: 25 });
  await first.write(batch(7, 8, 9));
  t.same(await files(fresh), { 'out.lp': lines(7, 8, 9) }, 'an empty file takes an oversize batch without rotating');
});

t.test('max_files = 0: rotation starts the file afresh and keeps nothing', async (t) => {
  const dir = await tempDir(t);
  const sink = await openSink(t, join(dir, 'out.lp'), { maxFileBytes: 20, maxFiles: 0 });
  await sink.write(batch(1, 2));
  await sink.write(batch(3));
  t.same(await files(dir), { 'out.lp': lines(3) });
});

t.test('concurrent batches across many rotations: each file holds whole batches, all in order, none lost', async (t) => {
  const dir = await tempDir(t);
  const limit = 45;
  const sink = await openSink(t, join(dir, 'out.lp'), { maxFileBytes: limit, maxFiles: 1000 });
  const sizes = Array.from({ length: 120 }, (_, i) => (i * 7) % 6); // 0–5 points: empty and oversize batches too
  const batches = sizes.map((n, i) => batch(...Array.from({ length: n }, (_, j) => (i + j) % 10)));
  await Promise.all(batches.map((b) => sink.write(b)));

  // The rule, from the outside: a non-empty file that a batch would take past the limit is rotated first.
  const expected: string[] = [''];
  for (const b of batches) {
    const text = lines(...b.points.map((p) => Number(p.time)));
    if (text === '') continue;
    if (expected[0] !== '' && expected[0].length + text.length > limit) expected.unshift('');
    expected[0] += text;
  }
  const want: Record<string, string> = { 'out.lp': expected[0] };
  expected.slice(1).forEach((content, i) => (want[`out.lp.${i + 1}`] = content));
  t.ok(expected.length > 10, `rotated ${expected.length - 1} times`);
  t.same(await files(dir), want);
});

t.test('a FIFO is never rotated (only regular files are)', async (t) => {
  const dir = await tempDir(t);
  const fifo = join(dir, 'pipe');
  execFileSync('mkfifo', [fifo]);
  const reader = createReadStream(fifo, { encoding: 'utf8' });
  let received = '';
  reader.on('data', (chunk) => (received += chunk));
  const ended = once(reader, 'end');

  const sink = new FileSink(fifo, ALL, { maxFileBytes: 15, maxFiles: 2 });
  await sink.open();
  await sink.write(batch(1));
  await sink.write(batch(2));
  await sink.write(batch(3));
  await sink.flush();
  await sink.close();
  await ended;
  t.equal(received, lines(1, 2, 3));
  t.same(await readdir(dir), ['pipe'], 'no pipe.1');
});

t.test('json-lines format, with rotation counting its bytes', async (t) => {
  const dir = await tempDir(t);
  const json = (n: number) => `{"category":"metric","measurement":"p${n}","tags":{},"fields":{"v":${n}},"time":"${n}"}\n`;
  const sink = await openSink(t, join(dir, 'out.jsonl'), { format: 'json-lines', maxFileBytes: json(1).length * 2 });
  await sink.write(batch(1, 2));
  await sink.write(batch(3));
  t.same(await files(dir), { 'out.jsonl': json(3), 'out.jsonl.1': json(1) + json(2) });
});

const ctx: SinkContext = {
  logger: { info() {}, warn() {}, error() {} },
  configDir: '/',
  datawayUrls: [],
  userAgent: 'test',
};

t.test('createFileSink: opened before it returns, with the configured format, rotation and categories', async (t) => {
  const dir = await tempDir(t);
  const config: FileSinkConfig = {
    target: 'file',
    categories: ['logging'],
    format: 'json-lines',
    path: join(dir, 'sub', 'logs.jsonl'),
    maxFileBytes: 200,
    maxFiles: 1,
  };
  const sink = await createFileSink(config, ctx);
  t.teardown(() => sink.close());
  t.same([sink.name, [...sink.categories]], [`file:${config.path}`, ['logging']]);
  t.same(await files(join(dir, 'sub')), { 'logs.jsonl': '' }, 'created before any write');

  const log: PointBatch = {
    category: 'logging',
    points: [{ measurement: 'app', kvs: [tag('status', 'info'), strField('message', 'x'.repeat(50))], time: 1n }],
  };
  const line = `{"category":"logging","measurement":"app","tags":{"status":"info"},"fields":{"message":"${'x'.repeat(50)}"},"time":"1"}\n`;
  await sink.write(log);
  await sink.write(log);
  t.same(await files(join(dir, 'sub')), { 'logs.jsonl': line, 'logs.jsonl.1': line });
});

// The OTLP spec's example trace (test/fixtures/otlp-examples) as DataKit 1.84 stores it, as a JSON line.
const EXAMPLE_MESSAGE =
  '{"attributes":[{"key":"my.scope.attribute","value":{"stringValue":"some scope attribute"}},' +
  '{"key":"my.span.attr","value":{"stringValue":"some value"}},' +
  '{"key":"trace_id","value":{"stringValue":"5b8efff798038103d269b633813fc60c"}}]}';
const EXAMPLE_TRACE_JSON =
  '{"category":"tracing","measurement":"opentelemetry","tags":{' +
  `"dk_fingerprint":"${FIXTURE_HOST}_${FIXTURE_VERSION}","host":"${FIXTURE_HOST}","remote_ip":"127.0.0.1","service":"my.service",` +
  '"source":"opentelemetry","source_type":"custom","span_kind":"server","span_type":"entry","status":"info"},' +
  `"fields":{"duration":1000000,"message":${JSON.stringify(EXAMPLE_MESSAGE)},"parent_id":"eee19b7ec3c1b173",` +
  '"resource":"I\'m a server span","span_id":"eee19b7ec3c1b174","start":1544712660000000,' +
  '"trace_id":"5b8efff798038103d269b633813fc60c"},"time":"1544712660000000000"}\n';

t.test('gateway: format = "json-lines" and max_file_bytes from the config; each 200 finds its line written', async (t) => {
  const dir = await tempDir(t);
  const sinksToml = `
[io]
auto_timestamp_correction = false
[[sinks.sink]]
target = "file"
path = "${join(dir, 'traces.jsonl')}"
categories = ["T"]
format = "json-lines"
max_file_bytes = ${EXAMPLE_TRACE_JSON.length + 1}
max_files = 1
`;
  const config = loadConfig({ text: fixtureToml('', sinksToml), env: {} });
  const gw = await startGateway({ config, listen: { host: '127.0.0.1', port: 0 } });
  t.teardown(gw.close);
  const body = await readFile(new URL('./fixtures/otlp-examples/trace.json', import.meta.url));

  const post = () => request(`${gw.url}/otel/v1/traces`, { headers: { 'content-type': 'application/json' }, body });
  t.equal((await post()).status, 200);
  t.same(await files(dir), { 'traces.jsonl': EXAMPLE_TRACE_JSON });
  t.equal((await post()).status, 200);
  t.same(await files(dir), { 'traces.jsonl': EXAMPLE_TRACE_JSON, 'traces.jsonl.1': EXAMPLE_TRACE_JSON }, 'rotated');
  t.equal((await post()).status, 200);
  t.same(await files(dir), { 'traces.jsonl': EXAMPLE_TRACE_JSON, 'traces.jsonl.1': EXAMPLE_TRACE_JSON }, 'max_files = 1');
});
