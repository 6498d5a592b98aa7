/**
 * Log records → DataKit logging points (datakit-opentelemetry.md §7), as golden line protocol from hand-built models.
 */
import t from 'tap';
import type { OtelInputConfig } from '../src/config/types.js';
import type { ConvertContext } from '../src/datakit/context.js';
import { encodePoints } from '../src/datakit/line-protocol.js';
import { convertLogs } from '../src/datakit/logs.js';
import { getKV } from '../src/datakit/point.js';
import type { AnyValue, LogsRequest } from '../src/otlp/model.js';
import { convertContext, input } from './helpers/config-build.js';
import { T0, TRACE_ID, attrs, bv, dv, hex, iv, logRecord, logsReq, resourceLogs, scope, sv } from './helpers/model-build.js';

/** With a global host tag, which logs points never get from the converter (io's job, §11). */
const ctxFor = (inp: OtelInputConfig): ConvertContext => convertContext(inp, { globalHostTags: { region: 'eu' } });
const lp = (req: LogsRequest, inp: OtelInputConfig = input()): string => encodePoints(convertLogs(req, ctxFor(inp)));

const TS = '1700000000000000000';
const SPAN_ID = '00f067aa0ba902b7';
/** The keys every record gets when nothing overrides them. */
const TAGS = 'dk_fingerprint=gw-01_1.84.1,remote_ip=10.0.0.7';
const NO_IDS = 'span_id="0",trace_id="0"';

/** A record with only a body, in an otherwise empty request: its line protocol. */
const bodyLine = (body: AnyValue | undefined, inp?: OtelInputConfig): string =>
  lp(logsReq(resourceLogs([], [logRecord({ body })])), inp);

t.test('a full record: attributes as string fields, schema_url, scope_name, ids, tags (§7.3)', async (t) => {
  const req = logsReq(
    resourceLogs(
      attrs({ 'service.name': 'shop', 'host.name': 'node-1', 'telemetry.sdk.name': 'opentelemetry', 'process.pid': 42n }),
      [
        logRecord({
          attributes: attrs({ 'http.status_code': 200n, ratio: 0.5, ok: true, 'user.id': 'u "1"' }),
          traceId: hex(TRACE_ID),
          spanId: hex(SPAN_ID),
          severityNumber: 13,
          severityText: 'WARN',
        }),
      ],
      scope('app.logger', attrs({ 'scope.attr': 'x' })),
      'https://opentelemetry.io/schemas/1.26.0',
    ),
  );
  t.equal(
    lp(req),
    'shop,dk_fingerprint=gw-01_1.84.1,host=node-1,remote_ip=10.0.0.7,service=shop,status=warn host_name="node-1",http_status_code="200",' +
      'message="hello",ok="true",' +
      `process_pid="42",ratio="0.500",schema_url="https://opentelemetry.io/schemas/1.26.0",scope_attr="x",scope_name="app.logger",` +
      `service_name="shop",span_id="${SPAN_ID}",trace_id="${TRACE_ID}",user_id="u \\"1\\"" ${TS}`,
  );
});

t.test('measurement and service (§7.1)', async (t) => {
  const line = (resource: ReturnType<typeof attrs> | undefined): string => lp(logsReq(resourceLogs(resource, [logRecord()])));
  t.equal(
    line(attrs({ 'log.source': 'nginx', 'service.name': 'web' })),
    `nginx,${TAGS},service=web,status=info log_source="nginx",message="hello",schema_url="",scope_name="",service_name="web",${NO_IDS} ${TS}`,
  );
  t.equal(line(undefined), `otel_logs,${TAGS},service=unSetServiceName,status=info message="hello",schema_url="",scope_name="",${NO_IDS} ${TS}`);
  // Empty log.source falls back to service.name; a non-string service.name reads as "" (Go's GetStringValue).
  t.equal(
    line(attrs({ 'log.source': '', 'service.name': 'web' })),
    `web,${TAGS},service=web,status=info log_source="",message="hello",schema_url="",scope_name="",service_name="web",${NO_IDS} ${TS}`,
  );
  t.equal(
    line(attrs({ 'service.name': 7n, 'host.name': '' })),
    `otel_logs,${TAGS},service=unSetServiceName,status=info host_name="",message="hello",schema_url="",scope_name="",service_name="7",${NO_IDS} ${TS}`,
  );
});

