import type { SinkConfig } from '../config/types.js';
import type { PointBatch } from '../datakit/point.js';
import { FileSink } from './file-sink.js';
import type { Sink } from './sink.js';
import { StdoutSink } from './stdout-sink.js';

export type { Sink } from './sink.js';
export { FileSink } from './file-sink.js';
export { StdoutSink } from './stdout-sink.js';

/**
 * Builds the configured sinks and opens those that hold resources, so a bad path fails at startup (naming the path);
 * on failure the sinks already opened are closed again.
 */
export async function createSinks(configs: readonly SinkConfig[]): Promise<Sink[]> {
  const sinks: Sink[] = [];
  try {
    for (const c of configs) {
      const categories = new Set(c.categories);
      if (c.target === 'file') {
        const sink = new FileSink(c.path!, categories);
        sinks.push(sink);
        await sink.open();
      } else {
        sinks.push(new StdoutSink(categories));
      }
    }
  } catch (err) {
    await Promise.allSettled(sinks.map((s) => s.close()));
    throw err;
  }
  return sinks;
}

/** Hands a batch to every sink that takes its category, in parallel; resolves when all have accepted it. */
export async function fanOut(sinks: readonly Sink[], batch: PointBatch): Promise<void> {
  if (batch.points.length === 0) return;
  await Promise.all(sinks.filter((s) => s.categories.has(batch.category)).map((s) => s.write(batch)));
}
