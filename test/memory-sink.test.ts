/**
 * The memory sink: bounded by points and by bytes (line protocol size), oldest evicted first and counted, filters,
 * clear, and the sink behind the running gateway; as the fixture's store (issue 5): per-point id, session, origin,
 * the trace index, removal by query, waits woken by writes, change listeners.
 */
import t from 'tap';
import { getKV, intField, strField, tag, type Category, type Point } from '../src/datakit/point.js';
import { startGateway } from '../src/gateway.js';
import { loadConfig } from '../src/config/index.js';
import type { OtelInputConfig } from '../src/config/types.js';
import type { PointOrigin } from '../src/datakit/origin.js';
import { MemorySink, type MemorySinkLimits } from '../src/sinks/memory-sink.js';
import { fixtureToml } from './helpers/gateway.js';
import { request } from './helpers/http.js';
import { logsRequest, tracesRequest } from './helpers/otlp-build.js';

const ALL: Category[] = ['tracing', 'metric', 'logging'];
/** The gateway's clock (timestamp correction), so the golden lines do not depend on the day. */
const NOW = 1_795_551_668_462_000_000n;

/** `m,host=h<i> v=<i>i <i>`: 1 + 7 + 1 + 4 + 1 + 1 = 18 bytes for one-digit i. */
const pt = (i: number, measurement = 'm', host = `h${i}`): Point => ({
  measurement,
  kvs: [tag('host', host), intField('v', BigInt(i))],
  time: BigInt(i),
});

const sink = (limits: Partial<MemorySinkLimits> = {}) => new MemorySink({ categories: ALL, maxPoints: 100, maxBytes: 1 << 20, ...limits });

t.test('keeps the newest max_points points, evicting the oldest first', async (t) => {
  const s = sink({ maxPoints: 3 });
  await s.write({ category: 'metric', points: [pt(1), pt(2)] });
  await s.write({ category: 'metric', points: [pt(3), pt(4), pt(5)] });
  t.same(s.lines(), ['m,host=h3 v=3i 3', 'm,host=h4 v=4i 4', 'm,host=h5 v=5i 5']);
  t.same(s.stats(), { points: 3, bytes: 3 * 16, evicted: 2 });
});

t.test('keeps at most max_bytes of line protocol', async (t) => {
  // Each line is 16 bytes: 40 bytes hold two.
  const s = sink({ maxBytes: 40 });
  await s.write({ category: 'metric', points: [pt(1), pt(2), pt(3)] });
  t.same(s.lines(), ['m,host=h2 v=2i 2', 'm,host=h3 v=3i 3']);
  t.same(s.stats(), { points: 2, bytes: 32, evicted: 1 });
  // A longer line evicts as many old ones as it needs.
  await s.write({ category: 'metric', points: [pt(4, 'm', 'a-much-longer-host')] });
  t.same(s.lines(), ['m,host=a-much-longer-host v=4i 4']);
  t.same(s.stats(), { points: 1, bytes: 32, evicted: 3 });
});

t.test('counts bytes as UTF-8', async (t) => {
  const s = sink();
  await s.write({ category: 'logging', points: [pt(1, 'm', 'ü')] });
  t.same(s.lines(), ['m,host=ü v=1i 1']);
  t.equal(s.stats().bytes, 16);
});

t.test('a point bigger than max_bytes is not kept, and counted; the others stay', async (t) => {
  const s = sink({ maxBytes: 20 });
  await s.write({ category: 'metric', points: [pt(1), pt(2, 'm', 'too-long-for-the-store')] });
  t.same(s.lines(), ['m,host=h1 v=1i 1']);
  t.same(s.stats(), { points: 1, bytes: 16, evicted: 1 });
});

t.test('points DataKit cannot encode are not stored (no fields)', async (t) => {
  const s = sink();
  await s.write({ category: 'metric', points: [{ measurement: 'm', kvs: [tag('a', 'b')], time: 1n }, pt(1)] });
  t.same(s.lines(), ['m,host=h1 v=1i 1']);
  t.same(s.stats(), { points: 1, bytes: 16, evicted: 0 });
});

