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

export type SinkTarget = 'stdout' | 'file' | 'dataway' | 'otlp' | 'memory' | 'module';
export type SinkCategory = 'tracing' | 'metric' | 'logging';
/** How point sinks write: DataKit line protocol (default), or one JSON object per point per line. */
export type SinkFormat = 'line-protocol' | 'json-lines';
/** The stdout sink may also print for a person: one readable line per span, metric point or log (`console`). */
export type StdoutFormat = SinkFormat | 'console';

interface SinkBase {
  target: SinkTarget;
  /** DataKit category letters resolved: which of tracing/metric/logging this sink gets. Default all three. */
  categories: SinkCategory[];
}

/**
 * Delivery settings of a network sink (`dataway`, `otlp`): its own bounded queue, retries, optional disk spool.
 * Keys in `[[sinks.sink]]`: queue_max_points, queue_max_bytes, timeout_ms, retry_initial_ms, retry_max_ms,
 * retry_max_elapsed_ms, spool_dir, spool_max_bytes, drain_timeout_ms.
 */
export interface DeliveryConfig {
  /** Points (or items) waiting in memory before the receiver answers 503. Default 100 000. */
  queueMaxPoints: number;
  /** Encoded bytes waiting in memory before the receiver answers 503. Default 64 MiB. */
  queueMaxBytes: number;
  /** One send attempt. Default 10 000 ms. */
  timeoutMs: number;
  /** Exponential backoff with full jitter between retries: first delay and cap. Defaults 500 ms, 30 000 ms. */
  retryInitialMs: number;
  retryMaxMs: number;
  /** Give up on a batch after this long (spooled when a spool is set, else dropped and counted). Default 300 000 ms. */
  retryMaxElapsedMs: number;
  /** Optional on-disk spool: accepted batches survive a restart and are sent when the backend returns. */
  spoolDir?: string;
  /** Spool size cap; past it the oldest data is dropped and counted. Default 1 GiB. */
  spoolMaxBytes: number;
  /** On shutdown, how long to keep delivering before spooling (or dropping, counted) the rest. Default 5 000 ms. */
  drainTimeoutMs: number;
}

export interface StdoutSinkConfig extends SinkBase {
  target: 'stdout';
  format: StdoutFormat;
}

export interface FileSinkConfig extends SinkBase {
  target: 'file';
  format: SinkFormat;
  /** The path written to (appended). */
  path: string;
  /** Rotate when the file would grow past this many bytes (`path` → `path.1` → `path.2` …); 0 = never. Default 0. */
  maxFileBytes: number;
  /** Rotated files kept. Default 5. */
  maxFiles: number;
}

/** What DataKit does with `[dataway] urls`: POST line protocol to `<url>/v1/write/<category>?token=…`. */
export interface DatawaySinkConfig extends SinkBase {
  target: 'dataway';
  /** Base URL with its query (the token), e.g. `https://openway.guance.com?token=tkn_…`; default `[dataway] urls[0]`. */
  url: string;
  /** gzip request bodies. Default true. */
  gzip: boolean;
  delivery: DeliveryConfig;
}

/** Forwards the received OTLP requests to another OTLP/HTTP receiver (`<url>/v1/traces` …). */
export interface OtlpSinkConfig extends SinkBase {
  target: 'otlp';
  /** Base endpoint, as OTEL_EXPORTER_OTLP_ENDPOINT: `http://collector:4318`. */
  url: string;
  headers: Record<string, string>;
  /** gzip request bodies. Default true. */
  gzip: boolean;
  delivery: DeliveryConfig;
}

/** A bounded in-process store of points (the base of the query API). */
export interface MemorySinkConfig extends SinkBase {
  target: 'memory';
  /** Points kept; the oldest are evicted first. Default 100 000. */
  maxPoints: number;
  /** Approximate bytes kept (line protocol size). Default 256 MiB. */
  maxBytes: number;
  /** `snapshot_dir`: the fixture's golden files, relative to the config file's folder. Absent: `__snapshots__`. */
  snapshotDir?: string;
  /** `snapshot_ci`: a missing snapshot fails instead of being written. Absent: on when env `CI` is set (not "false"/"0"). */
  snapshotCi?: boolean;
}

/** A user's own sink: an ES module whose default export is a factory `(options, context) => Sink`. */
export interface ModuleSinkConfig extends SinkBase {
  target: 'module';
  /** Module path, resolved against the config file's folder (or the working directory). */
  path: string;
  /** `[sinks.sink.options]`, handed to the factory as is. */
  options: Record<string, unknown>;
}

export type SinkConfig =
  | StdoutSinkConfig
  | FileSinkConfig
  | DatawaySinkConfig
  | OtlpSinkConfig
  | MemorySinkConfig
  | ModuleSinkConfig;

/**
 * `[gateway]` auth, CORS and rate-limit keys. They apply to the OTLP routes of every input, with or without
 * `strict_datakit` (DataKit has its own, global, versions of CORS and the rate limit, datakit reference §2).
 */
export interface AccessControlConfig {
  /** `auth_token`: required as `Authorization: Bearer <token>` or `?token=<token>`; `null` = no auth (default). */
  authToken: string | null;
  cors: {
    /** `cors_allowed_origins`: exact origins, one `*` wildcard each (`https://*.example.com`), or `*`; empty = CORS off. */
    allowedOrigins: string[];
    /** `cors_allowed_headers`: allowed besides Content-Type, Content-Encoding and Authorization. */
    allowedHeaders: string[];
    /** `cors_max_age`: seconds a browser may cache a preflight answer. Default 7200. */
    maxAgeSeconds: number;
  };
  rateLimit: {
    /** `rate_limit_rps`: requests per second per client IP and route; 0 = off (default; DataKit uses 100). */
    rps: number;
    /** `rate_limit_burst`: bucket size. Default 500 (DataKit's). */
    burst: number;
  };
}

export interface GatewayConfig {
  /** The file the config was read from (absolute), or `null` for the embedded defaults. */
  source: string | null;
  /** `[http_api] listen`, as `host:port`. */
  listen: { host: string; port: number };
  /**
   * `[http_api.tls]` (DataKit's keys `cert`, `privkey`): absolute paths, resolved against the config file's folder
   * and found readable at load. Set: HTTPS, with HTTP/2 for clients that negotiate it (ALPN). `null`: plain HTTP.
   */
  tls: { certFile: string; keyFile: string } | null;
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
    /** `[gateway] max_concurrent_requests`: OTLP requests read, decoded and converted at once, per process. Default 4. */
    maxConcurrentRequests: number;
    /** `[gateway] max_queued_requests`: requests waiting for one of those slots; more → 503 + Retry-After. Default 256. */
    maxQueuedRequests: number;
    /** `[gateway] queue_wait_ms`: longest wait for a slot; longer → 503 + Retry-After. Default 200. */
    queueWaitMs: number;
  };
  /** Our access control on the OTLP routes (receiver checklist 35, 36); everything off by default. */
  access: AccessControlConfig;
  /** `[gateway] workers`: processes serving the port (src/workers.ts; `--workers` overrides); 0 = one per core. Default 1. */
  workers: number;
  /** `[gateway] metrics`: serve self-metrics on `GET /metrics` (open, like /health and /ready). Default true. */
  metrics: boolean;
  /** `[dataway] urls` (reported at startup; delivery comes with the dataway sink). */
  dataway: { urls: string[] };
  inputs: OtelInputConfig[];
  sinks: SinkConfig[];
}
