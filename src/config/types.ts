/**
 * The resolved configuration: what `loadConfig()` returns after TOML parsing, env overrides, zod validation and
 * defaults. Every other stage reads this shape (or a narrower options object derived from it), never raw TOML.
 */

/** One `[[inputs.opentelemetry]]` table (DataKit 1.84 keys, datakit reference §1.2, plus our `strict_datakit`). */
export interface OtelInputConfig {
  customerTags: string[];
  /** `customer_tags_all` or the legacy `costomer_tags_all`: either one true turns it on. */
  customerTagsAll: boolean;
  keepRareResource: boolean;
  /** Parsed, no effect (DataKit Q17). */
  omitErrStatus: string[];
  compatibleDdtrace: boolean;
  compatibleZhaoshang: boolean;
  /** `spilt_service_name` (DataKit's spelling) or `split_service_name`; default true (Q15, Q16). */
  splitServiceName: boolean;
  delMessage: boolean;
  cleanMessage: boolean;
  /** KiB; > 0 (DataKit Q46 is refused at startup). */
  logMax: number;
  /** `protojson` | `gojson` | `jsoniter`; the last two are treated as protojson (documented). */
  jmarshaler: string;
  tracingMetricEnable: boolean;
  tracingMetricTagBlacklist: string[];
  tracingMetricTagWhitelist: string[];
  /** Ours: answer exactly as DataKit 1.84 would (exact content type, empty bodies, 400s, base64 JSON ids…). */
  strictDatakit: boolean;
  /** `[inputs.opentelemetry.http]`; `undefined` = table absent = no HTTP routes (as in DataKit). */
  http?: {
    httpStatusOk: number;
    traceApi: string;
    metricApi: string;
    logsApi: string;
  };
  /** `[inputs.opentelemetry.grpc]`; parsed and reported, gRPC is not served by this gateway. */
  grpc?: { addr: string; maxPayload: number };
  /** `[inputs.opentelemetry.tags]`, in file order. */
  tags: Record<string, string>;
  /** `[inputs.opentelemetry.close_resource]`: service (or "*") → regexes (invalid ones skipped, as DataKit). */
  closeResource: Record<string, string[]>;
  sampler?: { samplingRate: number };
  threads?: { buffer: number; threads: number };
  storage?: { path: string; capacity: number };
  expectedHeaders: Record<string, string>;
}

export type SinkTarget = 'stdout' | 'file';

export interface SinkConfig {
  target: SinkTarget;
  /** DataKit category letters resolved: which of tracing/metric/logging this sink gets. Default all three. */
  categories: Array<'tracing' | 'metric' | 'logging'>;
  /** Output format. `line-protocol` for now. */
  format: 'line-protocol';
  /** `file` target: the path written to (appended). */
  path?: string;
}

export interface GatewayConfig {
  /** The file the config was read from (absolute), or `null` for the embedded defaults. */
  source: string | null;
  /** `[http_api] listen`, as `host:port`. */
  listen: { host: string; port: number };
  /** `[environments] ENV_HOSTNAME` (process env ENV_HOSTNAME overrides), else the machine's hostname. */
  hostname: string;
  /** The DataKit version this gateway reports (`dk_fingerprint`, `/v1/ping`). `[gateway] datakit_version`. */
  datakitVersion: string;
  /** `[global_host_tags]`: added to every point (never overriding), as DataKit does. */
  globalHostTags: Record<string, string>;
  io: {
    /** `[io] auto_timestamp_correction` (env ENV_IO_AUTO_TIMESTAMP_CORRECTION), default true. */
    autoTimestampCorrection: boolean;
  };
  limits: {
    /** `[gateway] max_request_bytes`: the body as received (compressed). Default 64 MiB. */
    maxRequestBytes: number;
    /** `[gateway] max_decompressed_bytes`: after decompression. Default 64 MiB. */
    maxDecompressedBytes: number;
    /** `[gateway] max_json_depth`: nesting bound for JSON bodies. Default 100 (AnyValue levels). */
    maxJsonDepth: number;
  };
  /** `[dataway] urls` (reported at startup; delivery comes with the dataway sink). */
  dataway: { urls: string[] };
  inputs: OtelInputConfig[];
  sinks: SinkConfig[];
}
