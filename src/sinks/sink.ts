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
  write(batch: PointBatch): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}
