/**
 * Metrics → DataKit `otel_service` points (datakit-opentelemetry.md §6), as golden line protocol from hand-built models.
 */
import t from 'tap';
import type { OtelInputConfig } from '../src/config/types.js';
import type { ConvertContext } from '../src/datakit/context.js';
import { encodePoints } from '../src/datakit/line-protocol.js';
import { convertMetrics } from '../src/datakit/metrics.js';
import type { AnyValue, MetricsRequest } from '../src/otlp/model.js';
import { convertContext, input } from './helpers/config-build.js';
import {
  T0,
  attrs,
  expHistogram,
  expHistogramDp,
  gauge,
  histogram,
  histogramDp,
  metric,
  metricsReq,
  numberDp,
  resourceMetrics,
  scope,
  sum,
  summary,
  summaryDp,
} from './helpers/model-build.js';

/** With a global host tag, which metrics points never get from the converter (io's job, §11). */
const ctxFor = (inp: OtelInputConfig): ConvertContext => convertContext(inp, { globalHostTags: { region: 'eu' } });
const lp = (req: MetricsRequest, inp: OtelInputConfig = input()): string => encodePoints(convertMetrics(req, ctxFor(inp)));

const TS = '1700000000000000000';
const RESOURCE = attrs({ 'service.name': 'shop', 'host.name': 'node-1', 'telemetry.sdk.name': 'opentelemetry', 'telemetry.sdk.language': 'nodejs' });

t.test('gauge and sum: int is i, double is a float; tags from resource, scope, data point; unit', async (t) => {
  const req = metricsReq(
    resourceMetrics(
      RESOURCE,
      [
        gauge('http.server.active_requests', [numberDp(3n, attrs({ 'http.method': 'GET' }))], '{request}'),
        sum('jvm.memory.used', [numberDp(1.5, attrs({ area: 'heap' }))], 'By'),
      ],
      scope('io.opentelemetry.jvm', attrs({ 'scope.attr': 'x' })),
    ),
  );
  t.equal(
    lp(req),
    'otel_service,host_name=node-1,http_method=GET,remote_ip=10.0.0.7,scope_attr=x,scope_name=io.opentelemetry.jvm,service_name=shop,' +
      `unit={request} http.server.active_requests=3i ${TS}\n` +
      `otel_service,area=heap,host_name=node-1,remote_ip=10.0.0.7,scope_attr=x,scope_name=io.opentelemetry.jvm,service_name=shop,unit=By jvm.memory.used=1.5 ${TS}`,
  );
});

t.test('float values: shortest round trip, never exponent; ±Inf mapped; NaN and no value drop the point', async (t) => {
  const dps = [1e21, 1e-7, 0.1, 3, -0, Infinity, -Infinity, NaN, undefined].map((v, i) =>
    numberDp(v, [], { timeUnixNano: BigInt(i) }),
  );
  t.equal(
    lp(metricsReq(resourceMetrics([], [gauge('g', dps)]))),
    [
      'otel_service,remote_ip=10.0.0.7 g=1000000000000000000000 0',
      'otel_service,remote_ip=10.0.0.7 g=0.0000001 1',
      'otel_service,remote_ip=10.0.0.7 g=0.1 2',
      'otel_service,remote_ip=10.0.0.7 g=3 3',
      'otel_service,remote_ip=10.0.0.7 g=-0 4',
      'otel_service,remote_ip=10.0.0.7 g=18446744073709552000 5',
      'otel_service,remote_ip=10.0.0.7 g=-9223372036854776000 6',
    ].join('\n'),
  );
});

t.test('int64 extremes stay exact', async (t) => {
  const req = metricsReq(resourceMetrics([], [gauge('big', [numberDp(-9223372036854775808n), numberDp(9223372036854775807n)])]));
  t.equal(
    lp(req),
    `otel_service,remote_ip=10.0.0.7 big=-9223372036854775808i ${TS}\notel_service,remote_ip=10.0.0.7 big=9223372036854775807i ${TS}`,
  );
});

t.test('precedence: resource > scope > data point, first wins (§6.2)', async (t) => {
  const req = metricsReq(
    resourceMetrics(
      attrs({ remote_ip: '1.2.3.4', 'a.b': 'resource', tier: 'r' }),
      [
        gauge(
          'm',
          [numberDp(1n, attrs({ remote_ip: '5.6.7.8', a_b: 'point', tier: 'p', scope_name: 'p', unit: 'point-unit', own: 'p' }))],
          'ms',
        ),
      ],
      scope('lib', attrs({ scope_name: 'scope-attr', tier: 's', s: 's' })),
    ),
  );
  t.equal(lp(req), `otel_service,a_b=resource,own=p,remote_ip=10.0.0.7,s=s,scope_name=lib,tier=r,unit=point-unit m=1i ${TS}`);
});

