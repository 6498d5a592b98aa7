/**
 * Histogram points share their data point's tags, checked once per data point (checker.ts checkSharedKeys, issue 8):
 * the line protocol must be what checking each point on its own gives, in the usual case and in every case that falls
 * back to point-by-point checks (a key the checker rewrites, a key a bucket point would add twice).
 */
import t from 'tap';
import { encodePoints } from '../src/datakit/line-protocol.js';
import { convertMetrics } from '../src/datakit/metrics.js';
import type { HistogramDataPoint, KeyValue } from '../src/otlp/model.js';
import { convertContext, input } from './helpers/config-build.js';
import { attrs, histogram, histogramDp, metricsReq, resourceMetrics, scope } from './helpers/model-build.js';

const lp = (dp: HistogramDataPoint, resource: KeyValue[] = attrs({ 'service.name': 'svc' })): string[] =>
  encodePoints(convertMetrics(metricsReq(resourceMetrics(resource, [histogram('h', [dp], 's')], scope('sc'))), convertContext(input()))).split('\n');

const TAGS = 'otel_service,remote_ip=10.0.0.7,scope_name=sc,service_name=svc,unit=s';
const TS = ' 1700000000000000000';

t.test('cumulative counts: empty buckets repeat the count, uint64 wraps as in Go', async (t) => {
  const dp = histogramDp({ count: 5n, sum: 1.5, bucketCounts: [0n, 3n, 0n, 2n ** 64n - 1n, 0n], explicitBounds: [1, 2, 3, 4] });
  t.strictSame(lp(dp), [
    `${TAGS} h_count=5u,h_max=0,h_min=0,h_sum=1.5${TS}`,
    `${TAGS.replace(',remote_ip', ',le=1,remote_ip')} h_bucket=0u${TS}`,
    `${TAGS.replace(',remote_ip', ',le=2,remote_ip')} h_bucket=3u${TS}`,
    `${TAGS.replace(',remote_ip', ',le=3,remote_ip')} h_bucket=3u${TS}`,
    `${TAGS.replace(',remote_ip', ',le=4,remote_ip')} h_bucket=2u${TS}`,
    `${TAGS.replace(',remote_ip', ',le=+Inf,remote_ip')} h_bucket=2u${TS}`,
  ]);
});

t.test('statistics: a NaN drops the statistics point only (Q47); ±Inf mapped; bounds ±Inf, -0', async (t) => {
  const dp = histogramDp({ count: 1n, sum: NaN, min: -Infinity, max: Infinity, bucketCounts: [1n, 0n, 0n, 0n], explicitBounds: [-Infinity, -0, Infinity] });
  t.strictSame(lp(dp), [
    `${TAGS.replace(',remote_ip', ',le=-Inf,remote_ip')} h_bucket=1u${TS}`,
    `${TAGS.replace(',remote_ip', ',le=-0,remote_ip')} h_bucket=1u${TS}`,
    `${TAGS.replace(',remote_ip', ',le=+Inf,remote_ip')} h_bucket=1u${TS}`,
    `${TAGS.replace(',remote_ip', ',le=+Inf,remote_ip')} h_bucket=1u${TS}`,
  ]);
  const inf = histogramDp({ count: 1n, sum: 2, min: -Infinity, max: Infinity });
  t.strictSame(lp(inf), [`${TAGS} h_count=1u,h_max=18446744073709552000,h_min=-9223372036854776000,h_sum=2${TS}`]);
});

t.test('tag values the checker fixes are fixed in every point', async (t) => {
  const dp = histogramDp({ count: 1n, bucketCounts: [1n, 0n], explicitBounds: [1], attributes: attrs({ note: 'a\nb\\\\' }) });
  t.strictSame(lp(dp), [
    `${TAGS.replace('otel_service', 'otel_service,note=a\\ b')} h_count=1u,h_max=0,h_min=0,h_sum=0${TS}`,
    `${TAGS.replace('otel_service', 'otel_service,le=1,note=a\\ b')} h_bucket=1u${TS}`,
    `${TAGS.replace('otel_service', 'otel_service,le=+Inf,note=a\\ b')} h_bucket=1u${TS}`,
  ]);
});

t.test('keys the checker rewrites: every point checked on its own, same result', async (t) => {
  // `k\` loses its backslash; a 300-byte key is cut to 256 bytes; `x\` then collides with `x` and is dropped.
  const long = 'k'.repeat(300);
  const dp = histogramDp({ count: 2n, bucketCounts: [2n, 0n], explicitBounds: [0.5], attributes: attrs({ 'k\\': 'v', [long]: 'w', x: '1', 'x\\': '2' }) });
  const tags = `otel_service,k=v,${'k'.repeat(256)}=w,remote_ip=10.0.0.7,scope_name=sc,service_name=svc,unit=s,x=1`;
  t.strictSame(lp(dp), [
    `${tags} h_count=2u,h_max=0,h_min=0,h_sum=0${TS}`,
    `${tags.replace(',remote_ip', ',le=0.5,remote_ip')} h_bucket=2u${TS}`,
    `${tags.replace(',remote_ip', ',le=+Inf,remote_ip')} h_bucket=2u${TS}`,
  ]);
});

t.test('a resource attribute named like a statistics field: the tag wins, the field is not added', async (t) => {
  const dp = histogramDp({ count: 3n, sum: 4, bucketCounts: [3n, 0n], explicitBounds: [1] });
  t.strictSame(lp(dp, attrs({ 'service.name': 'svc', h_count: 'tag' })), [
    `${TAGS.replace('otel_service', 'otel_service,h_count=tag')} h_max=0,h_min=0,h_sum=4${TS}`,
    `${TAGS.replace('otel_service', 'otel_service,h_count=tag,le=1')} h_bucket=3u${TS}`,
    `${TAGS.replace('otel_service', 'otel_service,h_count=tag,le=+Inf')} h_bucket=3u${TS}`,
  ]);
});

t.test('times past int64 read as negative (int64(ns)), others as they are', async (t) => {
  const at = (timeUnixNano: bigint) => lp(histogramDp({ count: 1n, timeUnixNano }))[0].split(' ').pop();
  t.equal(at(2n ** 64n - 1n), '-1');
  t.equal(at(2n ** 63n), '-9223372036854775808');
  t.equal(at(2n ** 63n - 1n), '9223372036854775807');
});

t.test('each point has its own key list, the shared tag KVs are the same objects', async (t) => {
  const dp = histogramDp({ count: 1n, bucketCounts: [1n, 0n], explicitBounds: [1], attributes: attrs({ a: 'b' }) });
  const points = convertMetrics(metricsReq(resourceMetrics([], [histogram('h', [dp])])), convertContext(input()));
  t.equal(points.length, 3);
  t.not(points[1].kvs, points[2].kvs);
  t.equal(points[1].kvs[0], points[2].kvs[0]);
  points[1].kvs.push({ key: 'host', isTag: true, value: 'x' });
  t.notMatch(encodePoints([points[2]]), /host/);
});
