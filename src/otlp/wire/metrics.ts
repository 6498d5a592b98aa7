import type {
  Exemplar,
  ExponentialHistogramBuckets,
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  InstrumentationScope,
  KeyValue,
  Metric,
  MetricData,
  MetricsRequest,
  NumberDataPoint,
  NumberValue,
  Resource,
  ResourceMetrics,
  ScopeMetrics,
  SummaryDataPoint,
  ValueAtQuantile,
} from '../model.js';
import { oneofWinner, readAttribute, readRequest, readResourceLevel, readScopeLevel, type MessageReader } from './common.js';
import { decodeWire } from './decode.js';
import { EMPTY_BYTES, type WireReader } from './reader.js';

/** ExportMetricsServiceRequest bytes → model, straight from the wire (metrics.proto field numbers). */
export function decodeMetricsWire(body: Uint8Array, maxDepth: number): MetricsRequest {
  return decodeWire('ExportMetricsServiceRequest', body, maxDepth, (r) => ({ resourceMetrics: readRequest(r, readResourceMetrics) }));
}

const makeScopeMetrics = (scope: InstrumentationScope | undefined, metrics: Metric[], schemaUrl: string): ScopeMetrics => ({
  scope,
  metrics,
  schemaUrl,
});
const readScopeMetrics = (r: WireReader, depth: number): ScopeMetrics => readScopeLevel(r, depth, readMetric, makeScopeMetrics);
const makeResourceMetrics = (resource: Resource | undefined, scopeMetrics: ScopeMetrics[], schemaUrl: string): ResourceMetrics => ({
  resource,
  scopeMetrics,
  schemaUrl,
});
const readResourceMetrics = (r: WireReader, depth: number): ResourceMetrics =>
  readResourceLevel(r, depth, readScopeMetrics, makeResourceMetrics);

function readMetric(r: WireReader, depth: number): Metric {
  const end = r.messageEnd(depth);
  let name = '';
  let description = '';
  let unit = '';
  // The `data` oneof: each member keeps its last value, oneofWinner picks the member (common.ts).
  let seen = 0;
  let winner = 0;
  let gauge: MetricData | undefined;
  let sum: MetricData | undefined;
  let histogram: MetricData | undefined;
  let exponentialHistogram: MetricData | undefined;
  let summary: MetricData | undefined;
  const metadata: KeyValue[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    switch (field) {
      case 1:
        name = r.string();
        continue;
      case 2:
        description = r.string();
        continue;
      case 3:
        unit = r.string();
        continue;
      case 5:
        gauge = readMetricData(r, depth + 1, readNumberDataPoint, 1, makeGauge);
        break;
      case 7:
        sum = readMetricData(r, depth + 1, readNumberDataPoint, 3, makeSum);
        break;
      case 9:
        histogram = readMetricData(r, depth + 1, readHistogramDataPoint, 2, makeHistogram);
        break;
      case 10:
        exponentialHistogram = readMetricData(r, depth + 1, readExponentialHistogramDataPoint, 2, makeExponentialHistogram);
        break;
      case 11:
        summary = readMetricData(r, depth + 1, readSummaryDataPoint, 1, makeSummary);
        break;
      case 12:
        metadata.push(readAttribute(r, depth + 1));
        continue;
      default:
        r.skipType(tag & 7, depth);
        continue;
    }
    winner = oneofWinner(seen, winner, field);
    seen |= 1 << field;
  }
  const data =
    winner === 5 ? gauge : winner === 7 ? sum : winner === 9 ? histogram : winner === 10 ? exponentialHistogram : winner === 11 ? summary : undefined;
  return { name, description, unit, data, metadata };
}

type MakeMetricData<P> = (dataPoints: P[], aggregationTemporality: number, isMonotonic: boolean) => MetricData;
const makeGauge: MakeMetricData<NumberDataPoint> = (dataPoints) => ({ type: 'gauge', dataPoints });
const makeSum: MakeMetricData<NumberDataPoint> = (dataPoints, aggregationTemporality, isMonotonic) => ({
  type: 'sum',
  dataPoints,
  aggregationTemporality,
  isMonotonic,
});
const makeHistogram: MakeMetricData<HistogramDataPoint> = (dataPoints, aggregationTemporality) => ({ type: 'histogram', dataPoints, aggregationTemporality });
const makeExponentialHistogram: MakeMetricData<ExponentialHistogramDataPoint> = (dataPoints, aggregationTemporality) => ({
  type: 'exponentialHistogram',
  dataPoints,
  aggregationTemporality,
});
const makeSummary: MakeMetricData<SummaryDataPoint> = (dataPoints) => ({ type: 'summary', dataPoints });