t.test('long runs stay exact across the internal compaction', async (t) => {
  const s = sink({ maxPoints: 5 });
  for (let i = 0; i < 5000; i++) await s.write({ category: 'metric', points: [pt(i)] });
  t.same(
    s.points().map((e) => e.point.time),
    [4995n, 4996n, 4997n, 4998n, 4999n],
  );
  // `m,host=h4995 v=4995i 4995`: 25 bytes.
  t.same(s.stats(), { points: 5, bytes: 5 * 25, evicted: 4995 });
});

t.test('filters by category, measurement and tags', async (t) => {
  const s = sink();
  const p = (measurement: string, service: string, env: string): Point => ({
    measurement,
    kvs: [tag('service', service), tag('env', env), strField('region', 'eu'), intField('n', 1n)],
    time: 1n,
  });
  await s.write({ category: 'tracing', points: [p('otel', 'cart', 'prod'), p('otel', 'pay', 'prod')] });
  await s.write({ category: 'logging', points: [p('cart', 'cart', 'dev')] });
  const names = (list: ReturnType<MemorySink['points']>) =>
    list.map((e) => `${e.category}/${e.point.measurement}/service=${getKV(e.point.kvs, 'service')?.value as string}`);

  t.same(names(s.points()), ['tracing/otel/service=cart', 'tracing/otel/service=pay', 'logging/cart/service=cart']);
  t.same(names(s.points({ category: 'logging' })), ['logging/cart/service=cart']);
  t.same(names(s.points({ measurement: 'otel' })), ['tracing/otel/service=cart', 'tracing/otel/service=pay']);
  t.same(names(s.points({ tags: { service: 'cart' } })), ['tracing/otel/service=cart', 'logging/cart/service=cart']);
  t.same(names(s.points({ tags: { service: 'cart', env: 'prod' } })), ['tracing/otel/service=cart']);
  t.same(names(s.points({ category: 'tracing', measurement: 'otel', tags: { env: 'dev' } })), []);
  // `region` is a field, not a tag.
  t.same(names(s.points({ tags: { region: 'eu' } })), []);
  t.same(s.lines('logging'), ['cart,env=dev,service=cart n=1i,region="eu" 1']);
});

t.test('clear() empties the store but keeps the eviction count', async (t) => {
  const s = sink({ maxPoints: 1 });
  await s.write({ category: 'metric', points: [pt(1), pt(2)] });
  s.clear();
  t.same(s.stats(), { points: 0, bytes: 0, evicted: 1 });
  t.same(s.lines(), []);
  await s.write({ category: 'metric', points: [pt(3)] });
  t.same(s.lines(), ['m,host=h3 v=3i 3']);
  t.same(s.stats(), { points: 1, bytes: 16, evicted: 1 });
});

t.test('behind the gateway: configured by [[sinks.sink]], its categories only, bounded', async (t) => {
  const config = loadConfig({
    text: `${fixtureToml()}\n[[sinks.sink]]\ntarget = "memory"\ncategories = ["L"]\nmax_points = 2\n`,
    env: {},
  });
  const gw = await startGateway({ config, listen: { host: '127.0.0.1', port: 0 }, now: () => NOW });
  t.teardown(gw.close);
  const memory = gw.sinks[0];
  if (!(memory instanceof MemorySink)) throw new Error('the configured sink is not a MemorySink');

  const post = async (signal: string, body: Uint8Array) => {
    const res = await request(`${gw.otelUrl}/v1/${signal}`, { headers: { 'Content-Type': 'application/x-protobuf' }, body: Buffer.from(body) });
    t.equal(res.status, 200, `${signal} accepted`);
  };
  await post('traces', (await tracesRequest()).protobuf);
  await post('logs', (await logsRequest()).protobuf);
  // No trace points (categories = ["L"]); three log records, the first evicted.
  t.same(memory.lines(), [
    'checkout,dk_fingerprint=ci-host_1.84.1,host=web-1,remote_ip=127.0.0.1,service=checkout,status=info __orig_time=1700000000125456789i,' +
      'host_name="web-1",message="values:{key:\\"url\\" value:{string_value:\\"https://shop.example/cart\\"}} ' +
      'values:{key:\\"visits\\" value:{int_value:3}} values:{key:\\"tags\\" value:{array_value:{values:{string_value:\\"a\\"} ' +
      'values:{string_value:\\"b\\"}}}}",process_pid="4242",schema_url="",scope_name="test-logger",service_name="checkout",' +
      `span_id="0",trace_id="0" ${NOW}`,
    'checkout,dk_fingerprint=ci-host_1.84.1,host=web-1,remote_ip=127.0.0.1,service=checkout,status=unknown __orig_time=1700000000126456789i,' +
      'empty="",host_name="web-1",message="",process_pid="4242",schema_url="",scope_name="test-logger",service_name="checkout",' +
      `span_id="0",trace_id="0" ${NOW}`,
  ]);
  t.same(memory.stats(), { points: 2, bytes: 801, evicted: 1 });
});

