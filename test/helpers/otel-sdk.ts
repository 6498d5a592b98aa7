/**
 * The real OpenTelemetry JS SDK, set up so that its output is deterministic: fixed resource, counting id generator,
 * explicit times. Spans and log records are recorded in memory, metrics collected on demand, and then exported by the
 * exporter under test.
 */
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type IdGenerator,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { Attributes, Meter } from '@opentelemetry/api';
import type { Logger } from '@opentelemetry/api-logs';

export class CountingIdGenerator implements IdGenerator {
  private traces = 0;
  private spans = 0;
  generateTraceId(): string {
    return (++this.traces).toString(16).padStart(32, 'a');
  }
  generateSpanId(): string {
    return (++this.spans).toString(16).padStart(16, 'b');
  }
}

export function tracerSetup(resource: Attributes) {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(resource),
    idGenerator: new CountingIdGenerator(),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('test-scope', '1.2.3');
  return {
    tracer,
    spans: (): ReadableSpan[] => memory.getFinishedSpans(),
    shutdown: () => provider.shutdown(),
  };
}

/** Export spans with an exporter and resolve with its result code (0 = success), or reject with its error. */
export function exportWith(exporter: { export(items: never, cb: (r: { code: number; error?: Error }) => void): void }, items: unknown): Promise<number> {
  return new Promise((resolve, reject) =>
    exporter.export(items as never, (r) => (r.code === 0 ? resolve(0) : reject(r.error ?? new Error(`export failed with code ${r.code}`)))),
  );
}

/** A MetricReader without a timer: data points are taken only when the test calls `collect()`. */
export class OnDemandMetricReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/** A MeterProvider with a fixed resource; `collect()` gives the ResourceMetrics an exporter would be handed. */
export function meterSetup(resource: Attributes) {
  const reader = new OnDemandMetricReader();
  const provider = new MeterProvider({ resource: resourceFromAttributes(resource), readers: [reader] });
  return {
    meter: (name: string, version: string): Meter => provider.getMeter(name, version),
    async collect(): Promise<ResourceMetrics> {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw errors[0];
      return resourceMetrics;
    },
    shutdown: () => provider.shutdown(),
  };
}

/** A LoggerProvider with a fixed resource whose records are kept in memory for the exporter under test. */
export function loggerSetup(resource: Attributes) {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: resourceFromAttributes(resource), processors: [new SimpleLogRecordProcessor(memory)] });
  return {
    logger: (name: string, version: string): Logger => provider.getLogger(name, version),
    records: (): ReadableLogRecord[] => memory.getFinishedLogRecords(),
    shutdown: () => provider.shutdown(),
  };
}