/**
 * Gauge, Sum, Histogram, ExponentialHistogram, Summary: data_points = 1, aggregation_temporality = 2 and
 * is_monotonic = 3. `lastField` says how many of these the message has; a higher field number is unknown to it and
 * skipped (not read as the other types' field would be).
 */
function readMetricData<P>(r: WireReader, depth: number, readPoint: MessageReader<P>, lastField: 1 | 2 | 3, make: MakeMetricData<P>): MetricData {
  const end = r.messageEnd(depth);
  const dataPoints: P[] = [];
  let aggregationTemporality = 0;
  let isMonotonic = false;
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field === 1) dataPoints.push(readPoint(r, depth + 1));
    else if (field === 2 && lastField >= 2) aggregationTemporality = r.int32();
    else if (field === 3 && lastField >= 3) isMonotonic = r.bool();
    else r.skipType(tag & 7, depth);
  }
  return make(dataPoints, aggregationTemporality, isMonotonic);
}

/** The `value` oneof of NumberDataPoint and Exemplar once read: `winner` is the field number of the member that won, 0 if none. */
function numberValue(winner: number, asDoubleField: number, asDouble: number, asInt: bigint): NumberValue | undefined {
  if (winner === 0) return undefined;
  return winner === asDoubleField ? { kind: 'double', value: asDouble } : { kind: 'int', value: asInt };
}

function readNumberDataPoint(r: WireReader, depth: number): NumberDataPoint {
  const end = r.messageEnd(depth);
  const attributes: KeyValue[] = [];
  let startTimeUnixNano = 0n;
  let timeUnixNano = 0n;
  let seen = 0;
  let winner = 0;
  let asDouble = 0;
  let asInt = 0n;
  const exemplars: Exemplar[] = [];
  let flags = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    switch (field) {
      case 2:
        startTimeUnixNano = r.fixed64();
        continue;
      case 3:
        timeUnixNano = r.fixed64();
        continue;
      case 4:
        asDouble = r.double();
        break;
      case 5:
        exemplars.push(readExemplar(r, depth + 1));
        continue;
      case 6:
        asInt = r.sfixed64();
        break;
      case 7:
        attributes.push(readAttribute(r, depth + 1));
        continue;
      case 8:
        flags = r.uint32();
        continue;
      default:
        r.skipType(tag & 7, depth);
        continue;
    }
    winner = oneofWinner(seen, winner, field);
    seen |= 1 << field;
  }
  return { attributes, startTimeUnixNano, timeUnixNano, value: numberValue(winner, 4, asDouble, asInt), exemplars, flags };
}

function readExemplar(r: WireReader, depth: number): Exemplar {
  const end = r.messageEnd(depth);
  const filteredAttributes: KeyValue[] = [];
  let timeUnixNano = 0n;
  let seen = 0;
  let winner = 0;
  let asDouble = 0;
  let asInt = 0n;
  let spanId = EMPTY_BYTES;
  let traceId = EMPTY_BYTES;
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    switch (field) {
      case 2:
        timeUnixNano = r.fixed64();
        continue;
      case 3:
        asDouble = r.double();
        break;
      case 4:
        spanId = r.bytes();
        continue;
      case 5:
        traceId = r.bytes();
        continue;
      case 6:
        asInt = r.sfixed64();
        break;
      case 7:
        filteredAttributes.push(readAttribute(r, depth + 1));
        continue;
      default:
        r.skipType(tag & 7, depth);
        continue;
    }
    winner = oneofWinner(seen, winner, field);
    seen |= 1 << field;
  }
  return { filteredAttributes, timeUnixNano, value: numberValue(winner, 3, asDouble, asInt), spanId, traceId };
}

/**
 * One entry of a repeated packable scalar field: a packed run when it came as wire type 2, else a single value of
 * its type (protobuf requires accepting both; protobufjs decides by the wire type alone).
 */
function readPackable<T>(r: WireReader, tag: number, into: T[], read: (r: WireReader) => T): void {
  if ((tag & 7) !== 2) {
    into.push(read(r));
    return;
  }
  const end = r.packedEnd();
  while (r.pos < end) into.push(read(r));
}
const fixed64 = (r: WireReader): bigint => r.fixed64();
const uint64 = (r: WireReader): bigint => r.uint64();
const double = (r: WireReader): number => r.double();

