import { encodePoint } from '../../src/datakit/line-protocol.js';
import type { Category, PointBatch } from '../../src/datakit/point.js';
import type { Sink } from '../../src/sinks/sink.js';

/** A sink that keeps the encoded line protocol in memory, so a test can assert on exactly what a real sink writes. */
export class CollectingSink implements Sink {
  readonly name = 'collect';
  readonly categories: ReadonlySet<Category> = new Set<Category>(['tracing', 'metric', 'logging']);
  readonly batches: PointBatch[] = [];

  async write(batch: PointBatch): Promise<void> {
    this.batches.push(batch);
  }

  /** Every point written so far, as line protocol, in arrival order. */
  lines(category?: Category): string[] {
    return this.batches.filter((b) => !category || b.category === category).flatMap((b) => b.points.map(encodePoint));
  }

  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}
