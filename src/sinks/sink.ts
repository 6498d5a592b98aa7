import type { Category, PointBatch } from '../datakit/point.js';

/**
 * Where checked DataKit points go. A sink gets batches of one category (it is only given the categories it asked
 * for), and must have made a batch durable enough for its purpose before `write` resolves: the receiver answers the
 * client only after every sink has accepted the request's points, so nothing acknowledged is lost in the gateway.
 */
export interface Sink {
  /** For logs and startup output, e.g. `file:/var/log/otel.lp`. */
  readonly name: string;
  readonly categories: ReadonlySet<Category>;
  /** When true, batches carry `origins` (each point's OTLP item): the fixture store and `explain` want them. */
  readonly wantsOrigins?: boolean;
  write(batch: PointBatch): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Where sinks report what happens to data outside a request (retries, drops, spool evictions). */
export interface SinkLogger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/** What every sink factory gets besides its own `[[sinks.sink]]` table. */
export interface SinkContext {
  logger: SinkLogger;
  /** The folder relative paths in the config are resolved against: the config file's, or the working directory. */
  configDir: string;
  /** `[dataway] urls`, for sinks that default to them. */
  datawayUrls: readonly string[];
  /** `User-Agent` of outgoing requests, e.g. `datakit-otel-gateway/0.1.0 (DataKit 1.84.1)`. */
  userAgent: string;
}
