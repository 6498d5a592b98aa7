import type {
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  InstrumentationScope,
  KeyValue,
  Metric,
  MetricsRequest,
  NumberDataPoint,
  Resource,
  SummaryDataPoint,
} from '../otlp/model.js';
import { attributeMap, mergeFirstWins, sharedKVs, withOwnKVs, type SharedKVs } from './attr-text.js';
import { checkPoint, type CheckOptions } from './checker.js';
import { recordOrigins, type PointOrigins } from './origin.js';
import type { ConvertContext } from './context.js';
import { formatFloat } from './format.js';
import { addKV, floatField, intField, tag, uintField, type KV, type Point, type TagKV } from './point.js';

/**
 * Metrics → `otel_service` points, as DataKit 1.84 builds them (datakit reference §6).
 *
 * Key order per point follows DataKit's build: merged attribute tags, then (Gauge, Sum, Summary) `unit` before the
 * value fields, or (histograms) the fields before `unit`. Every key is *added* (first wins), so an attribute tag
 * beats a computed key of the same name (`unit`, `le`, or a field named like a tag). The reference (§6.2) says `unit`
 * comes last; DataKit's metric.go adds it before the Gauge/Sum/Summary value fields, which only shows for a metric
 * named `unit` (its field then loses to the tag and the point is dropped). The code's order is followed.
 */

const MEASUREMENT = 'otel_service';

/** DataKit reads the uint64 nanoseconds as int64 (time.Unix(0, int64(ns))). */
const pointTime = (ns: bigint): bigint => BigInt.asIntN(64, ns);

/** What every data point of one scope shares: the resource and scope tags, already merged (first wins). */
interface ScopeTags {
  base: SharedKVs;
  strict: boolean;
  check: CheckOptions;
  /** Set when the caller records origins (origin.ts). */
  origin?: { origins: PointOrigins; resource: Resource | undefined; scope: InstrumentationScope | undefined };
}

export function convertMetrics(req: MetricsRequest, ctx: ConvertContext): Point[] {
  const strict = ctx.input.strictDatakit;
  const check: CheckOptions = { strictDatakit: strict };
  const points: Point[] = [];
  for (const rm of req.resourceMetrics) {
    // Q12 not reproduced: a missing resource is an empty one (DataKit drops the rest of the request).
    const resource = attributeMap(rm.resource?.attributes ?? [], strict);
    resource.set('remote_ip', ctx.remoteIp); // overrides a resource attribute of that name (§6.2)
    for (const sm of rm.scopeMetrics) {
      const scope: ScopeTags = { base: sharedKVs(mergeFirstWins(resource, scopeMap(sm.scope, strict)), tag), strict, check };
      if (ctx.origins) scope.origin = { origins: ctx.origins, resource: rm.resource, scope: sm.scope };
      for (const metric of sm.metrics) convertMetric(metric, scope, points);
    }
  }
  return points;
}

/** Scope attributes plus `scope_name` (set over an attribute of that name), only when the scope message is present. */
function scopeMap(scope: InstrumentationScope | undefined, strict: boolean): Map<string, string> {
  if (scope === undefined) return new Map();
  const map = attributeMap(scope.attributes, strict);
  map.set('scope_name', scope.name);
  return map;
}

function convertMetric(metric: Metric, scope: ScopeTags, out: Point[]): void {
  const data = metric.data;
  if (data === undefined) return;
  switch (data.type) {
    case 'gauge':
    case 'sum':
      return eachDataPoint(data.dataPoints, metric, scope, out, (dp) => emit(numberPoint(metric, dp, scope), scope, out));
    case 'summary':
      return eachDataPoint(data.dataPoints, metric, scope, out, (dp) => emit(summaryPoint(metric, dp, scope), scope, out));
    case 'histogram':
      return eachDataPoint(data.dataPoints, metric, scope, out, (dp) => histogramPoints(metric, dp, scope, out));
    case 'exponentialHistogram':
      return eachDataPoint(data.dataPoints, metric, scope, out, (dp) => emit(exponentialHistogramPoint(metric, dp, scope), scope, out));
  }
}

type DataPoint = NumberDataPoint | HistogramDataPoint | ExponentialHistogramDataPoint | SummaryDataPoint;

/** Converts each data point (a histogram's makes several points), recording their origin when asked. */
function eachDataPoint<D extends DataPoint>(dataPoints: readonly D[], metric: Metric, scope: ScopeTags, out: Point[], convert: (dp: D) => void): void {
  const { origin } = scope;
  for (const dataPoint of dataPoints) {
    const from = out.length;
    convert(dataPoint);
    if (origin) recordOrigins(origin.origins, out, from, { signal: 'metrics', resource: origin.resource, scope: origin.scope, metric, dataPoint });
  }
}

function emit(point: Point, scope: ScopeTags, out: Point[]): void {
  const checked = checkPoint(point, 'metric', scope.check);
  if (checked !== null) out.push(checked);
}

