/**
 * The fixture's HTTP API under /api/ (issue 5), driven over real HTTP with real OTLP from the OpenTelemetry JS SDK:
 * every endpoint, bad parameters, concurrent sessions, waits woken by writes and waits that time out, resets,
 * evictions, trace trees, histogram series, logs, sessions, server-sent events and auth.
 */
import http from 'node:http';
import t from 'tap';
import type { RunningGateway } from '../src/gateway.js';
import { MemorySink } from '../src/sinks/memory-sink.js';
import { fixtureToml } from './helpers/gateway.js';
import { get, rootSpanOf, sendLogs, sendMetrics, sendTrace, startFixtureGateway } from './helpers/fixture.js';
import { loadConfig } from '../src/config/index.js';
import { startGateway } from '../src/gateway.js';

const TRACE = rootSpanOf().traceId; // 1a000000000000000000000000000001
const [ROOT, CHAT, DB] = ['1b00000000000001', '1b00000000000002', '1b00000000000003'];
const HEAD = 'opentelemetry,dk_fingerprint=ci-host_1.84.1,host=ci-host,remote_ip=127.0.0.1';
const CHAT_MESSAGE =
  '{"attributes":[{"key":"gen_ai.prompt.0.role","value":{"stringValue":"user"}},{"key":"gen_ai.prompt.0.content","value":{"stringValue":"Tell me a joke"}},' +
  '{"key":"gen_ai.completion.0.role","value":{"stringValue":"assistant"}},' +
  '{"key":"gen_ai.completion.0.content","value":{"stringValue":"Why did the span cross the road?"}},' +
  '{"key":"gen_ai.usage.prompt_tokens","value":{"intValue":"12"}},{"key":"gen_ai.usage.completion_tokens","value":{"intValue":"30"}},' +
  `{"key":"trace_id","value":{"stringValue":"${TRACE}"}}]}`;
const CHAT_LINE =
  `${HEAD},service=llm-app,source=opentelemetry,source_type=custom,span_kind=client,span_type=exit,status=ok ` +
  `duration=250000i,gen_ai_request_model="gpt-4o-mini",gen_ai_system="OpenAI",message="${CHAT_MESSAGE.replaceAll('"', '\\"')}",` +
  `parent_id="${ROOT}",resource="openai.chat",span_id="${CHAT}",start=1700000000010000i,trace_id="${TRACE}" 1700000000010000000`;

/** The chat span as GET /api/points answers it (without origin/account/llm). */
const CHAT_POINT = {
  id: 1,
  category: 'tracing',
  session: 'p1',
  measurement: 'opentelemetry',
  tags: {
    dk_fingerprint: 'ci-host_1.84.1',
    host: 'ci-host',
    remote_ip: '127.0.0.1',
    service: 'llm-app',
    source: 'opentelemetry',
    source_type: 'custom',
    span_kind: 'client',
    span_type: 'exit',
    status: 'ok',
  },
  fields: {
    duration: 250000,
    gen_ai_request_model: 'gpt-4o-mini',
    gen_ai_system: 'OpenAI',
    message: CHAT_MESSAGE,
    parent_id: ROOT,
    resource: 'openai.chat',
    span_id: CHAT,
    start: 1700000000010000,
    trace_id: TRACE,
  },
  time: '1700000000010000000',
  line: CHAT_LINE,
};

const CHAT_LLM = {
  convention: 'openllmetry',
  durationMs: 250,
  input: [{ role: 'user', content: 'Tell me a joke' }],
  output: [{ role: 'assistant', content: 'Why did the span cross the road?' }],
  provider: 'OpenAI',
  model: 'gpt-4o-mini',
  requestModel: 'gpt-4o-mini',
  inputTokens: 12,
  outputTokens: 30,
  totalTokens: 42,
};

const storeOf = (gw: RunningGateway): MemorySink => gw.store;