function readHistogramDataPoint(r: WireReader, depth: number): HistogramDataPoint {
  const end = r.messageEnd(depth);
  const attributes: KeyValue[] = [];
  let startTimeUnixNano = 0n;
  let timeUnixNano = 0n;
  let count = 0n;
  let sum: number | undefined;
  const bucketCounts: bigint[] = [];
  const explicitBounds: number[] = [];
  const exemplars: Exemplar[] = [];
  let flags = 0;
  let min: number | undefined;
  let max: number | undefined;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 2:
        startTimeUnixNano = r.fixed64();
        break;
      case 3:
        timeUnixNano = r.fixed64();
        break;
      case 4:
        count = r.fixed64();
        break;
      case 5:
        sum = r.double();
        break;
      case 6:
        readPackable(r, tag, bucketCounts, fixed64);
        break;
      case 7:
        readPackable(r, tag, explicitBounds, double);
        break;
      case 8:
        exemplars.push(readExemplar(r, depth + 1));
        break;
      case 9:
        attributes.push(readAttribute(r, depth + 1));
        break;
      case 10:
        flags = r.uint32();
        break;
      case 11:
        min = r.double();
        break;
      case 12:
        max = r.double();
        break;
      default:
        r.skipType(tag & 7, depth);
    }
  }
  return { attributes, startTimeUnixNano, timeUnixNano, count, sum, bucketCounts, explicitBounds, exemplars, flags, min, max };
}

function readExponentialHistogramDataPoint(r: WireReader, depth: number): ExponentialHistogramDataPoint {
  const end = r.messageEnd(depth);
  const attributes: KeyValue[] = [];
  let startTimeUnixNano = 0n;
  let timeUnixNano = 0n;
  let count = 0n;
  let sum: number | undefined;
  let scale = 0;
  let zeroCount = 0n;
  let positive: ExponentialHistogramBuckets | undefined;
  let negative: ExponentialHistogramBuckets | undefined;
  let flags = 0;
  const exemplars: Exemplar[] = [];
  let min: number | undefined;
  let max: number | undefined;
  let zeroThreshold = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        attributes.push(readAttribute(r, depth + 1));
        break;
      case 2:
        startTimeUnixNano = r.fixed64();
        break;
      case 3:
        timeUnixNano = r.fixed64();
        break;
      case 4:
        count = r.fixed64();
        break;
      case 5:
        sum = r.double();
        break;
      case 6:
        scale = r.sint32();
        break;
      case 7:
        zeroCount = r.fixed64();
        break;
      case 8:
        positive = readBuckets(r, depth + 1);
        break;
      case 9:
        negative = readBuckets(r, depth + 1);
        break;
      case 10:
        flags = r.uint32();
        break;
      case 11:
        exemplars.push(readExemplar(r, depth + 1));
        break;
      case 12:
        min = r.double();
        break;
      case 13:
        max = r.double();
        break;
      case 14:
        zeroThreshold = r.double();
        break;
      default:
        r.skipType(tag & 7, depth);
    }
  }
  return {
    attributes,
    startTimeUnixNano,
    timeUnixNano,
    count,
    sum,
    scale,
    zeroCount,
    positive,
    negative,
    flags,
    exemplars,
    min,
    max,
    zeroThreshold,
  };
}

function readBuckets(r: WireReader, depth: number): ExponentialHistogramBuckets {
  const end = r.messageEnd(depth);
  let offset = 0;
  const bucketCounts: bigint[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        offset = r.sint32();
        break;
      case 2:
        readPackable(r, tag, bucketCounts, uint64);
        break;
      default:
        r.skipType(tag & 7, depth);
    }
  }
  return { offset, bucketCounts };
}

function readSummaryDataPoint(r: WireReader, depth: number): SummaryDataPoint {
  const end = r.messageEnd(depth);
  const attributes: KeyValue[] = [];
  let startTimeUnixNano = 0n;
  let timeUnixNano = 0n;
  let count = 0n;
  let sum = 0;
  const quantileValues: ValueAtQuantile[] = [];
  let flags = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 2:
        startTimeUnixNano = r.fixed64();
        break;
      case 3:
        timeUnixNano = r.fixed64();
        break;
      case 4:
        count = r.fixed64();
        break;
      case 5:
        sum = r.double();
        break;
      case 6:
        quantileValues.push(readValueAtQuantile(r, depth + 1));
        break;
      case 7:
        attributes.push(readAttribute(r, depth + 1));
        break;
      case 8:
        flags = r.uint32();
        break;
      default:
        r.skipType(tag & 7, depth);
    }
  }
  return { attributes, startTimeUnixNano, timeUnixNano, count, sum, quantileValues, flags };
}

function readValueAtQuantile(r: WireReader, depth: number): ValueAtQuantile {
  const end = r.messageEnd(depth);
  let quantile = 0;
  let value = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        quantile = r.double();
        break;
      case 2:
        value = r.double();
        break;
      default:
        r.skipType(tag & 7, depth);
    }
  }
  return { quantile, value };
}
