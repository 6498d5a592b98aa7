/**
 * Snapshots (issue 5): the normalized text (ids, times, durations and per-machine values as placeholders, a
 * deterministic order), the golden file life cycle over HTTP (write → match → mismatch with a diff → update → CI mode
 * refusing a missing one), and the line diff.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import type { MemorySinkConfig } from '../src/config/types.js';
import { intField, strField, tag, type Point } from '../src/datakit/point.js';
import { lineDiff } from '../src/fixture/line-diff.js';
import { ciFromEnv, snapshotText } from '../src/fixture/snapshot.js';
import { createMemorySink, MemorySink } from '../src/sinks/memory-sink.js';
import { get, rootSpanOf, sendLogs, sendTrace, startFixtureGateway } from './helpers/fixture.js';

const line = (fields: Record<string, string>, tags: Record<string, string> = {}) =>
  JSON.stringify({ category: 'tracing', measurement: 'opentelemetry', tags, fields, time: '<time>' }) + '\n';

/** The LLM app's trace and logs (helpers/fixture.ts), as a snapshot: root first, children after, then the logs. */
const HEAD_TAGS = { dk_fingerprint: '<dk_fingerprint>', host: '<host>', remote_ip: '<remote_ip>' };
const SPAN_TAGS = { source: 'opentelemetry', source_type: 'custom' };
const traceMessage = (attrs = '') => `{"attributes":[${attrs}{"key":"trace_id","value":{"stringValue":"<trace:1>"}}]}`;
const CHAT_ATTRS =
  '{"key":"gen_ai.prompt.0.role","value":{"stringValue":"user"}},{"key":"gen_ai.prompt.0.content","value":{"stringValue":"Tell me a joke"}},' +
  '{"key":"gen_ai.completion.0.role","value":{"stringValue":"assistant"}},' +
  '{"key":"gen_ai.completion.0.content","value":{"stringValue":"Why did the span cross the road?"}},' +
  '{"key":"gen_ai.usage.prompt_tokens","value":{"intValue":"12"}},{"key":"gen_ai.usage.completion_tokens","value":{"intValue":"30"}},';
const span = (tags: Record<string, string>, fields: Record<string, string>) =>
  JSON.stringify({ category: 'tracing', measurement: 'opentelemetry', tags, fields, time: '<time>' });
const log = (status: string, fields: Record<string, string>) =>
  JSON.stringify({
    category: 'logging',
    measurement: 'llm-app',
    tags: { ...HEAD_TAGS, service: 'llm-app', status },
    fields: { message: fields.message, schema_url: '', scope_name: 'app', service_name: 'llm-app', span_id: fields.span_id, trace_id: fields.trace_id },
    time: '<time>',
  });
const APP_SNAPSHOT =
  [
    span(
      { ...HEAD_TAGS, service: 'llm-app', ...SPAN_TAGS, span_kind: 'server', span_type: 'entry', status: 'ok' },
      { duration: '<duration>', http_method: 'POST', message: traceMessage(), parent_id: '0', resource: 'POST /chat', span_id: '<span:1>', start: '<time>', trace_id: '<trace:1>' },
    ),
    span(
      { base_service: 'llm-app', ...HEAD_TAGS, service: 'postgresql', ...SPAN_TAGS, span_kind: 'client', span_type: 'exit', status: 'error' },
      { duration: '<duration>', message: traceMessage(), parent_id: '<span:1>', resource: 'db query', span_id: '<span:2>', start: '<time>', trace_id: '<trace:1>' },
    ),
    span(
      { ...HEAD_TAGS, service: 'llm-app', ...SPAN_TAGS, span_kind: 'client', span_type: 'exit', status: 'ok' },
      {
        duration: '<duration>',
        gen_ai_request_model: 'gpt-4o-mini',
        gen_ai_system: 'OpenAI',
        message: traceMessage(CHAT_ATTRS),
        parent_id: '<span:1>',
        resource: 'openai.chat',
        span_id: '<span:3>',
        start: '<time>',
        trace_id: '<trace:1>',
      },
    ),
    log('error', { message: 'db timeout', span_id: '0', trace_id: '0' }),
    log('info', { message: 'chat request', span_id: '<span:1>', trace_id: '<trace:1>' }),
  ].join('\n') + '\n';

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'otelgw-snap-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test('GET /api/snapshots/:name/current: the normalized text, the same for runs with other ids and times', async (t) => {
  const gw = await startFixtureGateway(t);
  await sendTrace(gw, 'run-1');
  await sendLogs(gw, 'run-1');
  // Another run: other ids, everything 5 s later, sent in the other order.
  await sendLogs(gw, 'run-2', rootSpanOf('9'));
  await sendTrace(gw, 'run-2', { ids: '9', offsetMs: 5000 });
  const first = await get(gw, '/api/snapshots/app/current?session=run-1');
  t.equal(first.status, 200);
  t.equal(first.headers['content-type'], 'text/plain; charset=utf-8');
  t.equal(first.json, APP_SNAPSHOT);
  t.equal((await get(gw, '/api/snapshots/app/current?session=run-2')).json, APP_SNAPSHOT);
  t.equal(
    (await get(gw, '/api/snapshots/app/current?session=run-1&ignore=message,http_method')).json,
    APP_SNAPSHOT.replace(/"message":"(?:[^"\\]|\\.)*"/g, '"message":"<ignored>"').replace('"http_method":"POST"', '"http_method":"<ignored>"'),
  );
});