t.test('scope: scope_name only with a scope message; an empty name still blocks the data point attribute', async (t) => {
  const dp = numberDp(1n, attrs({ scope_name: 'from-point' }));
  t.equal(lp(metricsReq(resourceMetrics([], [gauge('m', [dp])]))), `otel_service,remote_ip=10.0.0.7,scope_name=from-point m=1i ${TS}`);
  t.equal(lp(metricsReq(resourceMetrics([], [gauge('m', [dp])], scope('')))), `otel_service,remote_ip=10.0.0.7 m=1i ${TS}`);
});

t.test('missing resource: treated as empty, the rest of the request is kept (Q12 not reproduced)', async (t) => {
  const req = metricsReq(resourceMetrics(undefined, [gauge('a', [numberDp(1n)])]), resourceMetrics(attrs({ 'service.name': 'b' }), [gauge('b', [numberDp(2n)])]));
  t.equal(lp(req), `otel_service,remote_ip=10.0.0.7 a=1i ${TS}\notel_service,remote_ip=10.0.0.7,service_name=b b=2i ${TS}`);
});

t.test('attribute values as tag text (§6.3): %.3f doubles, bytes base64 or gone in strict mode (Q20), arrays', async (t) => {
  const bytes: AnyValue = { kind: 'bytes', value: Uint8Array.from([1, 2, 3]) };
  const arr: AnyValue = { kind: 'array', values: [{ kind: 'string', value: 'a' }, { kind: 'int', value: 1n }] };
  const dp = numberDp(1n, attrs({ ratio: 0.0625, flag: true, n: 7n, raw: bytes, list: arr, none: undefined }));
  const req = metricsReq(resourceMetrics([], [gauge('m', [dp])]));
  t.equal(
    lp(req),
    `otel_service,flag=true,list=values:{string_value:"a"}\\ values:{int_value:1},n=7,ratio=0.062,raw=AQID,remote_ip=10.0.0.7 m=1i ${TS}`,
  );
  t.equal(
    lp(req, input({ strictDatakit: true })),
    `otel_service,flag=true,list=values:{string_value:"a"}\\ values:{int_value:1},n=7,ratio=0.062,remote_ip=10.0.0.7 m=1i ${TS}`,
  );
});

t.test('summary: _count uint and _sum float, quantiles ignored (Q25)', async (t) => {
  const dp = summaryDp({ count: 10n, sum: 12.5, quantileValues: [{ quantile: 0.5, value: 1 }] });
  t.equal(
    lp(metricsReq(resourceMetrics(RESOURCE, [summary('rpc.duration', [dp], 's')]))),
    `otel_service,host_name=node-1,remote_ip=10.0.0.7,service_name=shop,unit=s rpc.duration_count=10u,rpc.duration_sum=12.5 ${TS}`,
  );
});

t.test('histogram with buckets: OpenLLMetry names, cumulative _bucket counts, le without exponent (§6.5)', async (t) => {
  const dp = histogramDp({
    attributes: attrs({ 'gen_ai.system': 'openai', 'gen_ai.operation.name': 'chat' }),
    count: 10n,
    sum: 4.25,
    min: 0.0000001,
    max: 2.5,
    explicitBounds: [0, 0.0000001, 0.005, 2.5, 1000000],
    bucketCounts: [1n, 2n, 3n, 0n, 4n, 0n],
  });
  const tags = 'gen_ai_operation_name=chat,gen_ai_system=openai';
  const name = 'gen_ai.client.operation.duration';
  t.equal(
    lp(metricsReq(resourceMetrics([], [histogram(name, [dp], 's')]))),
    [
      `otel_service,${tags},remote_ip=10.0.0.7,unit=s ${name}_count=10u,${name}_max=2.5,${name}_min=0.0000001,${name}_sum=4.25 ${TS}`,
      `otel_service,${tags},le=0,remote_ip=10.0.0.7,unit=s ${name}_bucket=1u ${TS}`,
      `otel_service,${tags},le=0.0000001,remote_ip=10.0.0.7,unit=s ${name}_bucket=3u ${TS}`,
      `otel_service,${tags},le=0.005,remote_ip=10.0.0.7,unit=s ${name}_bucket=6u ${TS}`,
      `otel_service,${tags},le=2.5,remote_ip=10.0.0.7,unit=s ${name}_bucket=6u ${TS}`,
      `otel_service,${tags},le=1000000,remote_ip=10.0.0.7,unit=s ${name}_bucket=10u ${TS}`,
      `otel_service,${tags},le=+Inf,remote_ip=10.0.0.7,unit=s ${name}_bucket=10u ${TS}`,
    ].join('\n'),
  );
});

