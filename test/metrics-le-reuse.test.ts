/**
 * Histogram bucket `le` tags are reused while consecutive data points have the same bounds (issue 8). Bounds that
 * differ in any way — length, one value, 0 against -0 (written `0` and `-0`, §6.5) — must get their own tags.
 */
import t from 'tap';
import { encodePoints } from '../src/datakit/line-protocol.js';
import { convertMetrics } from '../src/datakit/metrics.js';
import { convertContext, input } from './helpers/config-build.js';
import { attrs, histogram, histogramDp, metricsReq, resourceMetrics } from './helpers/model-build.js';

const leTags = (...boundsList: number[][]): string[][] => {
  const dps = boundsList.map((explicitBounds) => histogramDp({ count: 1n, bucketCounts: explicitBounds.map(() => 0n).concat([1n]), explicitBounds }));
  const points = convertMetrics(metricsReq(resourceMetrics([], [histogram('h', dps)])), convertContext(input()));
  const lines = encodePoints(points).split('\n');
  // One line per data point without `le` (the statistics), then one per bucket: group the `le` values by data point.
  const groups: string[][] = [];
  for (const line of lines) {
    const le = /,le=([^, ]+)/.exec(line);
    if (le === null) groups.push([]);
    else groups[groups.length - 1].push(le[1]);
  }
  return groups;
};

t.test('same bounds, then bounds differing in value, length, sign of zero', async (t) => {
  t.same(leTags([0, 1], [0, 1], [-0, 1], [0, 1], [0, 1, 2], [0, 1], [0, 2.5], [1e21, 1e-7]), [
    ['0', '1', '+Inf'],
    ['0', '1', '+Inf'],
    ['-0', '1', '+Inf'],
    ['0', '1', '+Inf'],
    ['0', '1', '2', '+Inf'],
    ['0', '1', '+Inf'],
    ['0', '2.5', '+Inf'],
    ['1000000000000000000000', '0.0000001', '+Inf'],
  ]);
});

t.test('bounds changed in place after use are not mistaken for the old ones', async (t) => {
  const bounds = [1, 2];
  const dp = histogramDp({ count: 1n, bucketCounts: [0n, 0n, 1n], explicitBounds: bounds });
  const ctx = convertContext(input());
  const first = encodePoints(convertMetrics(metricsReq(resourceMetrics([], [histogram('h', [dp])])), ctx));
  bounds[1] = 3;
  const second = encodePoints(convertMetrics(metricsReq(resourceMetrics([], [histogram('h', [dp])])), ctx));
  t.match(first, /,le=2,/);
  t.match(second, /,le=3,/);
  t.notMatch(second, /,le=2,/);
});

t.test('bucket keys are only added: attribute tags named le, unit or <name>_bucket win (first wins, §6.2)', async (t) => {
  const dp = (attributes: ReturnType<typeof attrs>) => histogramDp({ count: 1n, sum: 1, bucketCounts: [0n, 1n], explicitBounds: [1], attributes });
  const lp = (attributes: ReturnType<typeof attrs>): string =>
    encodePoints(convertMetrics(metricsReq(resourceMetrics([], [histogram('h', [dp(attributes)], 's')])), convertContext(input({ strictDatakit: true }))));
  const time = ' 1700000000000000000';
  t.equal(
    lp(attrs({ le: 'attr', unit: 'u' })),
    [
      'otel_service,le=attr,remote_ip=10.0.0.7,unit=u h_count=1u,h_max=0,h_min=0,h_sum=1' + time,
      'otel_service,le=attr,remote_ip=10.0.0.7,unit=u h_bucket=0u' + time,
      'otel_service,le=attr,remote_ip=10.0.0.7,unit=u h_bucket=1u' + time,
    ].join('\n'),
  );
  // A tag named like the bucket field takes its place: the bucket points have no field left and are dropped.
  t.equal(lp(attrs({ h_bucket: 'b' })), 'otel_service,h_bucket=b,remote_ip=10.0.0.7,unit=s h_count=1u,h_max=0,h_min=0,h_sum=1' + time);
});
