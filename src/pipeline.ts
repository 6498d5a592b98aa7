import type { GatewayConfig, OtelInputConfig } from './config/types.js';
import type { ConvertContext, CustomerTagsMatcher } from './datakit/context.js';
import { compileCustomerTags } from './datakit/customer-tags.js';
import { postProcess, type IoOptions } from './datakit/io.js';
import { convertLogs } from './datakit/logs.js';
import { convertMetrics } from './datakit/metrics.js';
import type { Category, Point } from './datakit/point.js';
import { convertTraces } from './datakit/trace.js';
import { traceFiltersFor, type TraceFilters } from './datakit/trace-filters.js';
import type { LogsRequest, MetricsRequest, Signal, TracesRequest } from './otlp/model.js';
import { RetryableError, type ExportResult, type ReceivedRequest } from './otlp/receiver.js';
import { fanOut, type Sink } from './sinks/index.js';

const CATEGORY: Readonly<Record<Signal, Category>> = { traces: 'tracing', metrics: 'metric', logs: 'logging' };

/** What each `[[inputs.opentelemetry]]` needs at request time, compiled once at startup. */
interface CompiledInput {
  customerTags: CustomerTagsMatcher;
  traceFilters: TraceFilters | undefined;
}

export interface PipelineOptions {
  config: GatewayConfig;
  sinks: readonly Sink[];
  /** The clock for DataKit's timestamp correction; injectable so fixtures stay stable. */
  now?: () => bigint;
}

/**
 * convert → deliver: turns a decoded request into DataKit points (with io post-processing) and hands them to the
 * sinks. Resolves only when every sink has accepted them, so the client's 200 means "stored".
 */
export class Pipeline {
  private readonly compiled = new Map<OtelInputConfig, CompiledInput>();
  private readonly io: IoOptions;

  constructor(private readonly opts: PipelineOptions) {
    const { config } = opts;
    for (const input of config.inputs) {
      this.compiled.set(input, { customerTags: compileCustomerTags(input), traceFilters: traceFiltersFor(input) });
    }
    this.io = {
      hostname: config.hostname,
      globalHostTags: config.globalHostTags,
      autoTimestampCorrection: config.io.autoTimestampCorrection,
      now: opts.now ?? (() => BigInt(Date.now()) * 1_000_000n),
    };
  }

  /** Decoded OTLP → checked, post-processed DataKit points of the signal's category. */
  convert(signal: Signal, data: TracesRequest | MetricsRequest | LogsRequest, input: OtelInputConfig, remoteIp: string): Point[] {
    const compiled = this.compiled.get(input);
    if (compiled === undefined) throw new Error('input is not part of this pipeline configuration');
    const { config } = this.opts;
    const ctx: ConvertContext = {
      input,
      customerTags: compiled.customerTags,
      hostname: config.hostname,
      datakitVersion: config.datakitVersion,
      globalHostTags: config.globalHostTags,
      remoteIp,
    };
    let points: Point[];
    if (signal === 'traces') points = convertTraces(data as TracesRequest, ctx, compiled.traceFilters);
    else if (signal === 'metrics') points = convertMetrics(data as MetricsRequest, ctx);
    else points = convertLogs(data as LogsRequest, ctx);
    return postProcess(points, this.io);
  }

  readonly handle = async (req: ReceivedRequest): Promise<ExportResult> => {
    const points = this.convert(req.signal, req.data, req.input, req.remoteIp);
    try {
      await fanOut(this.opts.sinks, { category: CATEGORY[req.signal], points });
    } catch (err) {
      // A sink that cannot take the data now (disk full, backend down) must not make the client drop it: 503 → retry.
      throw new RetryableError(`a sink could not store the data: ${(err as Error).message}`, 1);
    }
    return {};
  };
}
