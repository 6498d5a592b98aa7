import type { GatewayConfig, OtelInputConfig } from './config/types.js';
import type { ConvertContext } from './datakit/context.js';
import { compileCustomerTags } from './datakit/customer-tags.js';
import { postProcess, type IoOptions } from './datakit/io.js';
import { convertLogs } from './datakit/logs.js';
import { convertMetrics } from './datakit/metrics.js';
import type { PointOrigins } from './datakit/origin.js';
import type { Category, Point } from './datakit/point.js';
import { convertTraces } from './datakit/trace.js';
import { traceFiltersFor, type TraceFilters } from './datakit/trace-filters.js';
import type { LogsRequest, MetricsRequest, Signal, TracesRequest } from './otlp/model.js';
import { RetryableError, type ExportResult, type ReceivedRequest } from './otlp/receiver.js';
import { fanOut, QueuedSink, QueueFullError, type Sink } from './sinks/index.js';

/** The DataKit category each OTLP signal becomes. */
export const CATEGORY_OF_SIGNAL: Readonly<Record<Signal, Category>> = { traces: 'tracing', metrics: 'metric', logs: 'logging' };

/** What each `[[inputs.opentelemetry]]` needs at request time, compiled once at startup. */
interface CompiledInput {
  /** The convert context but for the per-request `remoteIp`. */
  context: Omit<ConvertContext, 'remoteIp'>;
  traceFilters: TraceFilters | undefined;
}

/** Told how many points each handled request's items became (the self-metrics, metrics.ts). */
export interface ConversionObserver {
  converted(signal: Signal, items: number, points: number): void;
}

export interface PipelineOptions {
  config: GatewayConfig;
  sinks: readonly Sink[];
  /** The clock for DataKit's timestamp correction; injectable so fixtures stay stable. */
  now?: () => bigint;
  /** Told of each handled request's conversion (the receiver counted its items already). */
  observer?: ConversionObserver;
}

/**
 * convert → deliver: turns a decoded request into DataKit points (with io post-processing) and hands them to the
 * sinks. Resolves only when every sink has accepted them, so the client's 200 means "stored".
 */
export class Pipeline {
  private readonly compiled = new Map<OtelInputConfig, CompiledInput>();
  private readonly io: IoOptions;
  /** Whether some sink wants each point's OTLP item (recorded only then: it costs a map entry per point). */
  private readonly wantsOrigins: boolean;
  /** Per signal, the queued sinks its points go to: the ones whose room decides admission. */
  private readonly queuedBySignal: Readonly<Record<Signal, readonly QueuedSink[]>>;

  constructor(private readonly opts: PipelineOptions) {
    const { config } = opts;
    const { hostname, datakitVersion, globalHostTags } = config;
    for (const input of config.inputs) {
      this.compiled.set(input, {
        context: { input, customerTags: compileCustomerTags(input), hostname, datakitVersion, globalHostTags },
        traceFilters: traceFiltersFor(input),
      });
    }
    this.io = {
      hostname: config.hostname,
      globalHostTags: config.globalHostTags,
      autoTimestampCorrection: config.io.autoTimestampCorrection,
      now: opts.now ?? (() => BigInt(Date.now()) * 1_000_000n),
    };
    this.wantsOrigins = opts.sinks.some((s) => s.wantsOrigins === true);
    const queued = opts.sinks.filter((s): s is QueuedSink => s instanceof QueuedSink);
    const queuedFor = (signal: Signal) => queued.filter((s) => s.categories.has(CATEGORY_OF_SIGNAL[signal]));
    this.queuedBySignal = { traces: queuedFor('traces'), metrics: queuedFor('metrics'), logs: queuedFor('logs') };
  }

  /**
   * Load shedding for the receiver, before a request's body is read: when a queue this signal's points would go to
   * is full, refuse now (503 + Retry-After) rather than read, decompress and convert data that cannot be taken.
   */
  readonly admit = (signal: Signal): { retryAfterSeconds: number } | null => {
    let retryAfterSeconds = 0;
    for (const sink of this.queuedBySignal[signal]) {
      if (!sink.hasRoom()) retryAfterSeconds = Math.max(retryAfterSeconds, sink.retryAfterSeconds());
    }
    return retryAfterSeconds > 0 ? { retryAfterSeconds } : null;
  };

  /** Decoded OTLP → checked, post-processed DataKit points of the signal's category. */
  convert(
    signal: Signal,
    data: TracesRequest | MetricsRequest | LogsRequest,
    input: OtelInputConfig,
    remoteIp: string,
    origins?: PointOrigins,
  ): Point[] {
    const compiled = this.compiled.get(input);
    if (compiled === undefined) throw new Error('input is not part of this pipeline configuration');
    const ctx: ConvertContext = { ...compiled.context, remoteIp, origins };
    let points: Point[];
    if (signal === 'traces') points = convertTraces(data as TracesRequest, ctx, compiled.traceFilters);
    else if (signal === 'metrics') points = convertMetrics(data as MetricsRequest, ctx);
    else points = convertLogs(data as LogsRequest, ctx);
    return postProcess(points, this.io);
  }

  /**
   * Not an async function: a suspended async frame keeps `req` (the decoded request) and `points` alive until the
   * sinks are done, and with many requests in flight every scavenge copied and promoted them (issue 8). What waits
   * for the sinks below holds neither.
   */
  readonly handle = (req: ReceivedRequest): Promise<ExportResult> => {
    let delivered: Promise<void>;
    try {
      // Admitted before its body was read, but queues may have filled up while it was decoded: refusing now, before
      // any sink has it, spares the client's retry from being a duplicate in the sinks that did take it.
      const refusal = this.admit(req.signal);
      if (refusal) throw new RetryableError(`the gateway is overloaded: retry the ${req.signal} export later`, refusal.retryAfterSeconds);
      const origins = this.wantsOrigins ? new Map() : undefined;
      const points = this.convert(req.signal, req.data, req.input, req.remoteIp, origins);
      this.opts.observer?.converted(req.signal, req.items, points.length);
      delivered = fanOut(this.opts.sinks, {
        category: CATEGORY_OF_SIGNAL[req.signal],
        points,
        source: { signal: req.signal, encoding: req.encoding, body: req.body, data: req.data },
        session: req.session,
        origins,
        input: origins && req.input,
      });
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return delivered.then(storedAll, sinkRefusal);
  };
}

const storedAll = (): ExportResult => ({});

/** A sink that cannot take the data now (queue full, disk full) must not make the client drop it: 503 → retry. */
function sinkRefusal(err: unknown): never {
  const retryAfter = err instanceof QueueFullError ? err.retryAfterSeconds : 1;
  throw new RetryableError(`a sink could not store the data: ${(err as Error).message}`, retryAfter);
}
