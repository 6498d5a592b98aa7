import type { Category, PointBatch } from '../src/datakit/point.js';
import type { Sink } from '../src/sinks/sink.js';

/** Counts what reaches the sink, then hands it on, so points/s is what was really delivered. */
export class CountingSink implements Sink {
  readonly name: string;
  readonly categories: ReadonlySet<Category>;
  points = 0;
  constructor(private readonly inner: Sink) {
    this.name = inner.name;
    this.categories = inner.categories;
  }
  async write(batch: PointBatch) {
    this.points += batch.points.length;
    await this.inner.write(batch);
  }
  flush() {
    return this.inner.flush();
  }
  close() {
    return this.inner.close();
  }
}
