/**
 * Spans → DataKit `opentelemetry` points, golden line protocol per rule of datakit-opentelemetry.md §4–5.
 * Fixtures are hand-built OTLP models; the HTTP tests cover the same path from real requests.
 */
import t from 'tap';
import type { OtelInputConfig } from '../src/config/types.js';
import type { ConvertContext } from '../src/datakit/context.js';
import { encodePoints } from '../src/datakit/line-protocol.js';
import { convertTraces } from '../src/datakit/trace.js';
import { samplingNumber, traceFiltersFor } from '../src/datakit/trace-filters.js';
import type { TracesRequest } from '../src/otlp/model.js';
import { convertContext, input } from './helpers/config-build.js';
import { T0, TRACE_ID, attrs, event, hex, iv, resourceSpans, span, sv, traces } from './helpers/model-build.js';

const lp = (req: TracesRequest, inp: OtelInputConfig = input(), extra: Partial<ConvertContext> = {}): string =>
  encodePoints(convertTraces(req, convertContext(inp, extra)));

/** A string field value as line protocol writes it (§9.2): quoted, with `"` and `\` escaped. */
const q = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

const BASE_TAGS = 'dk_fingerprint=gw-01_1.84.1,host=gw-01,remote_ip=10.0.0.7';
const BASE_FIELDS_ROOT = `parent_id="0",resource="GET /cart",span_id="00f067aa0ba902b7",start=1700000000000000i,trace_id="${TRACE_ID}"`;

t.test('the reference example (§9.4) comes out byte for byte', async (t) => {
  const req = traces(resourceSpans(attrs({ 'service.name': 'shop' }), [span({ attributes: attrs({ 'http.method': 'GET' }) })]));
  t.equal(
    lp(req, input({ delMessage: true })),
    'opentelemetry,dk_fingerprint=gw-01_1.84.1,host=gw-01,remote_ip=10.0.0.7,service=shop,source=opentelemetry,source_type=custom,' +
      'span_kind=server,span_type=entry,status=ok duration=1520i,http_method="GET",parent_id="0",resource="GET /cart",' +
      'span_id="00f067aa0ba902b7",start=1700000000000000i,trace_id="4bf92f3577b34da6a3ce929d0e0e4736" 1700000000000000000',
  );
});

t.test('message: non-selected attributes in list order, synthetic trace_id, clean_message (§4.8, §5.14)', async (t) => {
  const req = traces(
    resourceSpans(
      attrs({ 'service.name': 'shop', 'telemetry.sdk.language': 'nodejs' }),
      [span({ attributes: attrs({ 'http.method': 'GET', 'user.id': 'u1', retries: 3n }), events: [event('cache.miss', attrs({ key: 'k1' }))] })],
      { name: 'io', version: '1.0', attributes: attrs({ 'scope.attr': 'x' }), droppedAttributesCount: 0 },
    ),
  );
  const message = JSON.stringify({
    attributes: [
      { key: 'telemetry.sdk.language', value: { stringValue: 'nodejs' } },
      { key: 'scope.attr', value: { stringValue: 'x' } },
      { key: 'user.id', value: { stringValue: 'u1' } },
      { key: 'retries', value: { intValue: '3' } },
      { key: 'trace_id', value: { stringValue: TRACE_ID } },
      { key: 'key', value: { stringValue: 'k1' } },
    ],
    events: [{ timeUnixNano: '1700000000000001000', name: 'cache.miss', attributes: [{ key: 'key', value: { stringValue: 'k1' } }] }],
  });
  t.equal(
    lp(req),
    `opentelemetry,${BASE_TAGS},service=shop,source=opentelemetry,source_type=custom,span_kind=server,span_type=entry,status=ok ` +
      `duration=1520i,http_method="GET",message=${q(message)},${BASE_FIELDS_ROOT} 1700000000000000000`,
  );
});