t.test('status from severity (§7.2, Q34)', async (t) => {
  const status = (severityNumber: number, severityText: string): string | undefined => {
    const [point] = convertLogs(logsReq(resourceLogs([], [logRecord({ severityNumber, severityText })])), ctxFor(input()));
    return getKV(point.kvs, 'status')?.value as string | undefined;
  };
  const want: Array<[number, string, string]> = [
    [0, 'ERROR', 'unknown'],
    [1, 'x', 'trace'],
    [4, 'x', 'trace'],
    [5, 'x', 'debug'],
    [8, 'x', 'debug'],
    [9, 'x', 'info'],
    [12, 'x', 'info'],
    [13, 'x', 'warn'],
    [16, 'x', 'warn'],
    [17, 'x', 'error'],
    [20, 'x', 'error'],
    [21, 'x', 'fatal'],
    [24, 'x', 'fatal'],
    [25, 'Custom', 'Custom'],
    [-1, 'neg', 'neg'],
  ];
  for (const [n, text, expected] of want) t.equal(status(n, text), expected, `severity ${n}`);
  // Outside the table with no text: an empty status tag, left out of line protocol, and no status=info either.
  t.equal(
    lp(logsReq(resourceLogs([], [logRecord({ severityNumber: 99, severityText: '' })]))),
    `otel_logs,${TAGS},service=unSetServiceName message="hello",schema_url="",scope_name="",${NO_IDS} ${TS}`,
  );
});

t.test('attributes named message/status/service/host/trace_id win as fields; date and source are dropped (Q36)', async (t) => {
  const req = logsReq(
    resourceLogs(
      attrs({ 'service.name': 'shop', 'host.name': 'node-1' }),
      [logRecord({ attributes: attrs({ message: 'attr-msg', status: 'attr-status', service: 's', host: 'h', trace_id: 't', date: '2024', source: 'src' }) })],
    ),
  );
  t.equal(
    lp(req),
    'shop,dk_fingerprint=gw-01_1.84.1,remote_ip=10.0.0.7 host="h",host_name="node-1",message="attr-msg",schema_url="",scope_name="",' +
      `service="s",service_name="shop",span_id="0",status="attr-status",trace_id="t" ${TS}`,
  );
});

t.test('precedence: resource > scope > record (first wins), scope_name/schema_url override their own list', async (t) => {
  const req = logsReq(
    resourceLogs(
      attrs({ 'a.b': 'resource', schema_url: 'attr', tier: 'r' }),
      [logRecord({ attributes: attrs({ a_b: 'record', tier: 'p', scope_name: 'p', own: 'p', 'x.y': 'first', x_y: 'second' }) })],
      scope('lib', attrs({ scope_name: 'attr', tier: 's' })),
      'https://schema',
    ),
  );
  t.equal(
    lp(req),
    `otel_logs,${TAGS},service=unSetServiceName,status=info a_b="resource",message="hello",own="p",schema_url="https://schema",` +
      `scope_name="lib",span_id="0",tier="r",trace_id="0",x_y="second" ${TS}`,
  );
});

t.test('[tags] are fields that lose to attributes but beat message (Q37); dotted keys normalised by the checker', async (t) => {
  const req = logsReq(resourceLogs([], [logRecord({ attributes: attrs({ env: 'dev' }) })]));
  t.equal(
    lp(req, input({ tags: { env: 'prod', team: 'core', 'k.x': 'v', message: 'from-tags' } })),
    `otel_logs,${TAGS},service=unSetServiceName,status=info env="dev",k_x="v",message="from-tags",schema_url="",scope_name="",span_id="0",team="core",trace_id="0" ${TS}`,
  );
});

t.test('attribute values (§6.3): bytes base64, or "" in strict mode (Q20); arrays in Go text form', async (t) => {
  const raw: AnyValue = { kind: 'bytes', value: Uint8Array.from([0xff, 0x00]) };
  const list: AnyValue = { kind: 'array', values: [sv('a'), iv(1)] };
  const req = logsReq(resourceLogs([], [logRecord({ attributes: attrs({ raw, list, none: undefined, empty: { kind: 'empty' } }) })]));
  const tail = `message="hello",raw=RAW,schema_url="",scope_name="",${NO_IDS} ${TS}`;
  const head = `otel_logs,${TAGS},service=unSetServiceName,status=info list="values:{string_value:\\"a\\"} values:{int_value:1}",`;
  t.equal(lp(req), head + tail.replace('RAW', '"/wA="'));
  t.equal(lp(req, input({ strictDatakit: true })), head + tail.replace('RAW', '""'));
});

t.test('body → message (§7.4)', async (t) => {
  const line = (message: string): string =>
    `otel_logs,${TAGS},service=unSetServiceName,status=info message=${message},schema_url="",scope_name="",${NO_IDS} ${TS}`;
  t.equal(bodyLine(dv(3.14159)), line('"3.141590"'));
  t.equal(bodyLine(dv(0.0000005)), line('"0.000000"')); // exact binary value is below the halfway point
  t.equal(bodyLine(dv(1e21)), line('"1000000000000000000000.000000"'));
  t.equal(bodyLine(iv(-12n)), line('"-12"'));
  t.equal(bodyLine(bv(true)), line('"true"'));
  t.equal(bodyLine({ kind: 'bytes', value: Buffer.from('raw \\ text', 'utf8') }), line('"raw \\\\ text"'));
  t.equal(bodyLine({ kind: 'kvlist', values: attrs({ k: 'v' }) }), line('"values:{key:\\"k\\" value:{string_value:\\"v\\"}}"'));
  t.equal(bodyLine(sv('multi\nline "quoted"')), line('"multi\nline \\"quoted\\""'));
  const long = 'x'.repeat(40000); // no 32 KiB cut for bodies
  t.equal(bodyLine(sv(long)), line(`"${long}"`));
});

