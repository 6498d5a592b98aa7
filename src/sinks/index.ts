import type { SinkConfig } from '../config/types.js';
import type { PointBatch } from '../datakit/point.js';
import { FileSink } from './file-sink.js';
import type { Sink } from './sink.js';
import { StdoutSink } from './stdout-sink.js';

export type { Sink } from './sink.js';
export { FileSink } from './file-sink.js';
export { StdoutSink } from './stdout-sink.js';

/** Builds the configured sinks and opens those that hold resources, so a bad path fails at startup. */
export async function createSinks(configs: readonly SinkConfig[]): Promise<Sink[]> {
  const sinks: Sink[] = [];
  for (const c of configs) {
    const categories = new Set(c.categories);
    if (c.target === 'file') {
      const sink = new FileSink(c.path!, categories);
      await sink.open();
      sinks.push(sink);
    } else {
      sinks.push(new StdoutSink(categories));
    }
  }
  return sinks;
}

/** Hands a batch to every sink that takes its category, in parallel; resolves when all have accepted it. */
export async function fanOut(sinks: readonly Sink[], batch: PointBatch): Promise<void> {
  if (batch.points.length === 0) return;
  await Promise.all(sinks.filter((s) => s.categories.has(batch.category)).map((s) => s.write(batch)));
}
