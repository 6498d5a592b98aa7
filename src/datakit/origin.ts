import type {
  HistogramDataPoint,
  ExponentialHistogramDataPoint,
  InstrumentationScope,
  LogRecord,
  Metric,
  NumberDataPoint,
  Resource,
  Span,
  SummaryDataPoint,
} from '../otlp/model.js';
import type { Point } from './point.js';

/**
 * The OTLP item a point was built from, with its resource and scope: what the fixture's query answers show next to a
 * point and what `explain` accounts for attribute by attribute. Only recorded when a consumer asks for it
 * (`ConvertContext.origins`), so the hot path pays one `undefined` check per point.
 */
export type PointOrigin =
  | { readonly signal: 'traces'; readonly resource: Resource | undefined; readonly scope: InstrumentationScope | undefined; readonly span: Span }
  | {
      readonly signal: 'metrics';
      readonly resource: Resource | undefined;
      readonly scope: InstrumentationScope | undefined;
      readonly metric: Metric;
      readonly dataPoint: NumberDataPoint | HistogramDataPoint | ExponentialHistogramDataPoint | SummaryDataPoint;
    }
  | { readonly signal: 'logs'; readonly resource: Resource | undefined; readonly scope: InstrumentationScope | undefined; readonly record: LogRecord };

/** Where converters record each point they emit (after the checker; points it drops are not recorded). */
export type PointOrigins = Map<Point, PointOrigin>;

/** Records `origin` for the points appended to `points` since index `from` (a log record or a histogram data point can make several). */
export function recordOrigins(origins: PointOrigins, points: readonly Point[], from: number, origin: PointOrigin): void {
  for (let i = from; i < points.length; i++) origins.set(points[i], origin);
}
