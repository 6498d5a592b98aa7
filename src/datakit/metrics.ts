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
import { attributeKVs, attributeMap, mergeFirstWins, sharedKVs, type SharedKVs } from './attr-text.js';
import { checkFamilyPoint, checkPoint, checkSharedKeys, type CheckOptions } from './checker.js';
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

const INT64_LIMIT = 1n << 63n;
/** DataKit reads the uint64 nanoseconds as int64 (time.Unix(0, int64(ns))); only times past 2262 change. */
const pointTime = (ns: bigint): bigint => (ns < INT64_LIMIT ? ns : BigInt.asIntN(64, ns));

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
  const keys = metricKeys(metric);
  switch (data.type) {
    case 'gauge':
    case 'sum':
      return eachDataPoint(data.dataPoints, metric, scope, out, (dp) => numberPoint(metric, keys, dp, scope, out));
    case 'summary':
      return eachDataPoint(data.dataPoints, metric, scope, out, (dp) => summaryPoint(keys, dp, scope, out));
    case 'histogram':
      return eachDataPoint(data.dataPoints, metric, scope, out, (dp) => histogramPoints(keys, dp, scope, out));
    case 'exponentialHistogram':
      return eachDataPoint(data.dataPoints, metric, scope, out, (dp) => exponentialHistogramPoint(keys, dp, scope, out));
  }
}

/** The keys a metric's data points add after their tags, made once per metric rather than per data point. */
interface MetricKeys {
  unit: TagKV;
  min: string;
  max: string;
  count: string;
  sum: string;
  bucket: string;
  /** Every key a histogram data point's points add after the tags (checkSharedKeys' `ownKeys`). */
  histogram: readonly string[];
}

function metricKeys(metric: Metric): MetricKeys {
  const name = metric.name;
  const keys = { unit: tag('unit', metric.unit), min: name + '_min', max: name + '_max', count: name + '_count', sum: name + '_sum', bucket: name + '_bucket' };
  return { ...keys, histogram: [keys.min, keys.max, keys.count, keys.sum, 'unit', keys.bucket, 'le'] };
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

/** One point: `kvs` (the point's own array) with each of `added` added (first wins, §6.2), then checked. */
function emit(kvs: KV[], added: readonly KV[], time: bigint, scope: ScopeTags, out: Point[]): void {
  for (const kv of added) addKV(kvs, kv);
  const checked = checkPoint({ measurement: MEASUREMENT, kvs, time }, 'metric', scope.check);
  if (checked !== null) out.push(checked);
}

/** Resource > scope > data point attribute tags (first wins, §6.2). */
function attributeTags(attrs: readonly KeyValue[], scope: ScopeTags): KV[] {
  return attributeKVs(scope.base, attrs, scope.strict, tag);
}

/** Gauge and Sum: the raw value (§6.4); no value → no field → the checker drops the point. */
function numberPoint(metric: Metric, keys: MetricKeys, dp: NumberDataPoint, scope: ScopeTags, out: Point[]): void {
  const value = dp.value;
  const added: KV[] = [keys.unit];
  if (value !== undefined) added.push(value.kind === 'int' ? intField(metric.name, value.value) : floatField(metric.name, value.value));
  emit(attributeTags(dp.attributes, scope), added, pointTime(dp.timeUnixNano), scope, out);
}

/** Summary: `_count` (uint) and `_sum`; quantiles are ignored (Q25). */
function summaryPoint(keys: MetricKeys, dp: SummaryDataPoint, scope: ScopeTags, out: Point[]): void {
  const added = [keys.unit, uintField(keys.count, dp.count), floatField(keys.sum, dp.sum)];
  emit(attributeTags(dp.attributes, scope), added, pointTime(dp.timeUnixNano), scope, out);
}

/** The four statistics both histogram kinds report, then `unit`; absent min/max/sum read as 0 (Go getters, Q26). */
function statisticKVs(keys: MetricKeys, dp: HistogramDataPoint | ExponentialHistogramDataPoint): KV[] {
  return [floatField(keys.min, dp.min ?? 0), floatField(keys.max, dp.max ?? 0), uintField(keys.count, dp.count), floatField(keys.sum, dp.sum ?? 0), keys.unit];
}

/**
 * Histogram: one point with the statistics, then (Q27) one per bucket with the cumulative count and `le` (§6.5).
 * All of them start with the data point's tags: in the usual case (checkSharedKeys) those are checked once and each
 * point only adds its own keys, which then differ from the tags and from each other, so "add" is a plain append.
 */
function histogramPoints(keys: MetricKeys, dp: HistogramDataPoint, scope: ScopeTags, out: Point[]): void {
  const time = pointTime(dp.timeUnixNano);
  const tags = attributeTags(dp.attributes, scope);
  const shared = checkSharedKeys(MEASUREMENT, tags, keys.histogram, 'metric');
  const emitWithTags = (own: readonly KV[]): void => {
    if (shared === null) return emit(tags.slice(), own, time, scope, out);
    const point = checkFamilyPoint(shared, own, time);
    if (point !== null) out.push(point);
  };
  emitWithTags(statisticKVs(keys, dp));

  const bounds = dp.explicitBounds;
  const counts = dp.bucketCounts;
  if (counts.length <= 1 || bounds.length === 0) return;
  const leTags = leTagsOf(bounds);
  let cumulative = counts[0];
  // One array for every bucket's own KVs, refilled per bucket: neither path keeps it (both copy the KVs).
  const own: KV[] = [uintField(keys.bucket, cumulative), leTags[0], keys.unit];
  for (let i = 0; i < counts.length; i++) {
    // An empty bucket leaves the cumulative count as it was, and so its KV (KVs are immutable, points share them).
    if (i > 0 && counts[i] !== 0n) {
      cumulative = BigInt.asUintN(64, cumulative + counts[i]); // uint64 arithmetic, as in Go
      own[0] = uintField(keys.bucket, cumulative);
    }
    own[1] = i < bounds.length ? leTags[i] : LE_INF;
    emitWithTags(own);
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
function exponentialHistogramPoint(keys: MetricKeys, dp: ExponentialHistogramDataPoint, scope: ScopeTags, out: Point[]): void {
  emit(attributeTags(dp.attributes, scope), statisticKVs(keys, dp), pointTime(dp.timeUnixNano), scope, out);
}