t.test('ids inside values (hex and protojson base64) and *TimeUnixNano inside JSON text are replaced too', async (t) => {
  const store = new MemorySink({ categories: ['tracing'], maxPoints: 10, maxBytes: 1 << 20 });
  const trace = '5b8efff798038103d269b633813fc60c';
  const parent = 'eee19b7ec3c1b173';
  const child = 'eee19b7ec3c1b174';
  const base64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
  const spanPoint = (spanId: string, parentId: string, message: string): Point => ({
    measurement: 'opentelemetry',
    kvs: [
      tag('host', 'build-42'),
      tag('process_pid', '4242'),
      strField('trace_id', trace),
      strField('span_id', spanId),
      strField('parent_id', parentId),
      intField('start', 1_544_712_660_000_000n),
      intField('duration', 1234n),
      intField('__orig_time', 1_544_712_660_000_000_000n),
      strField('message', message),
      intField('latency_ms', 87n),
    ],
    time: 1_544_712_660_000_000_000n,
  });
  // Written child first: the snapshot still lists the parent first.
  await store.write({
    category: 'tracing',
    points: [
      spanPoint(
        child,
        parent,
        `{"traceId":"${base64(trace)}","spanId":"${base64(child)}","parentSpanId":"${base64(parent)}",` +
          `"events":[{"timeUnixNano":"1544712660300000000","name":"e"}],"attributes":[{"key":"ref","value":{"stringValue":"${parent}"}}]}`,
      ),
      spanPoint(parent, '0', `{"traceId":"${base64(trace)}","spanId":"${base64(parent)}","startTimeUnixNano":"1544712660000000000"}`),
    ],
  });
  const fields = (spanId: string, parentId: string, message: string) => ({
    __orig_time: '<time>',
    duration: '<duration>',
    latency_ms: '<ignored>',
    message,
    parent_id: parentId,
    span_id: spanId,
    start: '<time>',
    trace_id: '<trace:1>',
  });
  t.equal(
    snapshotText(store.points(), { ignore: ['latency_ms'] }),
    line(fields('<span:1>', '0', '{"traceId":"<trace:1>","spanId":"<span:1>","startTimeUnixNano":"<time>"}'), { host: '<host>', process_pid: '<pid>' }) +
      line(
        fields(
          '<span:2>',
          '<span:1>',
          '{"traceId":"<trace:1>","spanId":"<span:2>","parentSpanId":"<span:1>","events":[{"timeUnixNano":"<time>","name":"e"}],' +
            '"attributes":[{"key":"ref","value":{"stringValue":"<span:1>"}}]}',
        ),
        { host: '<host>', process_pid: '<pid>' },
      ),
  );
  t.equal(snapshotText([]), '', 'no points: an empty snapshot');
});

t.test('POST /api/snapshots/:name: written → match → mismatch with a diff → updated', async (t) => {
  const dir = await tempDir(t);
  const gw = await startFixtureGateway(t, `snapshot_dir = ${JSON.stringify(dir)}\nsnapshot_ci = false`);
  const file = join(dir, 'llm-app.snap');
  await sendTrace(gw, 's');
  await sendLogs(gw, 's');
  const written = await get(gw, '/api/snapshots/llm-app?session=s', 'POST');
  t.equal(written.status, 201);
  t.strictSame(written.json, { status: 'written', file });
  t.equal(await readFile(file, 'utf8'), APP_SNAPSHOT);

  const match = await get(gw, '/api/snapshots/llm-app?session=s', 'POST');
  t.equal(match.status, 200);
  t.strictSame(match.json, { status: 'match', file });

  // Two more log records: the snapshot no longer matches, and the diff shows exactly those lines.
  await sendLogs(gw, 's');
  const mismatch = await get(gw, '/api/snapshots/llm-app?session=s', 'POST');
  t.equal(mismatch.status, 409);
  const errorLine = log('error', { message: 'db timeout', span_id: '0', trace_id: '0' });
  const infoLine = log('info', { message: 'chat request', span_id: '<span:1>', trace_id: '<trace:1>' });
  t.strictSame(mismatch.json, {
    status: 'mismatch',
    file,
    diff: `--- ${file}\n+++ current points\n@@ -4,2 +4,4 @@\n ${errorLine}\n+${errorLine}\n+${infoLine}\n ${infoLine}\n`,
  });
  t.equal(await readFile(file, 'utf8'), APP_SNAPSHOT, 'a mismatch leaves the golden file alone');

  const updated = await get(gw, '/api/snapshots/llm-app?session=s', 'POST', '{"update": true}');
  t.equal(updated.status, 200);
  t.strictSame(updated.json, { status: 'updated', file });
  t.equal((await get(gw, '/api/snapshots/llm-app?session=s', 'POST')).json.status, 'match');
});