t.test('empty or absent body: message "" by default, no point in strict mode (Q33)', async (t) => {
  const empty = `otel_logs,${TAGS},service=unSetServiceName,status=info message="",schema_url="",scope_name="",${NO_IDS} ${TS}`;
  for (const body of [undefined, sv(''), { kind: 'empty' } as AnyValue, { kind: 'array', values: [] } as AnyValue]) {
    t.equal(bodyLine(body), empty);
    t.equal(bodyLine(body, input({ strictDatakit: true })), '');
  }
});

t.test('chunking by log_max × 1024 code points, chunk i at time + i ms (Q35)', async (t) => {
  const inp = input({ logMax: 1 });
  const points = (body: string) => convertLogs(logsReq(resourceLogs([], [logRecord({ body: sv(body) })])), ctxFor(inp));
  const messages = (body: string) => points(body).map((p) => [(getKV(p.kvs, 'message')?.value as { value: string }).value, p.time]);

  // 1023 ASCII + one emoji (2 UTF-16 units, 1 code point) fill the first chunk exactly.
  const first = 'a'.repeat(1023) + '😀';
  t.strictSame(messages(first + 'é中'), [
    [first, T0],
    ['é中', T0 + 1_000_000n],
  ]);
  // 1024 emoji: 2048 UTF-16 units but one chunk.
  t.strictSame(messages('😀'.repeat(1024)), [['😀'.repeat(1024), T0]]);
  const three = 'b'.repeat(2049);
  t.strictSame(messages(three), [
    ['b'.repeat(1024), T0],
    ['b'.repeat(1024), T0 + 1_000_000n],
    ['b', T0 + 2_000_000n],
  ]);
  // Every chunk has the same other keys.
  const [a, b] = points(first + 'z');
  t.strictSame(a.kvs.filter((kv) => kv.key !== 'message'), b.kvs.filter((kv) => kv.key !== 'message'));
});

t.test('chunks when an attribute named message wins: every chunk carries the attribute', async (t) => {
  const req = logsReq(resourceLogs([], [logRecord({ body: sv('e'.repeat(1025)), attributes: attrs({ message: 'attr' }) })]));
  const points = convertLogs(req, ctxFor(input({ logMax: 1 })));
  t.strictSame(
    points.map((p) => [(getKV(p.kvs, 'message')?.value as { value: string }).value, p.time]),
    [
      ['attr', T0],
      ['attr', T0 + 1_000_000n],
    ],
  );
});

t.test('time: time_unix_nano, else observed_time_unix_nano', async (t) => {
  const req = logsReq(resourceLogs([], [logRecord({ timeUnixNano: 0n, observedTimeUnixNano: 1234n }), logRecord({ timeUnixNano: 0n })]));
  t.strictSame(convertLogs(req, ctxFor(input())).map((p) => p.time), [1234n, 0n]);
});

t.test('ids: convertId rules, compatible_ddtrace', async (t) => {
  const req = logsReq(resourceLogs([], [logRecord({ traceId: hex(TRACE_ID), spanId: hex(SPAN_ID) })]));
  t.equal(
    lp(req, input({ compatibleDdtrace: true })),
    `otel_logs,${TAGS},service=unSetServiceName,status=info message="hello",schema_url="",scope_name="",span_id="67667974448284343",trace_id="11803532876627986230" ${TS}`,
  );
});

t.test('several resources and scopes keep their own attributes', async (t) => {
  const req = logsReq(
    resourceLogs(attrs({ 'service.name': 'a' }), [logRecord({ body: sv('1') })]),
    {
      resource: undefined,
      schemaUrl: '',
      scopeLogs: [
        { scope: scope('s1'), logRecords: [logRecord({ body: sv('2') })], schemaUrl: '' },
        { scope: undefined, logRecords: [logRecord({ body: sv('3') })], schemaUrl: '' },
      ],
    },
  );
  t.equal(
    lp(req),
    [
      `a,${TAGS},service=a,status=info message="1",schema_url="",scope_name="",service_name="a",${NO_IDS} ${TS}`,
      `otel_logs,${TAGS},service=unSetServiceName,status=info message="2",schema_url="",scope_name="s1",${NO_IDS} ${TS}`,
      `otel_logs,${TAGS},service=unSetServiceName,status=info message="3",schema_url="",scope_name="",${NO_IDS} ${TS}`,
    ].join('\n'),
  );
});