/** Resource > scope > data point attribute tags (first wins, §6.2). */
function attributeTags(attrs: readonly KeyValue[], scope: ScopeTags): KV[] {
  return withOwnKVs(scope.base, attributeMap(attrs, scope.strict), tag);
}

const hasKey = (kvs: readonly KV[], key: string): boolean => kvs.some((kv) => kv.key === key);

function addAll(kvs: KV[], ...added: KV[]): KV[] {
  for (const kv of added) addKV(kvs, kv);
  return kvs;
}

/** Gauge and Sum: the raw value (§6.4); no value → no field → the checker drops the point. */
function numberPoint(metric: Metric, dp: NumberDataPoint, scope: ScopeTags): Point {
  const kvs = addAll(attributeTags(dp.attributes, scope), tag('unit', metric.unit));
  if (dp.value !== undefined) {
    addKV(kvs, dp.value.kind === 'int' ? intField(metric.name, dp.value.value) : floatField(metric.name, dp.value.value));
  }
  return { measurement: MEASUREMENT, kvs, time: pointTime(dp.timeUnixNano) };
}

/** Summary: `_count` (uint) and `_sum`; quantiles are ignored (Q25). */
function summaryPoint(metric: Metric, dp: SummaryDataPoint, scope: ScopeTags): Point {
  const kvs = addAll(
    attributeTags(dp.attributes, scope),
    tag('unit', metric.unit),
    uintField(metric.name + '_count', dp.count),
    floatField(metric.name + '_sum', dp.sum),
  );
  return { measurement: MEASUREMENT, kvs, time: pointTime(dp.timeUnixNano) };
}

/** The four statistics both histogram kinds report; absent min/max/sum read as 0 (Go getters, Q26). */
function statisticFields(name: string, dp: HistogramDataPoint | ExponentialHistogramDataPoint): KV[] {
  return [
    floatField(name + '_min', dp.min ?? 0),
    floatField(name + '_max', dp.max ?? 0),
    uintField(name + '_count', dp.count),
    floatField(name + '_sum', dp.sum ?? 0),
  ];
}

/** Histogram: one point with the statistics, then (Q27) one per bucket with the cumulative count and `le` (§6.5). */
function histogramPoints(metric: Metric, dp: HistogramDataPoint, scope: ScopeTags, out: Point[]): void {
  const time = pointTime(dp.timeUnixNano);
  const tags = attributeTags(dp.attributes, scope);
  const main = addAll(tags.slice(), ...statisticFields(metric.name, dp), tag('unit', metric.unit));
  emit({ measurement: MEASUREMENT, kvs: main, time }, scope, out);

  const bounds = dp.explicitBounds;
  if (dp.bucketCounts.length <= 1 || bounds.length === 0) return;
  const bucketKey = metric.name + '_bucket';
  const unit = tag('unit', metric.unit);
  const leTags = leTagsOf(bounds);
  // Each bucket point is the tags plus these three keys, each added (first wins). `<name>_bucket`, `le` and `unit`
  // differ from each other, so whether one is added depends on the tags alone: worked out once, not per bucket.
  const addBucket = !hasKey(tags, bucketKey);
  const addLe = !hasKey(tags, 'le');
  const addUnit = !hasKey(tags, 'unit');
  let cumulative = 0n;
  for (let i = 0; i < dp.bucketCounts.length; i++) {
    cumulative = BigInt.asUintN(64, cumulative + dp.bucketCounts[i]); // uint64 arithmetic, as in Go
    const kvs = tags.slice();
    if (addBucket) kvs.push(uintField(bucketKey, cumulative));
    if (addLe) kvs.push(i < bounds.length ? leTags[i] : LE_INF);
    if (addUnit) kvs.push(unit);
    emit({ measurement: MEASUREMENT, kvs, time }, scope, out);
  }
}

const LE_INF = tag('le', '+Inf');
/** The `le` tags of the last bounds seen: the data points of a histogram (usually of all histograms) share bounds. */
let lastLe: { bounds: readonly number[]; tags: readonly TagKV[] } = { bounds: [], tags: [] };

function leTagsOf(bounds: readonly number[]): readonly TagKV[] {
  const last = lastLe.bounds;
  let same = last.length === bounds.length;
  // Object.is: -0 and 0 print differently (`-0`), and NaN must match itself.
  for (let i = 0; same && i < bounds.length; i++) same = Object.is(last[i], bounds[i]);
  if (!same) lastLe = { bounds: bounds.slice(), tags: bounds.map((b) => tag('le', formatFloat(b))) };
  return lastLe.tags;
}

/**
 * Exponential histogram: the statistics only; buckets, scale and zero count are ignored. DataKit also adds an `_avg`
 * string field, which the metric checker always drops (Q24), so it is not built at all.
 */
function exponentialHistogramPoint(metric: Metric, dp: ExponentialHistogramDataPoint, scope: ScopeTags): Point {
  const kvs = addAll(attributeTags(dp.attributes, scope), ...statisticFields(metric.name, dp), tag('unit', metric.unit));
  return { measurement: MEASUREMENT, kvs, time: pointTime(dp.timeUnixNano) };
}
