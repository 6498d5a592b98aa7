/**
 * The attribute account (src/datakit/explain.ts) on crafted spans, metric data points and log records: each converted
 * with origins recorded, then accounted for against the final point.
 */
import t from 'tap';
import type { OtelInputConfig } from '../src/config/types.js';
import { accountFor, type AttributeAccount } from '../src/datakit/explain.js';
import { convertLogs } from '../src/datakit/logs.js';
import { convertMetrics } from '../src/datakit/metrics.js';
import type { PointOrigins } from '../src/datakit/origin.js';
import type { Point } from '../src/datakit/point.js';
import { convertTraces } from '../src/datakit/trace.js';
import type { LogsRequest, MetricsRequest, TracesRequest } from '../src/otlp/model.js';
import { convertContext, input } from './helpers/config-build.js';
import { attrs, event, gauge, iv, kv, logRecord, metricsReq, numberDp, resourceLogs, resourceMetrics, resourceSpans, scope, span, sv, traces } from './helpers/model-build.js';

type Converter<R> = (req: R, ctx: ReturnType<typeof convertContext>) => Point[];

/** Converts `req` under `inp` and accounts for every point it made. */
function accounts<R>(convert: Converter<R>, req: R, inp: OtelInputConfig): AttributeAccount[][] {
  const origins: PointOrigins = new Map();
  const points = convert(req, convertContext(inp, { origins }));
  return points.map((p) => accountFor(origins.get(p)!, p, inp));
}

const traceAccounts = (req: TracesRequest, inp: OtelInputConfig) => accounts(convertTraces, req, inp);

t.test('traces: customer_tags exact and reg:, the built-in map, message, and what the rules consume', async (t) => {
  const inp = input({ customerTags: ['user.id', 'reg:^gen_ai\\.'] });
  const req = traces(
    resourceSpans(
      attrs({ 'service.name': 'llm-app', 'deployment.environment': 'prod', 'gen_ai.system': 'openai' }),
      [
        span({
          attributes: attrs({ 'user.id': 'u1', 'gen_ai.request.model': 'gpt-4o-mini', 'http.method': 'GET', 'db.system': 'postgresql', 'http.request.method': 'POST' }),
          events: [event('exception', attrs({ 'exception.type': 'Error', 'exception.escaped': true })), event('note', attrs({ 'note.text': 'n' }))],
        }),
      ],
      scope('lib', attrs({ 'lib.attr': 'x' })),
    ),
  );
  t.strictSame(traceAccounts(req, inp), [
    [
      { where: 'resource', key: 'service.name', value: 'llm-app', fate: 'consumed', to: 'base_service', why: 'service.name → service tag' },
      { where: 'resource', key: 'deployment.environment', value: 'prod', fate: 'message', why: 'not in customer_tags: kept in message' },
      { where: 'resource', key: 'gen_ai.system', value: 'openai', fate: 'lifted', to: 'gen_ai_system', why: 'customer_tags "reg:^gen_ai\\."' },
      { where: 'scope', key: 'lib.attr', value: 'x', fate: 'message', why: 'not in customer_tags: kept in message' },
      { where: 'span', key: 'user.id', value: 'u1', fate: 'lifted', to: 'user_id', why: 'customer_tags "user.id"' },
      { where: 'span', key: 'gen_ai.request.model', value: 'gpt-4o-mini', fate: 'lifted', to: 'gen_ai_request_model', why: 'customer_tags "reg:^gen_ai\\."' },
      { where: 'span', key: 'http.method', value: 'GET', fate: 'dropped', why: 'replaced by the later "http.request.method" of the same list (§4.6)' },
      {
        where: 'span',
        key: 'db.system',
        value: 'postgresql',
        fate: 'consumed',
        to: 'service',
        why: 'db.system → service tag (service split, §5.7; base_service keeps service.name)',
      },
      { where: 'span', key: 'http.request.method', value: 'POST', fate: 'lifted', to: 'http_method', why: "DataKit's built-in key map" },
      { where: 'event', key: 'exception.type', value: 'Error', fate: 'consumed', to: 'error_type', why: 'exception.type of the first exception event → error_type (§5.9)' },
      { where: 'event', key: 'exception.escaped', value: 'true', fate: 'dropped', why: 'in the first exception event, which clean_message consumes (§4.9)' },
      { where: 'event', key: 'note.text', value: 'n', fate: 'message', why: 'not in customer_tags: kept in message' },
    ],
  ]);
});

t.test('traces: clean_message off and del_message on', async (t) => {
  const inp = input({ cleanMessage: false, delMessage: true });
  const req = traces(resourceSpans(attrs({ 'service.name': 'app', 'team': 'core' }), [span({ attributes: attrs({ 'rpc.system': 'grpc' }) })]));
  t.strictSame(traceAccounts(req, inp), [
    [
      { where: 'resource', key: 'service.name', value: 'app', fate: 'dropped', why: 'not in customer_tags, and del_message = true drops the message (also sets base_service)' },
      { where: 'resource', key: 'team', value: 'core', fate: 'dropped', why: 'not in customer_tags, and del_message = true drops the message' },
      { where: 'span', key: 'rpc.system', value: 'grpc', fate: 'lifted', to: 'rpc_system', why: "DataKit's built-in key map (also sets service)" },
    ],
  ]);
});