t.test('CI mode: a missing snapshot fails (404) and is not written; an existing one is compared', async (t) => {
  const dir = await tempDir(t);
  const gw = await startFixtureGateway(t, `snapshot_dir = ${JSON.stringify(dir)}\nsnapshot_ci = true`);
  await sendLogs(gw, 'ci');
  const missing = await get(gw, '/api/snapshots/new-one?session=ci', 'POST');
  t.equal(missing.status, 404);
  t.strictSame(missing.json, { status: 'missing', file: join(dir, 'new-one.snap') });
  await t.rejects(stat(join(dir, 'new-one.snap')), { code: 'ENOENT' });
  // Asking for an update explicitly still writes it.
  t.equal((await get(gw, '/api/snapshots/new-one?session=ci', 'POST', '{"update": true}')).json.status, 'written');
  t.equal((await get(gw, '/api/snapshots/new-one?session=ci', 'POST')).status, 200);
});

t.test('snapshot names and bodies are checked (400)', async (t) => {
  const dir = await tempDir(t);
  const gw = await startFixtureGateway(t, `snapshot_dir = ${JSON.stringify(dir)}`);
  const nameError = (name: string) => ({
    error: `snapshot name ${JSON.stringify(name)}: expected 1–128 characters of A–Z a–z 0–9 . _ -, not starting with . _ -`,
  });
  const cases: [string, string | undefined, unknown][] = [
    ['/api/snapshots/..%2Fescape', undefined, nameError('../escape')],
    ['/api/snapshots/.hidden', undefined, nameError('.hidden')],
    ['/api/snapshots/ok', 'not json', { error: 'body: expected JSON like {"update": true, "ignore": ["key"]}' }],
    ['/api/snapshots/ok', '{"update": "yes"}', { error: 'body.update: expected true or false' }],
    ['/api/snapshots/ok', '{"ignore": "message"}', { error: 'body.ignore: expected a list of tag or field keys' }],
    ['/api/snapshots/ok', '{"updates": true}', { error: 'body: unknown key "updates": expected update, ignore' }],
    ['/api/snapshots/ok?sesion=x', undefined, { error: 'unknown parameter "sesion" for POST /api/snapshots/:name: expected session' }],
  ];
  for (const [path, body, answer] of cases) {
    const res = await get(gw, path, 'POST', body);
    t.equal(res.status, 400, path);
    t.strictSame(res.json, answer, `${path} ${body ?? ''}`);
  }
  t.equal((await get(gw, '/api/snapshots/..%2Fescape/current')).status, 400);
});

t.test('snapshot_dir: relative to the config file’s folder; default __snapshots__', async (t) => {
  const ctx = { logger: { info() {}, warn() {}, error() {} }, configDir: '/etc/gw', datawayUrls: [], userAgent: 'x' };
  const base: MemorySinkConfig = { target: 'memory', categories: ['tracing'], maxPoints: 1, maxBytes: 1 };
  t.equal(createMemorySink({ ...base, snapshotDir: 'golden' }, ctx).snapshotDir, '/etc/gw/golden');
  t.equal(createMemorySink({ ...base, snapshotDir: '/abs/golden' }, ctx).snapshotDir, '/abs/golden');
  t.equal(createMemorySink(base, ctx).snapshotDir, '/etc/gw/__snapshots__');
  t.equal(createMemorySink({ ...base, snapshotCi: true }, ctx).snapshotCi, true);
  t.equal(createMemorySink(base, ctx).snapshotCi, undefined, 'decided by env CI when a snapshot is taken');
});

t.test('CI mode from the environment: CI set, and not "", "0" or "false"', async (t) => {
  t.strictSame(
    [undefined, '', '0', 'false', 'FALSE', 'true', '1', 'github'].map((CI) => ciFromEnv(CI === undefined ? {} : { CI })),
    [false, false, false, false, false, true, true, true],
  );
});

t.test('lineDiff: unified hunks with one line of context, removals before additions', async (t) => {
  const names = { expected: 'a', actual: 'b' };
  t.equal(lineDiff('x\n', 'x\n', names), '');
  t.equal(lineDiff('1\n2\n3\n4\n5\n6\n7\n', '1\n2\nthree\n4\n5\n6\n7\neight\n', names), '--- a\n+++ b\n@@ -2,3 +2,3 @@\n 2\n-3\n+three\n 4\n@@ -7,1 +7,2 @@\n 7\n+eight\n');
  t.equal(lineDiff('', 'new\n', names), '--- a\n+++ b\n@@ -1,0 +1,1 @@\n+new\n');
  t.equal(lineDiff('a\nb\nc\n', 'a\nc\n', names), '--- a\n+++ b\n@@ -1,3 +1,2 @@\n a\n-b\n c\n');
  // Changes two lines apart share a hunk.
  t.equal(lineDiff('1\n2\n3\n4\n5\n', '1\nx\n3\ny\n5\n', names), '--- a\n+++ b\n@@ -1,5 +1,5 @@\n 1\n-2\n+x\n 3\n-4\n+y\n 5\n');
});