// ------------------------------------------------------------------------------------------------ the fixture store

/** A span point of trace `trace` (trace_id field), as the trace converter writes one. */
const span = (i: number, trace: string): Point => ({
  measurement: 'opentelemetry',
  kvs: [tag('service', 's'), strField('trace_id', trace), strField('span_id', `s${i}`), intField('v', BigInt(i))],
  time: BigInt(i),
});
const idsOf = (list: ReturnType<MemorySink['points']>) => list.map((e) => e.id);

t.test('each stored point keeps its id, session, arrival time, origin and input', async (t) => {
  const s = sink();
  t.equal(s.wantsOrigins, true, 'the pipeline records origins for it');
  const origin = { signal: 'logs', resource: undefined, scope: undefined, record: {} } as unknown as PointOrigin;
  const input = { customerTags: [] } as unknown as OtelInputConfig;
  const first = pt(1);
  const before = Date.now();
  await s.write({ category: 'logging', points: [first, pt(2)], session: 't1', origins: new Map([[first, origin]]), input });
  await s.write({ category: 'metric', points: [pt(3)] });
  const [a, b, c] = s.points();
  t.strictSame([a.id, b.id, c.id], [1, 2, 3]);
  t.strictSame([a.session, b.session, c.session], ['t1', 't1', undefined]);
  t.equal(a.origin, origin);
  t.equal(b.origin, undefined, 'a point without a recorded origin');
  t.equal(a.input, input);
  t.ok(a.receivedAt >= before && a.receivedAt <= Date.now());
  t.equal(a.bytes, 16);
  s.clear();
  await s.write({ category: 'metric', points: [pt(4)] });
  t.strictSame(idsOf(s.points()), [4], 'ids keep increasing across clear()');
});

t.test('queries by trace_id use the index, which follows evictions and removals', async (t) => {
  const s = sink({ maxPoints: 3 });
  await s.write({ category: 'tracing', points: [span(1, 'aa'), span(2, 'bb'), span(3, 'aa')], session: 'x' });
  t.strictSame(idsOf(s.points({ traceId: 'aa' })), [1, 3]);
  await s.write({ category: 'tracing', points: [span(4, 'aa')], session: 'y' });
  t.strictSame(idsOf(s.points({ traceId: 'aa' })), [3, 4], 'the evicted span left the index');
  t.strictSame(idsOf(s.points({ traceId: 'aa', session: 'y' })), [4]);
  t.equal(s.remove({ session: 'y' }), 1);
  t.strictSame(idsOf(s.points({ traceId: 'aa' })), [3]);
  t.strictSame(idsOf(s.points({ traceId: 'bb' })), [2]);
  // A log record outside any trace has trace_id "0": not indexed, not a trace.
  await s.write({ category: 'logging', points: [span(5, '0')] });
  t.equal(s.points().at(-1)!.traceId, undefined);
  t.strictSame(idsOf(s.points({ traceId: '0' })), []);
});