t.test('message with clean_message = false keeps every span field, ids base64, enums as names', async (t) => {
  const req = traces(
    resourceSpans(attrs({ 'service.name': 'shop' }), [
      span({ kind: 3, status: { message: 'boom', code: 2 }, traceState: 'a=b', attributes: attrs({ 'db.system': 'mysql' }) }),
    ]),
  );
  const [point] = convertTraces(req, convertContext(input({ cleanMessage: false })));
  const message = point.kvs.find((kv) => kv.key === 'message');
  t.same(JSON.parse((message as { value: { value: string } }).value.value), {
    traceId: Buffer.from(TRACE_ID, 'hex').toString('base64'),
    spanId: Buffer.from('00f067aa0ba902b7', 'hex').toString('base64'),
    traceState: 'a=b',
    name: 'GET /cart',
    kind: 'SPAN_KIND_CLIENT',
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000000001520000',
    attributes: [
      { key: 'service.name', value: { stringValue: 'shop' } },
      { key: 'trace_id', value: { stringValue: TRACE_ID } },
    ],
    status: { message: 'boom', code: 'STATUS_CODE_ERROR' },
  });
  // With clean_message off the split attribute is not consumed: it is also selected (db_system) and enables db_host.
  t.match(encodePoints([point]), /^opentelemetry,base_service=shop,dk_fingerprint=gw-01_1\.84\.1,host=gw-01,remote_ip=10\.0\.0\.7,service=mysql,source=opentelemetry,source_type=custom,span_kind=client,span_type=entry,status=error db_system="mysql",duration=1520i,message=/);
});

t.test('status tag: absent → info, unset/ok → ok, error → error, unknown code → info (§5.4, Q39)', async (t) => {
  const statuses = [undefined, { message: '', code: 0 }, { message: '', code: 1 }, { message: 'x', code: 2 }, { message: '', code: 7 }];
  const got = statuses.map((status) => {
    const [p] = convertTraces(traces(resourceSpans([], [span({ status })])), convertContext(input({ delMessage: true })));
    return p.kvs.find((kv) => kv.key === 'status')?.value;
  });
  t.same(got, ['info', 'ok', 'ok', 'error', 'info']);
});

