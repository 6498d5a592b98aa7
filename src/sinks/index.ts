import type { SinkConfig, SinkTarget } from '../config/types.js';
import type { PointBatch } from '../datakit/point.js';
import { createDatawaySink } from './dataway-sink.js';
import { createFileSink } from './file-sink.js';
import { createMemorySink } from './memory-sink.js';
import { createModuleSink } from './module-sink.js';
import { createOtlpSink } from './otlp-sink.js';
import { QueuedSink } from './queue.js';
import type { Sink, SinkContext } from './sink.js';
import { createStdoutSink } from './stdout-sink.js';

export type { Sink, SinkContext, SinkLogger } from './sink.js';
export { FileSink } from './file-sink.js';
export { StdoutSink } from './stdout-sink.js';
export { MemorySink } from './memory-sink.js';
export { QueuedSink, QueueFullError, type QueuedSinkStats } from './queue.js';
export type { SinkModuleFactory } from './module-sink.js';

type SinkFactory<C extends SinkConfig> = (config: C, ctx: SinkContext) => Sink | Promise<Sink>;

/** Built-in targets: `target` of a `[[sinks.sink]]` table → the factory of its sink. */
const REGISTRY: { [T in SinkTarget]: SinkFactory<Extract<SinkConfig, { target: T }>> } = {
  stdout: createStdoutSink,
  file: createFileSink,
  dataway: createDatawaySink,
  otlp: createOtlpSink,
  memory: createMemorySink,
  module: createModuleSink,
};

/**
 * Builds the configured sinks (each with its own queue, where it has one) and opens those that hold resources, so a
 * bad path fails at startup (naming the path); on failure the sinks already built are closed again.
 */
export async function createSinks(configs: readonly SinkConfig[], ctx: SinkContext): Promise<Sink[]> {
  const sinks: Sink[] = [];
  try {
    for (const config of configs) {
      const factory = REGISTRY[config.target] as SinkFactory<SinkConfig>;
      const sink = await factory(config, ctx);
      sinks.push(sink);
      // A spool_dir that cannot be created or read fails at startup, not on the first request.
      if (sink instanceof QueuedSink) await sink.ready();
    }
  } catch (err) {
    await Promise.allSettled(sinks.map((s) => s.close()));
    throw err;
  }
  return sinks;
}

const accepted = (): void => {};

/**
 * Hands a batch to every sink that takes its category, in parallel; resolves when all have accepted it. Queued
 * (network) sinks accept on enqueue, so a slow backend does not hold up the others or the client.
 *
 * Not an async function: a suspended async frame keeps its parameters alive, and the batch (points, decoded request)
 * must be garbage as soon as the sinks that do not keep it have encoded it, not when the slowest write ends (issue 8:
 * 16 requests in flight kept ~5 MB alive through every scavenge).
 */
export function fanOut(sinks: readonly Sink[], batch: PointBatch): Promise<void> {
  if (batch.points.length === 0) return Promise.resolve();
  const writes: Promise<void>[] = [];
  try {
    for (const sink of sinks) if (sink.categories.has(batch.category)) writes.push(sink.write(batch));
  } catch (err) {
    return Promise.reject(err as Error); // a sink that throws instead of rejecting fails the batch the same way
  }
  return Promise.all(writes).then(accepted);
}