t.test('GET /api/points: a span as JSON, with its OTLP origin (hex ids), attribute account and LLM call', async (t) => {
  const gw = await startFixtureGateway(t);
  await sendTrace(gw, 'p1');
  const res = await get(gw, '/api/points?session=p1&tag.span_kind=client&field.resource=openai.chat&origin=1&account=1');
  t.equal(res.status, 200);
  t.equal(res.json.total, 1);
  t.same(res.json.stats, storeOf(gw).stats());
  t.equal(res.json.stats.points, 3);
  const { origin, account, llm, ...point } = res.json.points[0];
  t.strictSame(point, CHAT_POINT);
  t.strictSame(llm, CHAT_LLM);
  t.strictSame(origin, {
    signal: 'traces',
    resource: { attributes: [{ key: 'service.name', value: { stringValue: 'llm-app' } }] },
    scope: { name: 'app', version: '1.0.0' },
    span: {
      traceId: TRACE,
      spanId: CHAT,
      parentSpanId: ROOT,
      name: 'openai.chat',
      kind: 3,
      startTimeUnixNano: '1700000000010000000',
      endTimeUnixNano: '1700000000260000000',
      attributes: [
        { key: 'gen_ai.system', value: { stringValue: 'OpenAI' } },
        { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
        { key: 'gen_ai.prompt.0.role', value: { stringValue: 'user' } },
        { key: 'gen_ai.prompt.0.content', value: { stringValue: 'Tell me a joke' } },
        { key: 'gen_ai.completion.0.role', value: { stringValue: 'assistant' } },
        { key: 'gen_ai.completion.0.content', value: { stringValue: 'Why did the span cross the road?' } },
        { key: 'gen_ai.usage.prompt_tokens', value: { intValue: '12' } },
        { key: 'gen_ai.usage.completion_tokens', value: { intValue: '30' } },
      ],
      status: {},
    },
  });
  // The account is explain.ts's (tested there); here: it is the chat span's, attribute by attribute.
  t.strictSame(
    account.map((a: { where: string; key: string; fate: string; to?: string }) => [a.where, a.key, a.fate, a.to]),
    [
      ['resource', 'service.name', 'consumed', 'service'],
      ['span', 'gen_ai.system', 'lifted', 'gen_ai_system'],
      ['span', 'gen_ai.request.model', 'lifted', 'gen_ai_request_model'],
      ['span', 'gen_ai.prompt.0.role', 'message', undefined],
      ['span', 'gen_ai.prompt.0.content', 'message', undefined],
      ['span', 'gen_ai.completion.0.role', 'message', undefined],
      ['span', 'gen_ai.completion.0.content', 'message', undefined],
      ['span', 'gen_ai.usage.prompt_tokens', 'message', undefined],
      ['span', 'gen_ai.usage.completion_tokens', 'message', undefined],
    ],
  );

  // Without origin=1 / account=1 the answer stays small; an LLM span always says what it recognised.
  const plain = await get(gw, `/api/points?trace_id=${TRACE}&field.span_id=${CHAT}`);
  t.strictSame(plain.json.points, [{ ...CHAT_POINT, llm: CHAT_LLM }]);
});

t.test('GET /api/points: filters, limit (newest kept), order, time range', async (t) => {
  const gw = await startFixtureGateway(t);
  await sendTrace(gw, 'p1');
  await sendLogs(gw, 'p1');
  const ids = async (query: string) => {
    const { json } = await get(gw, `/api/points?${query}`);
    return { ids: json.points.map((p: { id: number }) => p.id), total: json.total };
  };
  // Stored in export order: chat (1), db (2), root (3), then the two log records (4, 5).
  t.strictSame(await ids(''), { ids: [1, 2, 3, 4, 5], total: 5 });
  t.strictSame(await ids('limit=2'), { ids: [4, 5], total: 5 });
  t.strictSame(await ids('limit=2&order=desc'), { ids: [5, 4], total: 5 });
  t.strictSame(await ids('category=L'), { ids: [4, 5], total: 2 });
  t.strictSame(await ids('category=tracing&tag.status=error'), { ids: [2], total: 1 });
  t.strictSame(await ids('measurement=llm-app&field.message=db%20timeout'), { ids: [5], total: 1 });
  t.strictSame(await ids('field.duration=300000'), { ids: [3], total: 1 }, 'ints compare as their digits');
  t.strictSame(await ids(`trace_id=${TRACE}`), { ids: [1, 2, 3, 4], total: 4 }, 'spans and the log record in the trace');
  // Log records at +5 ms and +6 ms; spans start at +0, +10, +270 ms.
  t.strictSame(await ids('since=1700000000005000000&until=2023-11-14T22:13:20.006Z'), { ids: [4, 5], total: 2 });
  t.strictSame(await ids('session=other'), { ids: [], total: 0 });
  t.strictSame(await ids('session='), { ids: [], total: 0 }, 'the points sent without a session');
});

t.test('bad parameters: 400 with a message naming the parameter', async (t) => {
  const gw = await startFixtureGateway(t);
  const cases: [string, string][] = [
    [
      '/api/points?categry=T',
      'unknown parameter "categry" for GET /api/points: expected session, category, measurement, trace_id, since, until, limit, order, origin, account, tag.<key>, field.<key>',
    ],
    ['/api/points?category=X', 'category: expected tracing, metric or logging (or T, M, L), got "X"'],
    ['/api/points?limit=0', 'limit: expected an integer from 1 to 100000, got "0"'],
    ['/api/points?limit=ten', 'limit: expected an integer from 1 to 100000, got "ten"'],
    ['/api/points?order=up', 'order: expected asc or desc, got "up"'],
    ['/api/points?origin=yes', 'origin: expected 1 or 0 (true or false), got "yes"'],
    ['/api/points?since=yesterday', 'since: expected nanoseconds since the epoch or an ISO-8601 time, got "yesterday"'],
    ['/api/points?until=2023-13', 'until: expected nanoseconds since the epoch or an ISO-8601 time, got "2023-13"'],
    ['/api/points?session=a%20b', 'invalid session "a b": 1–128 characters of A–Z a–z 0–9 . _ : @ / -'],
    ['/api/points?tag.=x', 'tag.: expected tag.<key>=<value>'],
    ['/api/points?measurement=a&measurement=b', 'measurement: given 2 times, expected once'],
    ['/api/wait?count=0', 'count: expected an integer from 1 to 1000000, got "0"'],
    ['/api/wait?timeout_ms=60001', 'timeout_ms: expected an integer from 0 to 60000, got "60001"'],
    ['/api/traces?category=T', 'unknown parameter "category" for GET /api/traces: expected session, service, status, name, limit'],
    ['/api/logs?category=T', 'unknown parameter "category" for GET /api/logs: expected session, measurement, trace_id, since, until, service, status, limit, order, origin, account, tag.<key>, field.<key>'],
    ['/api/sessions?x=1', 'unknown parameter "x" for GET /api/sessions: expected none'],
  ];
  for (const [path, error] of cases) {
    const res = await get(gw, path);
    t.equal(res.status, 400, path);
    t.strictSame(res.json, { error }, path);
  }
  // `until=1700` is a valid ns count: only ISO needs a full date.
  t.equal((await get(gw, '/api/points?until=1700')).status, 200);
});

t.test('concurrent sessions: two SDK exporters in parallel do not see each other’s data', async (t) => {
  const gw = await startFixtureGateway(t);
  const [traceA, traceB] = await Promise.all([
    sendTrace(gw, 'test-a', { ids: '2' }),
    sendTrace(gw, 'test-b', { ids: '3' }),
    sendLogs(gw, 'test-a', rootSpanOf('2')),
    sendLogs(gw, 'test-b', rootSpanOf('3')),
  ]);
  for (const [session, own, other] of [
    ['test-a', traceA, traceB],
    ['test-b', traceB, traceA],
  ]) {
    const { json } = await get(gw, `/api/points?session=${session}`);
    t.equal(json.total, 5, `${session}: its 3 spans and 2 log records`);
    t.strictSame(new Set(json.points.map((p: { session: string }) => p.session)), new Set([session]));
    t.strictSame(
      json.points.filter((p: { fields: { trace_id: string } }) => p.fields.trace_id !== '0').map((p: { fields: { trace_id: string } }) => p.fields.trace_id),
      [own, own, own, own],
    );
    t.notOk(JSON.stringify(json).includes(other), `${session} shows nothing of the other session`);
  }
  const { json } = await get(gw, '/api/sessions');
  const counts = json.sessions.map((s: { session: string; points: number }) => [s.session, s.points]).sort();
  t.strictSame(counts, [
    ['test-a', 5],
    ['test-b', 5],
  ]);
});

t.test('GET /api/wait: answered when a later write brings the points (woken, not polled)', async (t) => {
  const gw = await startFixtureGateway(t);
  const store = storeOf(gw);
  // Resolves once the gateway has registered the wait, so the write below certainly comes after it.
  let registered!: () => void;
  const waiting = new Promise<void>((resolve) => (registered = resolve));
  const waitFor = store.waitFor.bind(store);
  store.waitFor = (...args) => {
    const pending = waitFor(...args);
    registered();
    return pending;
  };
  const answer = get(gw, '/api/wait?session=w1&category=tracing&count=3&timeout_ms=60000');
  await waiting;
  t.equal(store.count({ session: 'w1' }), 0, 'nothing matched when the wait began');
  await sendTrace(gw, 'w1');
  const res = await answer;
  t.equal(res.status, 200);
  t.equal(res.json.total, 3);
  t.strictSame(
    res.json.points.map((p: { fields: { resource: string } }) => p.fields.resource),
    ['openai.chat', 'db query', 'POST /chat'],
  );
  t.strictSame(res.json.stats, { points: 3, bytes: store.stats().bytes, evicted: 0 });
  // Already satisfied: answered at once.
  t.equal((await get(gw, '/api/wait?session=w1&count=1&timeout_ms=0')).status, 200);
});

t.test('GET /api/wait: times out cleanly with 408 and what it saw', async (t) => {
  const gw = await startFixtureGateway(t);
  await sendLogs(gw, 'w2');
  const res = await get(gw, '/api/wait?session=w2&category=L&tag.status=error&count=2&timeout_ms=30');
  t.equal(res.status, 408);
  t.equal(res.json.error, 'timed out after 30 ms waiting for 2 point(s) matching session=w2 category=logging tag.status=error; saw 1');
  t.equal(res.json.seen, 1);
  t.strictSame(
    res.json.points.map((p: { fields: { message: string } }) => p.fields.message),
    ['db timeout'],
  );
  t.strictSame(res.json.stats, storeOf(gw).stats());
});

t.test('reset: one session, then everything (POST /api/reset, DELETE /api/points)', async (t) => {
  const gw = await startFixtureGateway(t);
  await Promise.all([sendTrace(gw, 'r1'), sendTrace(gw, 'r2', { ids: '4' }), sendLogs(gw, undefined)]);
  t.strictSame((await get(gw, '/api/reset?session=r1', 'POST')).json, { removed: 3, stats: { points: 5, bytes: storeOf(gw).stats().bytes, evicted: 0 } });
  t.equal((await get(gw, '/api/points?session=r1')).json.total, 0);
  t.equal((await get(gw, '/api/points?session=r2')).json.total, 3, 'the other session is untouched');
  t.strictSame((await get(gw, '/api/points?session=', 'DELETE')).json.removed, 2, 'the points sent without a session');
  t.strictSame((await get(gw, '/api/reset', 'POST')).json, { removed: 3, stats: { points: 0, bytes: 0, evicted: 0 } });
});

t.test('the store is bounded and every answer says how many points it evicted', async (t) => {
  const gw = await startFixtureGateway(t, 'max_points = 2');
  await sendTrace(gw, 'e1');
  const points = await get(gw, '/api/points');
  t.strictSame(
    points.json.points.map((p: { id: number }) => p.id),
    [2, 3],
    'the oldest span was evicted',
  );
  t.equal(points.json.stats.evicted, 1);
  t.equal(points.json.stats.points, 2);
  t.equal((await get(gw, '/api/traces')).json.stats.evicted, 1);
  t.equal((await get(gw, '/api/wait?count=1')).json.stats.evicted, 1);
  t.equal((await get(gw, '/api/reset', 'POST')).json.stats.evicted, 1, 'a reset does not forget evictions');
});

t.test('GET /api/traces and /api/traces/:trace_id: summaries, and the trace as a tree', async (t) => {
  const gw = await startFixtureGateway(t);
  await sendTrace(gw, 't1');
  await sendTrace(gw, 't2', { ids: '5', offsetMs: 1000 });
  const list = await get(gw, '/api/traces?session=t1');
  t.strictSame(list.json.traces, [
    {
      trace_id: TRACE,
      root: { service: 'llm-app', resource: 'POST /chat', name: 'POST /chat' },
      start: '2023-11-14T22:13:20.000Z',
      duration_us: 300000,
      spans: 3,
      errors: 1,
      services: ['llm-app', 'postgresql'],
      session: 't1',
      llm_calls: 1,
    },
  ]);
  const newestFirst = (await get(gw, '/api/traces')).json.traces.map((s: { trace_id: string }) => s.trace_id);
  t.strictSame(newestFirst, [rootSpanOf('5').traceId, TRACE]);
  t.strictSame((await get(gw, '/api/traces?limit=1&status=error&service=postgresql&name=POST%20%2Fchat')).json.traces.length, 1);
  t.strictSame((await get(gw, '/api/traces?name=openai.chat')).json.traces, [], 'name is the root span’s');

  const tree = await get(gw, `/api/traces/${TRACE}?session=t1&origin=1`);
  type Node = { fields: { resource: string; span_id: string }; origin?: object; children: Node[] };
  const shape = (n: Node): unknown => [n.fields.resource, n.fields.span_id, n.children.map(shape)];
  t.equal(tree.status, 200);
  t.equal(tree.json.trace_id, TRACE);
  t.strictSame(tree.json.spans.map(shape), [
    [
      'POST /chat',
      ROOT,
      [
        ['openai.chat', CHAT, []],
        ['db query', DB, []],
      ],
    ],
  ]);
  t.equal(tree.json.spans[0].origin.signal, 'traces', 'the nodes are stored points, rendered as asked');
  t.strictSame(tree.json.spans[0].children[0].llm, CHAT_LLM);

  const missing = await get(gw, `/api/traces/${TRACE}?session=t2`);
  t.equal(missing.status, 404);
  t.strictSame(missing.json, { error: `no span of trace ${TRACE} is stored in session t2` });
});

t.test('GET /api/llm: the LLM calls of a session with token totals', async (t) => {
  const gw = await startFixtureGateway(t);
  await sendTrace(gw, 'l1');
  await sendTrace(gw, 'l1', { ids: '6', offsetMs: 500 });
  await sendTrace(gw, 'l2', { ids: '7' });
  const res = await get(gw, '/api/llm?session=l1');
  const call = (traceId: string, spanId: string, start: string) => ({ trace_id: traceId, span_id: spanId, service: 'llm-app', name: 'openai.chat', start, ...CHAT_LLM });
  t.strictSame(res.json.calls, [
    call(TRACE, CHAT, '2023-11-14T22:13:20.010Z'),
    call(rootSpanOf('6').traceId, '6b00000000000002', '2023-11-14T22:13:20.510Z'),
  ]);
  t.strictSame(res.json.totals, { inputTokens: 24, outputTokens: 60, totalTokens: 84, calls: 2 });
  t.strictSame((await get(gw, `/api/llm?trace_id=${rootSpanOf('7').traceId}`)).json.totals, { inputTokens: 12, outputTokens: 30, totalTokens: 42, calls: 1 });
});

t.test('GET /api/metrics/series: a histogram with its buckets, and a sum', async (t) => {
  const gw = await startFixtureGateway(t);
  await sendMetrics(gw, 'm1');
  const { json } = await get(gw, '/api/metrics/series?session=m1');
  const tags = { host: 'ci-host', model: 'gpt-4o-mini', remote_ip: '127.0.0.1', scope_name: 'app', service_name: 'llm-app' };
  // The data points carry the SDK's collection time: the same for all, compared apart.
  const time = json.series[0].latest.time;
  t.match(time, /^\d{19}$/);
  t.strictSame(json.series, [
    {
      name: 'llm.latency',
      tags: { ...tags, unit: 's' },
      unit: 's',
      latest: { time, value: 4, fields: { 'llm.latency_count': 4, 'llm.latency_max': 2, 'llm.latency_min': 0.05, 'llm.latency_sum': 3.05 } },
      points: 1,
      type: 'histogram',
      buckets: [
        { le: '0.1', count: 1 },
        { le: '0.5', count: 2 },
        { le: '1', count: 3 },
        { le: '+Inf', count: 4 },
      ],
    },
    {
      name: 'llm.tokens',
      tags: { ...tags, unit: '{token}' },
      unit: '{token}',
      latest: { time, value: 42, fields: { 'llm.tokens': 42 } },
      points: 1,
      type: 'sum',
    },
  ]);
  t.strictSame(
    (await get(gw, '/api/metrics/series?name=llm.tokens')).json.series.map((s: { name: string }) => s.name),
    ['llm.tokens'],
  );
  const origin = (await get(gw, '/api/points?category=M&tag.le=0.5&origin=1')).json.points[0].origin;
  t.strictSame(origin.metric, { name: 'llm.latency', unit: 's', histogram: { aggregationTemporality: 2 } }, 'the metric without its data points');
  t.strictSame(
    [origin.dataPoint.count, origin.dataPoint.bucketCounts, origin.dataPoint.explicitBounds],
    ['4', ['1', '1', '1', '1'], [0.1, 0.5, 1]],
    'the one data point this bucket came from',
  );
});

t.test('GET /api/logs: log points with their viewer columns, filtered by status and service', async (t) => {
  const gw = await startFixtureGateway(t);
  await sendLogs(gw, 'g1');
  const { json } = await get(gw, '/api/logs?session=g1&order=desc');
  t.equal(json.total, 2);
  t.strictSame(
    json.logs.map((l: Record<string, unknown>) => [l.id, l.status, l.service, l.message, l.trace_id, l.span_id]),
    [
      [2, 'error', 'llm-app', 'db timeout', '0', '0'],
      [1, 'info', 'llm-app', 'chat request', TRACE, ROOT],
    ],
  );
  t.equal(json.logs[1].line, `llm-app,dk_fingerprint=ci-host_1.84.1,host=ci-host,remote_ip=127.0.0.1,service=llm-app,status=info message="chat request",schema_url="",scope_name="app",service_name="llm-app",span_id="${ROOT}",trace_id="${TRACE}" 1700000000005000000`);
  t.strictSame((await get(gw, '/api/logs?status=error')).json.logs.map((l: { message: string }) => l.message), ['db timeout']);
  t.strictSame((await get(gw, '/api/logs?service=other')).json.logs, []);
  t.strictSame((await get(gw, `/api/logs?trace_id=${TRACE}`)).json.logs.map((l: { id: number }) => l.id), [1], 'the logs of a trace');
});

t.test('GET /api/sessions: points per session, "" for the points sent without one', async (t) => {
  const gw = await startFixtureGateway(t);
  await sendLogs(gw, 's1');
  await sendLogs(gw, undefined);
  await sendTrace(gw, 's1');
  const { json } = await get(gw, '/api/sessions');
  const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
  t.strictSame(
    json.sessions.map((s: { session: string; points: number }) => [s.session, s.points]),
    [
      ['s1', 5],
      ['', 2],
    ],
  );
  for (const s of json.sessions) {
    t.match(s.first, iso);
    t.ok(s.first <= s.last);
  }
});

/** Reads a server-sent event stream; `until` resolves once the text received so far satisfies a condition. */
function openEvents(url: string) {
  let text = '';
  let check = () => {};
  let res: http.IncomingMessage | undefined;
  const req = http.get(url, { agent: false }, (r) => {
    res = r;
    r.setEncoding('utf8');
    r.on('data', (chunk: string) => {
      text += chunk;
      check();
    });
  });
  return {
    get headers() {
      return res?.headers;
    },
    until(done: (text: string) => boolean): Promise<string> {
      return new Promise((resolve) => {
        check = () => {
          if (done(text)) resolve(text);
        };
        check();
      });
    },
    close: () => req.destroy(),
  };
}

t.test('GET /api/events: a points event after a write, a reset event after a reset', async (t) => {
  const gw = await startFixtureGateway(t);
  const all = openEvents(`${gw.url}/api/events`);
  const onlyOther = openEvents(`${gw.url}/api/events?session=other`);
  t.teardown(() => {
    all.close();
    onlyOther.close();
  });
  await all.until((text) => text === ': subscribed\n\n');
  await onlyOther.until((text) => text === ': subscribed\n\n');
  t.equal(all.headers?.['content-type'], 'text/event-stream; charset=utf-8');
  await sendLogs(gw, 'sse');
  const afterWrite = await all.until((text) => text.includes('\n\n', ': subscribed\n\n'.length));
  t.equal(afterWrite, ': subscribed\n\nevent: points\ndata: {"count":2,"categories":["logging"],"sessions":["sse"]}\n\n');
  await get(gw, '/api/reset?session=sse', 'POST');
  const afterReset = await all.until((text) => text.endsWith('event: reset\ndata: {"removed":2}\n\n'));
  t.ok(afterReset.startsWith(afterWrite), 'the writes’ event came first; then the reset');
  // The stream filtered to another session was told of the reset only.
  t.equal(await onlyOther.until((text) => text.includes('event: reset')), ': subscribed\n\nevent: reset\ndata: {"removed":2}\n\n');
});

t.test('the gateway closes with an event stream and a wait open', async (t) => {
  const gw = await startFixtureGateway(t);
  const events = openEvents(`${gw.url}/api/events`);
  t.teardown(events.close);
  await events.until((text) => text.length > 0);
  const wait = get(gw, '/api/wait?count=1&timeout_ms=60000');
  // Let the wait register before closing (it is answered 503 when the close ends it).
  await new Promise<void>((resolve) => {
    const store = storeOf(gw);
    const waitFor = store.waitFor.bind(store);
    store.waitFor = (...args) => {
      const pending = waitFor(...args);
      resolve();
      return pending;
    };
  });
  await gw.close();
  const res = await wait;
  t.equal(res.status, 503);
  t.strictSame(res.json, { error: 'the gateway is shutting down' });
});

t.test('unknown /api routes, and a gateway without a memory sink, answer JSON 404s', async (t) => {
  const gw = await startFixtureGateway(t);
  t.strictSame((await get(gw, '/api/nothing-here')).json, { error: 'no fixture API route GET /api/nothing-here: see README, "Fixture API"' });
  t.equal((await get(gw, '/api/nothing-here')).status, 404);

  const bare = await startGateway({ config: loadConfig({ text: `${fixtureToml()}\n[[sinks.sink]]\ntarget = "file"\npath = "/dev/null"\n`, env: {} }), listen: { host: '127.0.0.1', port: 0 } });
  t.teardown(() => bare.close());
  const res = await get(bare, '/api/points');
  t.equal(res.status, 404);
  t.strictSame(res.json, { error: 'the fixture API needs a memory sink: add [[sinks.sink]] with target = "memory" to the config' });
});

t.test('[gateway] auth_token applies to /api as to the OTLP routes', async (t) => {
  const gw = await startFixtureGateway(t);
  t.equal((await get(gw, '/api/points')).status, 200, 'no token configured: open');
  const secured = await startGateway({
    config: loadConfig({ text: fixtureToml('', 'auth_token = "s3cret"') + '\n[[sinks.sink]]\ntarget = "memory"\n', env: {} }),
    listen: { host: '127.0.0.1', port: 0 },
  });
  t.teardown(() => secured.close());
  const refused = await get(secured, '/api/points');
  t.equal(refused.status, 401);
  t.strictSame(refused.json, { error: 'missing token: send "Authorization: Bearer <token>" or ?token=<token> ([gateway] auth_token is set)' });
  t.equal((await get(secured, '/api/points?token=wrong')).status, 401);
  t.equal((await get(secured, '/api/points?token=s3cret')).status, 200);
});