t.test('traces: customer_tags_all, a key from two lists (the later wins), an integer status code that does not replace', async (t) => {
  const inp = input({ customerTagsAll: true });
  const req = traces(
    resourceSpans(attrs({ 'service.name': 'app', env: 'prod' }), [
      span({ attributes: [kv('env', sv('dev')), kv('a.b', iv(1)), kv('http.status_code', sv('200')), kv('http.response.status_code', iv(200))] }),
    ]),
  );
  t.strictSame(traceAccounts(req, inp), [
    [
      { where: 'resource', key: 'service.name', value: 'app', fate: 'consumed', to: 'service', why: 'service.name → service tag' },
      { where: 'resource', key: 'env', value: 'prod', fate: 'dropped', why: 'checker: duplicate key "env": the later "env" (span) wins (§4.10)' },
      { where: 'span', key: 'env', value: 'dev', fate: 'lifted', to: 'env', why: "DataKit's built-in key map" },
      { where: 'span', key: 'a.b', value: '1', fate: 'lifted', to: 'a_b', why: 'customer_tags_all' },
      { where: 'span', key: 'http.status_code', value: '200', fate: 'lifted', to: 'http_status_code', why: "DataKit's built-in key map" },
      {
        where: 'span',
        key: 'http.response.status_code',
        value: '200',
        fate: 'dropped',
        why: 'an integer http_status_code never replaces the earlier "http.status_code" of its list (§4.6)',
      },
    ],
  ]);
});

t.test('traces: the checker renames a built-in output onto a key the point already has (Q30)', async (t) => {
  const inp = input({ customerTags: ['messaging_message_id'] });
  const req = traces(resourceSpans(attrs({ 'service.name': 'app' }), [span({ attributes: attrs({ 'messaging.message.id': 'm1', messaging_message_id: 'm2' }) })]));
  t.strictSame(traceAccounts(req, inp)[0].slice(1), [
    {
      where: 'span',
      key: 'messaging.message.id',
      value: 'm1',
      fate: 'dropped',
      why: 'checker: "messaging_message.id" renamed to "messaging_message_id", which another key already had',
    },
    { where: 'span', key: 'messaging_message_id', value: 'm2', fate: 'lifted', to: 'messaging_message_id', why: 'customer_tags "messaging_message_id"' },
  ]);
});

t.test('metrics: every attribute becomes a tag unless removed, empty, outranked or replaced', async (t) => {
  const req: MetricsRequest = metricsReq(
    resourceMetrics(
      attrs({ 'service.name': 'app', 'telemetry.sdk.name': 'opentelemetry', remote_ip: '1.2.3.4' }),
      [gauge('queue.depth', [numberDp(3n, [kv('shared', sv('from-dp')), kv('http.route', sv('/a')), kv('blank', sv('')), kv('nothing', { kind: 'empty' }), kv('a.b', sv('1')), kv('a_b', sv('2'))])])],
      scope('meter', attrs({ scope_name: 'mine', shared: 'from-scope' })),
    ),
  );
  t.strictSame(accounts(convertMetrics, req, input()), [
    [
      { where: 'resource', key: 'service.name', value: 'app', fate: 'kept', to: 'service_name', why: 'resource attribute → tag' },
      { where: 'resource', key: 'telemetry.sdk.name', value: 'opentelemetry', fate: 'dropped', why: 'DataKit removes this key from metric and log attributes (§6.2)' },
      { where: 'resource', key: 'remote_ip', value: '1.2.3.4', fate: 'dropped', why: 'remote_ip comes from the request (§6.2)' },
      { where: 'scope', key: 'scope_name', value: 'mine', fate: 'dropped', why: 'scope_name comes from the scope name' },
      { where: 'scope', key: 'shared', value: 'from-scope', fate: 'kept', to: 'shared', why: 'scope attribute → tag' },
      { where: 'dataPoint', key: 'shared', value: 'from-dp', fate: 'dropped', why: 'the scope attribute "shared" wins (resource > scope > data point, first wins)' },
      { where: 'dataPoint', key: 'http.route', value: '/a', fate: 'kept', to: 'http_route', why: 'data point attribute → tag' },
      { where: 'dataPoint', key: 'blank', value: '', fate: 'dropped', why: 'empty tag value: line protocol leaves the tag out' },
      { where: 'dataPoint', key: 'nothing', value: '{}', fate: 'dropped', why: 'empty value: the key is left out (§6.3)' },
      { where: 'dataPoint', key: 'a.b', value: '1', fate: 'dropped', why: 'the later "a_b" of the same list becomes the same key (Q44: the last one wins here)' },
      { where: 'dataPoint', key: 'a_b', value: '2', fate: 'kept', to: 'a_b', why: 'data point attribute → tag' },
    ],
  ]);
});

t.test('logs: attributes become fields; the checker drops forbidden keys; computed keys win', async (t) => {
  const req: LogsRequest = {
    resourceLogs: [
      resourceLogs(attrs({ 'service.name': 'app', 'log.source': 'applog', schema_url: 'mine' }), [
        logRecord({ attributes: attrs({ date: 'today', message: 'attr wins', 'user.id': 'u1' }) }),
      ]),
    ],
  };
  t.strictSame(accounts(convertLogs, req, input()), [
    [
      { where: 'resource', key: 'service.name', value: 'app', fate: 'kept', to: 'service_name', why: 'resource attribute → field (also the service tag, §7.1)' },
      { where: 'resource', key: 'log.source', value: 'applog', fate: 'kept', to: 'log_source', why: 'resource attribute → field (also the measurement, §7.1)' },
      { where: 'resource', key: 'schema_url', value: 'mine', fate: 'dropped', why: 'schema_url comes from the ResourceLogs (§7.3)' },
      { where: 'record', key: 'date', value: 'today', fate: 'dropped', why: 'checker: "date" is not allowed on logging points (Q36)' },
      { where: 'record', key: 'message', value: 'attr wins', fate: 'kept', to: 'message', why: 'log record attribute → field' },
      { where: 'record', key: 'user.id', value: 'u1', fate: 'kept', to: 'user_id', why: 'log record attribute → field' },
    ],
  ]);
});