t.test('histogram: absent min/max/sum are 0 (Q26); buckets only with > 1 count and ≥ 1 bound (Q27)', async (t) => {
  const oneCount = histogramDp({ count: 3n, bucketCounts: [3n], explicitBounds: [1] });
  const noBounds = histogramDp({ count: 3n, bucketCounts: [1n, 2n], explicitBounds: [] });
  const main = `otel_service,remote_ip=10.0.0.7 h_count=3u,h_max=0,h_min=0,h_sum=0 ${TS}`;
  t.equal(lp(metricsReq(resourceMetrics([], [histogram('h', [oneCount, noBounds])]))), `${main}\n${main}`);
  // More counts than bounds + 1 (malformed): every extra bucket is another +Inf.
  const extra = histogramDp({ count: 3n, bucketCounts: [1n, 1n, 1n], explicitBounds: [1] });
  t.equal(
    lp(metricsReq(resourceMetrics([], [histogram('h', [extra])]))),
    [main, `otel_service,le=1,remote_ip=10.0.0.7 h_bucket=1u ${TS}`, `otel_service,le=+Inf,remote_ip=10.0.0.7 h_bucket=2u ${TS}`, `otel_service,le=+Inf,remote_ip=10.0.0.7 h_bucket=3u ${TS}`].join('\n'),
  );
});

t.test('histogram: an attribute named le or unit beats the computed tag', async (t) => {
  const dp = histogramDp({ attributes: attrs({ le: 'mine', unit: 'mine' }), count: 1n, sum: 1, bucketCounts: [1n, 0n], explicitBounds: [5] });
  t.equal(
    lp(metricsReq(resourceMetrics([], [histogram('h', [dp], 'ms')]))),
    [
      `otel_service,le=mine,remote_ip=10.0.0.7,unit=mine h_count=1u,h_max=0,h_min=0,h_sum=1 ${TS}`,
      `otel_service,le=mine,remote_ip=10.0.0.7,unit=mine h_bucket=1u ${TS}`,
      `otel_service,le=mine,remote_ip=10.0.0.7,unit=mine h_bucket=1u ${TS}`,
    ].join('\n'),
  );
});

t.test('exponential histogram: min/max/count/sum only, no _avg and no buckets (Q24)', async (t) => {
  const dp = expHistogramDp({ count: 4n, sum: 10, min: 1, max: 4, scale: 2, zeroCount: 1n, positive: { offset: 0, bucketCounts: [1n, 2n] } });
  t.equal(
    lp(metricsReq(resourceMetrics([], [expHistogram('e', [dp, expHistogramDp()], 'ms')]))),
    `otel_service,remote_ip=10.0.0.7,unit=ms e_count=4u,e_max=4,e_min=1,e_sum=10 ${TS}\n` +
      `otel_service,remote_ip=10.0.0.7,unit=ms e_count=0u,e_max=0,e_min=0,e_sum=0 ${TS}`,
  );
});

t.test('time: the data point time; 0 stays 0 (io moves it, §11); a metric without data gives nothing', async (t) => {
  const req = metricsReq(resourceMetrics([], [gauge('g', [numberDp(1n, [], { timeUnixNano: 0n, startTimeUnixNano: T0 })]), metric('nothing', undefined)]));
  t.equal(lp(req), 'otel_service,remote_ip=10.0.0.7 g=1i 0');
});

t.test('a gauge named like a tag loses its field (tags are added first) and is dropped', async (t) => {
  const req = metricsReq(resourceMetrics([], [gauge('unit', [numberDp(1n)], 'ms'), gauge('color', [numberDp(1n, attrs({ color: 'red' }))])]));
  t.strictSame(convertMetrics(req, ctxFor(input())), []);
});

t.test('metric checker: dotted field keys kept, tag keys cut/cleaned, string-free', async (t) => {
  const dp = numberDp(2n, attrs({ 'line\nbreak': 'v\\', 'sp ace': 'a,b=c' }));
  t.equal(
    lp(metricsReq(resourceMetrics([], [gauge('x.y z', [dp])]))),
    `otel_service,line\\ break=v,remote_ip=10.0.0.7,sp\\ ace=a\\,b\\=c x.y\\ z=2i ${TS}`,
  );
});
