/**
 * The real OpenTelemetry JS SDK, set up so that its output is deterministic: fixed resource, counting id generator,
 * explicit times. Spans are recorded in memory and then exported by the exporter under test.
 */
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type IdGenerator,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import type { Attributes } from '@opentelemetry/api';

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