t.test('span_kind: 0–5 named, anything else no tag (§5.5)', async (t) => {
  const kinds = [0, 1, 2, 3, 4, 5, 6].map((kind) => {
    const [p] = convertTraces(traces(resourceSpans([], [span({ kind })])), convertContext(input({ delMessage: true })));
    return p.kvs.find((kv) => kv.key === 'span_kind')?.value ?? null;
  });
  t.same(kinds, ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer', null]);
});

t.test('span_type over the whole request: entry, local, exit; parent outside the request → entry (§5.6)', async (t) => {
  const root = span({ spanId: hex('0000000000000001'), name: 'root' });
  const mid = span({ spanId: hex('0000000000000002'), parentSpanId: hex('0000000000000001'), name: 'mid' });
  const leaf = span({ spanId: hex('0000000000000003'), parentSpanId: hex('0000000000000002'), name: 'leaf' });
  const orphan = span({ spanId: hex('0000000000000004'), parentSpanId: hex('00000000000000ff'), name: 'orphan' });
  // The child sits in another ResourceSpans: span_type still sees it (it is computed over the request).
  const req = traces(resourceSpans([], [root, orphan]), resourceSpans([], [mid, leaf]));
  const types = convertTraces(req, convertContext(input({ delMessage: true }))).map((p) => [
    (p.kvs.find((kv) => kv.key === 'resource')?.value as { value: string }).value,
    p.kvs.find((kv) => kv.key === 'span_type')?.value,
  ]);
  t.same(types, [
    ['root', 'entry'],
    ['orphan', 'entry'],
    ['mid', 'local'],
    ['leaf', 'exit'],
  ]);
});

t.test('service: missing → unknown_service; empty or non-string → unknown_service, or no tag under strict_datakit (Q38)', async (t) => {
  const service = (resource: ReturnType<typeof attrs> | undefined, strict = false) =>
    convertTraces(traces(resourceSpans(resource, [span()])), convertContext(input({ delMessage: true, strictDatakit: strict })))[0].kvs.find(
      (kv) => kv.key === 'service',
    )?.value;
  t.equal(service(undefined), 'unknown_service', 'a ResourceSpans without resource is an empty resource (Q11 not reproduced)');
  t.equal(service([]), 'unknown_service');
  t.equal(service(attrs({ 'service.name': '' })), 'unknown_service');
  t.equal(service(attrs({ 'service.name': iv(3) })), 'unknown_service');
  t.equal(service(attrs({ 'service.name': '' }), true), '');
  const strictLine = lp(traces(resourceSpans(attrs({ 'service.name': '' }), [span()])), input({ delMessage: true, strictDatakit: true }));
  t.notMatch(strictLine, /service=/, 'an empty tag is left out of line protocol');
});

t.test('service split: db/rpc/messaging system replaces service, base_service keeps it, clean_message consumes it (§5.7)', async (t) => {
  const req = traces(
    resourceSpans(attrs({ 'service.name': 'shop' }), [
      span({ attributes: attrs({ 'rpc.system': '', 'db.system': 'mysql', 'net.peer.name': 'db1', 'rpc.service': 'X' }) }),
    ]),
  );
  t.equal(
    lp(req, input({ delMessage: true })),
    `opentelemetry,base_service=shop,${BASE_TAGS},service=mysql,source=opentelemetry,source_type=custom,span_kind=server,span_type=entry,status=ok ` +
      `duration=1520i,parent_id="0",resource="GET /cart",rpc_service="X",rpc_system="",span_id="00f067aa0ba902b7",start=1700000000000000i,` +
      `trace_id="${TRACE_ID}" 1700000000000000000`,
    'an empty rpc.system does not split (but is selected); db.system is consumed: no db_system field, no db_host',
  );
  const off = lp(req, input({ delMessage: true, splitServiceName: false }));
  t.match(off, /,service=shop,/);
  t.match(off, /db_host=db1/, 'db.system still present → db_host from net.peer.name (§5.11)');
  t.match(off, /db_system="mysql"/);
});

t.test('error fields from the first exception event; clean_message leaves an empty placeholder (§5.9)', async (t) => {
  const exc = event('exception', attrs({ 'exception.type': 'TypeError', 'exception.message': 'bad "x"', 'exception.stacktrace': iv(1), 'exception.escaped': true }));
  const later = event('exception', attrs({ 'exception.type': 'Second' }));
  const req = traces(resourceSpans([], [span({ events: [event('start'), exc, later] })]));
  const [p] = convertTraces(req, convertContext(input()));
  const get = (k: string) => p.kvs.find((kv) => kv.key === k)?.value;
  t.same(get('error_type'), { type: 'string', value: 'TypeError' });
  t.same(get('error_message'), { type: 'string', value: 'bad "x"' });
  t.same(get('error_stack'), { type: 'string', value: '' }, 'a non-string value gives ""');
  t.same(get('exception_type'), { type: 'string', value: 'Second' }, 'the second exception event is selected as usual');
  const message = JSON.parse((get('message') as { value: string }).value);
  t.same(message.events, [
    { timeUnixNano: '1700000000000001000', name: 'start' },
    {},
    { timeUnixNano: '1700000000000001000', name: 'exception', attributes: [{ key: 'exception.type', value: { stringValue: 'Second' } }] },
  ]);

  const [kept] = convertTraces(req, convertContext(input({ cleanMessage: false })));
  const keptKeys = kept.kvs.map((kv) => kv.key);
  t.ok(keptKeys.includes('exception_message') && keptKeys.includes('error_message'), 'clean_message off: the event is also selected');
});

t.test('customer_tags: OpenLLMetry entries become fields, reg: is unanchored, plain entries override built-ins (§4)', async (t) => {
  const openllmetry = ['llm.request.type', 'gen_ai.request.model', 'gen_ai.request.temperature', 'llm.is_streaming', 'gen_ai.prompt.1.content'];
  const req = traces(
    resourceSpans(attrs({ 'service.name': 'bot' }), [
      span({
        kind: 3,
        name: 'openai.chat',
        attributes: attrs({
          'llm.request.type': 'chat',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.request.temperature': 0.7,
          'llm.is_streaming': false,
          'gen_ai.prompt.0.content': 'not listed',
          'http.request.method': 'POST',
          'my_key.x': 1n,
          'llm.usage.total_tokens': 42n,
        }),
      }),
    ]),
  );
  const inp = input({ delMessage: true, customerTags: [...openllmetry, 'http.request.method', 'reg:key', 'reg:^llm\\.usage\\.'] });
  t.equal(
    lp(req, inp),
    `opentelemetry,${BASE_TAGS},service=bot,source=opentelemetry,source_type=custom,span_kind=client,span_type=entry,status=ok ` +
      'duration=1520i,gen_ai_request_model="gpt-4o",gen_ai_request_temperature=0.7,http_request_method="POST",llm_is_streaming=false,' +
      'llm_request_type="chat",llm_usage_total_tokens=42i,my_key_x=1i,parent_id="0",resource="openai.chat",span_id="00f067aa0ba902b7",' +
      `start=1700000000000000i,trace_id="${TRACE_ID}" 1700000000000000000`,
  );
  const all = lp(traces(resourceSpans(attrs({ 'service.name': 'bot', 'deployment.environment': 'prod' }), [span()])), input({ delMessage: true, customerTagsAll: true }));
  t.match(all, /deployment_environment="prod"/, 'customer_tags_all lifts every attribute');
  t.equal(all.split('trace_id=').length, 2, 'the synthetic trace_id attribute and the trace_id field are one key');
  t.match(all, /,trace_id="4bf92f3577b34da6a3ce929d0e0e4736" /, 'with the same value');
  t.notMatch(all, /service_name/, 'service.name is consumed by clean_message before selection');
});

t.test('selected value types (§4.7): bytes, arrays, kvlists, empty values, int status code as tag', async (t) => {
  const req = traces(
    resourceSpans([], [
      span({
        attributes: [
          { key: 'http.status_code', value: iv(200) },
          { key: 'http.response.status_code', value: iv(404) },
          { key: 'version', value: { kind: 'array', values: [sv('a'), iv(1)] } },
          { key: 'env', value: { kind: 'kvlist', values: [{ key: 'k', value: sv('v') }] } },
          { key: 'project', value: { kind: 'bytes', value: Buffer.from('raw') } },
          { key: 'host', value: { kind: 'empty' } },
          { key: 'pod_name', value: undefined },
        ],
      }),
    ]),
  );
  const [p] = convertTraces(req, convertContext(input()));
  const pick = Object.fromEntries(p.kvs.filter((kv) => ['http_status_code', 'version', 'env', 'project', 'host', 'pod_name'].includes(kv.key)).map((kv) => [kv.key, kv]));
  t.same(pick.http_status_code, { key: 'http_status_code', isTag: true, value: '200' }, 'an integer status code is only ever added');
  t.same(pick.version.value, { type: 'string', value: '{"values":[{"stringValue":"a"},{"intValue":"1"}]}' });
  t.same(pick.env.value, { type: 'string', value: '{"values":[{"key":"k","value":{"stringValue":"v"}}]}' });
  t.same(pick.project.value, { type: 'string', value: 'raw' });
  t.same(pick.host, { key: 'host', isTag: true, value: 'gw-01' }, 'an empty selected value emits nothing; the host tag is added');
  t.equal(pick.pod_name, undefined, 'a KeyValue without value is skipped (Q13 not reproduced)');
  const message = JSON.parse((p.kvs.find((kv) => kv.key === 'message')!.value as { value: string }).value);
  t.same(message.attributes, [{ key: 'trace_id', value: { stringValue: TRACE_ID } }], 'selected attributes never reach message');
});

t.test('duplicate keys across lists: the later list wins (§4.10); a string status code replaces an int one in-list', async (t) => {
  const req = traces(
    resourceSpans(attrs({ env: 'resource-env' }), [span({ attributes: attrs({ env: 'span-env', 'http.status_code': iv(500), 'http.response.status_code': '503' }) })]),
  );
  const line = lp(req, input({ delMessage: true }));
  t.match(line, /,env="span-env",/);
  t.notMatch(line, /resource-env/);
  t.match(line, /,http_status_code="503",/);
  t.notMatch(line, /http_status_code=500/);
});

t.test('[tags] override base tags and drive source_type; selected attributes beat [tags] (§5.12, §5.8)', async (t) => {
  const req = traces(resourceSpans(attrs({ 'service.name': 'shop' }), [span({ attributes: attrs({ project: 'from-span' }) })]));
  const line = lp(req, input({ delMessage: true, tags: { service: 'renamed', http_method: 'GET', project: 'from-tags', team: 'a b' } }));
  t.equal(
    line,
    `opentelemetry,dk_fingerprint=gw-01_1.84.1,host=gw-01,http_method=GET,remote_ip=10.0.0.7,service=renamed,source=opentelemetry,source_type=web,span_kind=server,span_type=entry,status=ok,team=a\\ b ` +
      `duration=1520i,${BASE_FIELDS_ROOT.replace('resource=', 'project="from-span",resource=')} 1700000000000000000`,
  );
  const explicit = lp(req, input({ delMessage: true, tags: { source_type: 'mine' } }));
  t.match(explicit, /,source_type=mine,/, 'an explicit [tags] source_type wins (the computed one is only added)');
});

t.test('runtime_id from the resource, else from the first span of the ResourceSpans (§5.10)', async (t) => {
  const fromResource = convertTraces(traces(resourceSpans(attrs({ runtime_id: 'r-1' }), [span()])), convertContext(input({ delMessage: true })));
  t.same(
    fromResource[0].kvs.filter((kv) => kv.key.startsWith('runtime')).map((kv) => [kv.key, kv.value]),
    [
      ['runtime-id', { type: 'string', value: 'r-1' }],
      ['runtime_id', { type: 'string', value: 'r-1' }],
    ],
  );
  const first = span({ attributes: attrs({ runtime_id: 'r-2' }) });
  const second = span({ spanId: hex('0000000000000009'), attributes: attrs({ runtime_id: 'other' }) });
  const points = convertTraces(traces(resourceSpans([], [first, second])), convertContext(input()));
  for (const p of points) t.same(p.kvs.find((kv) => kv.key === 'runtime_id')?.value, { type: 'string', value: 'r-2' });
  const messages = points.map((p) => JSON.parse((p.kvs.find((kv) => kv.key === 'message')!.value as { value: string }).value).attributes);
  t.same(messages[0], [{ key: 'trace_id', value: { stringValue: TRACE_ID } }], "the first span's copy is consumed");
  t.same(messages[1][0], { key: 'runtime_id', value: { stringValue: 'other' } }, "other spans' copies stay in message");
});

t.test('ids: compatible_ddtrace decimal, short ids "0", empty parent "0" (§5.3, Q45)', async (t) => {
  const s = span({ traceId: hex('00000000000000000000000000000100'), spanId: hex('0000000000000101'), parentSpanId: hex('0102') });
  const [p] = convertTraces(traces(resourceSpans([], [s])), convertContext(input({ delMessage: true, compatibleDdtrace: true })));
  const ids = Object.fromEntries(p.kvs.filter((kv) => ['trace_id', 'span_id', 'parent_id'].includes(kv.key)).map((kv) => [kv.key, (kv.value as { value: string }).value]));
  t.same(ids, { trace_id: '256', span_id: '257', parent_id: '0' });
});

t.test('times: µs start, negative duration when end < start (Q40), point time in ns', async (t) => {
  const [p] = convertTraces(traces(resourceSpans([], [span({ endTimeUnixNano: T0 - 2_500n })])), convertContext(input({ delMessage: true })));
  t.same(p.kvs.find((kv) => kv.key === 'duration')?.value, { type: 'int', value: -2n });
  t.equal(p.time, T0);
});

t.test('global host tags are added, never overriding; a selected host attribute stays a field (§5.2)', async (t) => {
  const req = traces(resourceSpans([], [span({ attributes: attrs({ host: 'from-attr' }) })]));
  const line = lp(req, input({ delMessage: true }), { globalHostTags: { cluster: 'c1', service: 'never' } });
  t.match(line, /^opentelemetry,cluster=c1,dk_fingerprint=gw-01_1\.84\.1,remote_ip=10\.0\.0\.7,service=unknown_service,/);
  t.match(line, / duration=1520i,host="from-attr",/);
});

t.test('trace filters: close_resource drops a group, errors always pass, the sampler keeps by trace id (§5.15)', async (t) => {
  const inp = input({ delMessage: true, closeResource: { shop: ['^GET /health'] } });
  const filters = traceFiltersFor(inp);
  const ctx = convertContext(inp);
  const group = (name: string, service = 'shop', status = { message: '', code: 0 }) =>
    resourceSpans(attrs({ 'service.name': service }), [span({ name, status })]);
  const kept = convertTraces(traces(group('GET /health'), group('GET /cart'), group('GET /health', 'other')), ctx, filters);
  t.same(
    kept.map((p) => (p.kvs.find((kv) => kv.key === 'resource')!.value as { value: string }).value),
    ['GET /cart', 'GET /health'],
  );

  t.equal(samplingNumber('12345'), 12345n);
  t.equal(samplingNumber('00f067aa0ba902b7'), 0x00f067aa0ba902b7n);
  t.equal(samplingNumber(TRACE_ID), BigInt(`0x${Buffer.from(TRACE_ID.slice(-8)).toString('hex')}`));
  const sampled = input({ delMessage: true, sampler: { samplingRate: 0.5 } });
  const sampler = traceFiltersFor(sampled)!;
  const decimal = (id: string) => resourceSpans([], [span({ traceId: hex(id.padStart(32, '0')) })]);
  // compatible_ddtrace makes trace ids decimal: 4999 mod 10000 ≤ 5000 → kept; 5001 → dropped.
  const dd = { ...sampled, compatibleDdtrace: true };
  const points = convertTraces(traces(decimal((4999).toString(16)), decimal((5001).toString(16))), convertContext(dd), sampler);
  t.equal(points.length, 1);
  t.same(points[0].kvs.find((kv) => kv.key === 'dk_sampling_rate')?.value, { type: 'float', value: 0.5 });
  const errors = convertTraces(traces(resourceSpans([], [span({ traceId: hex((5001).toString(16).padStart(32, '0')), status: { message: '', code: 2 } })])), convertContext(dd), sampler);
  t.equal(errors.length, 1, 'a group with an error span skips the sampler');
});

t.test('message JSON escapes every string as JSON.stringify does: quotes, backslashes, controls, surrogates (§5.14)', async (t) => {
  const tricky = ['plain', 'say "hi"', 'back\\slash', 'line\nbreak\ttab', '\u0001\u001f', 'lone \ud800 high', 'lone \udc00 low', 'emoji 😀', 'ls\u2028ps\u2029', '<&>'];
  for (const [i, value] of tricky.entries()) {
    const [point] = convertTraces(traces(resourceSpans(attrs({ 'service.name': 'shop' }), [span({ attributes: attrs({ k: value }) })])), convertContext(input()));
    const message = point!.kvs.find((kv) => kv.key === 'message');
    const text = message && !message.isTag && message.value.type === 'string' ? message.value.value : undefined;
    t.equal(
      text,
      `{"attributes":[{"key":"k","value":{"stringValue":${JSON.stringify(value)}}},{"key":"trace_id","value":{"stringValue":"${TRACE_ID}"}}]}`,
      `case ${i}`, // not the value itself: U+2028 in a test name would break TAP's lines
    );
  }
});