t.test('remove(): by query, with bytes recounted and evictions kept', async (t) => {
  const s = sink({ maxPoints: 3 });
  await s.write({ category: 'metric', points: [pt(1), pt(2), pt(3), pt(4)], session: 'a' });
  await s.write({ category: 'logging', points: [pt(5)], session: 'b' });
  t.equal(s.remove({ session: 'a', tags: { host: 'h3' } }), 1);
  t.strictSame(s.lines(), ['m,host=h4 v=4i 4', 'm,host=h5 v=5i 5']);
  t.strictSame(s.stats(), { points: 2, bytes: 32, evicted: 2 });
  t.equal(s.remove(), 2);
  t.strictSame(s.stats(), { points: 0, bytes: 0, evicted: 2 });
});

t.test('waitFor: at once when satisfied, woken by a later write, false on timeout or abort', async (t) => {
  const s = sink();
  await s.write({ category: 'metric', points: [pt(1)], session: 'w' });
  t.equal(await s.waitFor({ session: 'w' }, 1, 60_000), true, 'already there');
  const pending = s.waitFor({ session: 'w', category: 'logging' }, 2, 60_000);
  await s.write({ category: 'logging', points: [pt(2)], session: 'other' });
  await s.write({ category: 'logging', points: [pt(3)], session: 'w' });
  await s.write({ category: 'logging', points: [pt(4)], session: 'w' });
  t.equal(await pending, true, 'the second matching write answered it');
  t.equal(await s.waitFor({ session: 'nobody' }, 1, 5), false, 'timed out');
  const abort = new AbortController();
  const aborted = s.waitFor({ session: 'nobody' }, 1, 60_000, abort.signal);
  abort.abort();
  t.equal(await aborted, false);
});

t.test('waitFor: matching points evicted meanwhile do not count', async (t) => {
  const s = sink({ maxPoints: 2 });
  const pending = s.waitFor({ measurement: 'want' }, 2, 60_000);
  let settled = false;
  void pending.then(() => (settled = true));
  // Two matching points, but the second write evicts the first: only one is there.
  await s.write({ category: 'metric', points: [pt(1, 'want')] });
  await s.write({ category: 'metric', points: [pt(2, 'other'), pt(3, 'want')] });
  await Promise.resolve();
  t.equal(settled, false);
  await s.write({ category: 'metric', points: [pt(4, 'want')] });
  t.equal(await pending, true);
});

t.test('onChange: told of each write that stored points and of each removal', async (t) => {
  const s = sink();
  const told: string[] = [];
  const stop = s.onChange((c) => told.push(c.kind === 'points' ? `points ${c.added.map((e) => e.id).join(',')}` : `reset ${c.removed}`));
  await s.write({ category: 'metric', points: [pt(1), pt(2)] });
  await s.write({ category: 'metric', points: [{ measurement: 'm', kvs: [tag('a', 'b')], time: 1n }] }); // nothing stored
  s.remove({ tags: { host: 'h1' } });
  stop();
  await s.write({ category: 'metric', points: [pt(3)] });
  t.strictSame(told, ['points 1,2', 'reset 1']);
});

t.test('a ready-made line-protocol form (the span message) is written, then not kept with the point', async (t) => {
  const s = sink();
  const json = '{"name":"a \\"b\\""}';
  const lp = '"{\\"name\\":\\"a \\\\\\"b\\\\\\"\\"}"';
  const message = { key: 'message', isTag: false as const, value: { type: 'string' as const, value: json, lp } };
  const original: Point = { measurement: 'm', kvs: [tag('host', 'h'), message], time: 1n };
  const origin = { signal: 'traces' } as unknown as PointOrigin;
  await s.write({ category: 'tracing', points: [original], origins: new Map([[original, origin]]) });
  const [stored] = s.points();
  t.equal(stored.line, `m,host=h message=${lp} 1`);
  t.strictSame(getKV(stored.point.kvs, 'message'), strField('message', json), 'the JSON value only');
  t.equal(stored.origin, origin, 'the origin of the point as it came');
  t.equal(getKV(original.kvs, 'message'), message, 'the batch itself is not changed (other sinks share it)');
});
