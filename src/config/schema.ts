/**
 * The zod schema of a DataKit-shaped TOML config (datakit reference §1.1–1.2) and the error texts it produces.
 * Sub-tables of `[[inputs.opentelemetry]]` and `[[sinks.sink]]` transform straight into the resolved shapes of
 * types.ts; the top level stays snake_case and load.ts assembles it (it also needs the environment).
 */
import { z } from 'zod';
import { sinkTable, withDatawayUrls } from './sink-schema.js';
import type { OtelInputConfig } from './types.js';
import { positiveInt, stringTable } from './values.js';

/** §1.2: an empty route string falls back to these. */
const DEFAULT_ROUTES = {
  traceApi: '/otel/v1/traces',
  metricApi: '/otel/v1/metrics',
  logsApi: '/otel/v1/logs',
} as const;
/** §1.2: `max_payload ≤ 0` → 16 MiB. */
const DEFAULT_GRPC_MAX_PAYLOAD = 16_777_216;
/** DataKit's own default is `localhost:9529`; an explicit IPv4 loopback avoids resolving to `::1` only. */
const DEFAULT_LISTEN = '127.0.0.1:9529';
const DEFAULT_DATAKIT_VERSION = '1.84.1';
const DEFAULT_BODY_LIMIT = 64 * 1024 * 1024;
const DEFAULT_MAX_JSON_DEPTH = 100;
/**
 * Admission control (issue 8, src/otlp/admission.ts): requests read, decoded and converted at once per process (one
 * event loop: more only adds latency, a few overlap one body's network reads with another's decoding), how many wait
 * for a slot, and for how long. Chosen by measurement (bench, 256 connections): README, benchmark.
 */
const DEFAULT_MAX_CONCURRENT_REQUESTS = 4;
const DEFAULT_MAX_QUEUED_REQUESTS = 256;
const DEFAULT_QUEUE_WAIT_MS = 200;
/** Seconds a browser may cache a CORS preflight answer (the Collector's example value). */
const DEFAULT_CORS_MAX_AGE = 7200;
/** DataKit's API rate-limit burst (datakit reference §2); the rate itself defaults to off here. */
const DEFAULT_RATE_LIMIT_BURST = 500;
/** §1.2: the default `log_max`, KiB. */
const DEFAULT_LOG_MAX = 500;

// ---------------------------------------------------------------------------------------------------------------
// `[http_api] listen`

const LISTEN_HINT = 'expected "host:port" (IPv6 as "[::1]:9529", port 0 = any free port)';
const BRACKETED = /^\[([^\]]+)\]:(\d+)$/;
const PLAIN = /^([^:[\]\s]*):(\d+)$/;
const MAX_PORT = 65_535;

/**
 * Parses a Go-style listen address. `":9529"` (Go: all interfaces) becomes `0.0.0.0`; IPv6 needs brackets
 * because `::1:4318` is ambiguous. Throws an Error with a human message.
 */
export function parseListen(s: string): { host: string; port: number } {
  const m = BRACKETED.exec(s) ?? PLAIN.exec(s);
  if (m === null) throw new Error(`${LISTEN_HINT}, got ${JSON.stringify(s)}`);
  const port = Number(m[2]);
  if (port > MAX_PORT) throw new Error(`port ${m[2]} is above ${MAX_PORT}, got ${JSON.stringify(s)}`);
  return { host: m[1] === '' ? '0.0.0.0' : m[1], port };
}

const listen = z.string().transform((s, ctx) => {
  try {
    return parseListen(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

// ---------------------------------------------------------------------------------------------------------------
// `[http_api.tls]`: DataKit's own table and keys. DataKit's datakit.conf ships it empty (keys commented out), so an
// empty table, like empty strings (Go's zero value), means plain HTTP; one key without the other is refused.

const tlsTable = z
  .strictObject({ cert: z.string().default(''), privkey: z.string().default('') })
  .superRefine((t, ctx) => {
    if ((t.cert === '') === (t.privkey === '')) return;
    const [set, missing] = t.cert === '' ? ['privkey', 'cert'] : ['cert', 'privkey'];
    ctx.addIssue({ code: 'custom', path: [missing], message: `missing: ${set} is set, TLS needs both cert and privkey (neither = plain HTTP)` });
  })
  .transform((t) => (t.cert === '' ? null : { cert: t.cert, privkey: t.privkey }));

// ---------------------------------------------------------------------------------------------------------------
// Value types

const int = () => z.int({ error: 'expected an integer' });
export const stringList = z.array(z.string());
const NON_NEGATIVE = 'expected a number >= 0';
const nonNegative = () => z.number({ error: NON_NEGATIVE }).gte(0, { error: NON_NEGATIVE });
/** A CORS origin pattern: the prefix/suffix match in src/otlp/cors.ts supports one `*`. */
const originPattern = z.string().min(1).refine((s) => s.indexOf('*') === s.lastIndexOf('*'), { error: 'expected at most one "*" in an origin' });
/** A route path, or "" for the default (§1.2). */
const route = z.string().regex(/^(?:\/.*)?$/, { error: 'expected a path starting with "/" ("" = the default route)' });

// ---------------------------------------------------------------------------------------------------------------
// `[[inputs.opentelemetry]]` sub-tables. Loose, as DataKit ignores unknown keys (load.ts warns about them).
// The same schemas validate the JSON of the ENV_INPUT_OTEL_* variables (§1.3), whose field names are the same.

const httpShape = {
  /** Q18: never read; success is always 200. */
  http_status_ok: int().default(200),
  trace_api: route.default(''),
  metric_api: route.default(''),
  logs_api: route.default(''),
};
export const httpTable = z.looseObject(httpShape).transform((h) => ({
  httpStatusOk: h.http_status_ok,
  traceApi: h.trace_api || DEFAULT_ROUTES.traceApi,
  metricApi: h.metric_api || DEFAULT_ROUTES.metricApi,
  logsApi: h.logs_api || DEFAULT_ROUTES.logsApi,
}));

const grpcShape = { addr: z.string().default(''), max_payload: int().default(0) };
export const grpcTable = z.looseObject(grpcShape).transform((g) => ({
  addr: g.addr,
  maxPayload: g.max_payload > 0 ? g.max_payload : DEFAULT_GRPC_MAX_PAYLOAD,
}));

/** `sampling_rate` is required: Go's zero value would keep almost no trace, never what an empty table means. */
const samplerShape = { sampling_rate: z.number() };
const samplerTable = z.looseObject(samplerShape).transform((s) => ({ samplingRate: s.sampling_rate }));

const threadsShape = { buffer: int().default(0), threads: int().default(0) };
export const threadsTable = z.looseObject(threadsShape).transform((t) => ({ buffer: t.buffer, threads: t.threads }));

const storageShape = { path: z.string().default(''), capacity: int().default(0) };
export const storageTable = z.looseObject(storageShape).transform((s) => ({ path: s.path, capacity: s.capacity }));

export const closeResourceTable = z.record(z.string(), stringList);

// ---------------------------------------------------------------------------------------------------------------
// `[[inputs.opentelemetry]]`

const inputShape = {
  customer_tags: stringList.default(() => []),
  customer_tags_all: z.boolean().optional(),
  /** The pre-1.80.1 misspelling, still read (§1.2). */
  costomer_tags_all: z.boolean().optional(),
  keep_rare_resource: z.boolean().default(false),
  omit_err_status: stringList.default(() => []),
  compatible_ddtrace: z.boolean().default(false),
  compatible_zhaoshang: z.boolean().default(false),
  /** Q15: DataKit reads only this misspelled key. */
  spilt_service_name: z.boolean().optional(),
  /** Q15: the documented spelling, accepted here as a documented improvement. */
  split_service_name: z.boolean().optional(),
  del_message: z.boolean().default(false),
  clean_message: z.boolean().default(true),
  /** Q46: ≤ 0 hangs or crashes DataKit; refused here. */
  log_max: positiveInt().default(DEFAULT_LOG_MAX),
  /** Any string, as DataKit; only protojson output is produced (gojson/jsoniter differ in whitespace only, Q23). */
  jmarshaler: z.string().default('protojson'),
  tracing_metric_enable: z.boolean().default(false),
  tracing_metric_tag_blacklist: stringList.default(() => ['resource']),
  tracing_metric_tag_whitelist: stringList.default(() => []),
  strict_datakit: z.boolean().default(false),
  /** Deprecated in DataKit: read and ignored (§1.2). */
  pipelines: z.unknown().optional(),
  ignore_attribute_keys: z.unknown().optional(),
  http: httpTable.optional(),
  grpc: grpcTable.optional(),
  tags: stringTable.default(() => ({})),
  close_resource: closeResourceTable.default(() => ({})),
  sampler: samplerTable.optional(),
  threads: threadsTable.optional(),
  storage: storageTable.optional(),
  expected_headers: stringTable.default(() => ({})),
};

/** Known keys of the input table and of its sub-tables that have fixed keys: everything else is ignored (and warned). */
const INPUT_KEYS = new Set(Object.keys(inputShape));
const INPUT_SUBTABLE_KEYS: Record<string, ReadonlySet<string>> = {
  http: new Set(Object.keys(httpShape)),
  grpc: new Set(Object.keys(grpcShape)),
  sampler: new Set(Object.keys(samplerShape)),
  threads: new Set(Object.keys(threadsShape)),
  storage: new Set(Object.keys(storageShape)),
};

const isTable = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** The key paths of one raw `[[inputs.opentelemetry]]` table that DataKit would silently ignore. */
export function unknownInputKeys(raw: unknown): string[][] {
  if (!isTable(raw)) return [];
  const unknown: string[][] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (!INPUT_KEYS.has(key)) unknown.push([key]);
    const subKeys = INPUT_SUBTABLE_KEYS[key];
    if (subKeys === undefined || !isTable(value)) continue;
    for (const sub of Object.keys(value)) if (!subKeys.has(sub)) unknown.push([key, sub]);
  }
  return unknown;
}

type RawInput = z.output<z.ZodObject<typeof inputShape>>;

function toInputConfig(r: RawInput): OtelInputConfig {
  const input: OtelInputConfig = {
    customerTags: r.customer_tags,
    customerTagsAll: r.customer_tags_all === true || r.costomer_tags_all === true,
    keepRareResource: r.keep_rare_resource,
    omitErrStatus: r.omit_err_status,
    compatibleDdtrace: r.compatible_ddtrace,
    compatibleZhaoshang: r.compatible_zhaoshang,
    splitServiceName: r.spilt_service_name ?? r.split_service_name ?? true,
    delMessage: r.del_message,
    cleanMessage: r.clean_message,
    logMax: r.log_max,
    // §1.2: an empty value means protojson.
    jmarshaler: r.jmarshaler || 'protojson',
    tracingMetricEnable: r.tracing_metric_enable,
    tracingMetricTagBlacklist: r.tracing_metric_tag_blacklist,
    tracingMetricTagWhitelist: r.tracing_metric_tag_whitelist,
    strictDatakit: r.strict_datakit,
    tags: r.tags,
    closeResource: r.close_resource,
    expectedHeaders: r.expected_headers,
  };
  // Absent sub-tables stay absent (not `undefined`): presence is what switches a feature on (§1.1).
  if (r.http) input.http = r.http;
  if (r.grpc) input.grpc = r.grpc;
  if (r.sampler) input.sampler = r.sampler;
  if (r.threads) input.threads = r.threads;
  if (r.storage) input.storage = r.storage;
  return input;
}

const inputTable = z
  .looseObject(inputShape)
  .superRefine((r, ctx) => {
    const { spilt_service_name: spilt, split_service_name: split } = r;
    if (spilt !== undefined && split !== undefined && spilt !== split) {
      ctx.addIssue({
        code: 'custom',
        path: ['split_service_name'],
        message: `is ${split} but spilt_service_name (DataKit's spelling, Q15) is ${spilt}; set only one`,
      });
    }
  })
  .transform(toInputConfig);

// ---------------------------------------------------------------------------------------------------------------
// The whole file. Tables use `prefault({})` so that their own defaults apply when the table is absent.

/** `[inputs.opentelemetry]` (single brackets) is a plain table: say what to write instead. */
const arrayOfTables =
  (name: string) =>
  (issue: z.core.$ZodRawIssue): string | undefined =>
    issue.code === 'invalid_type' ? `expected [[${name}]] tables (double brackets)` : undefined;
const NOTHING_TO_RECEIVE = 'nothing to receive: add an [[inputs.opentelemetry]] table with [inputs.opentelemetry.http]';

export const configFile = z.strictObject({
  http_api: z.strictObject({ listen: listen.prefault(DEFAULT_LISTEN), tls: tlsTable.optional() }).prefault({}),
  environments: z.strictObject({ ENV_HOSTNAME: z.string().optional() }).prefault({}),
  global_host_tags: stringTable.default(() => ({})),
  io: z.strictObject({ auto_timestamp_correction: z.boolean().default(true) }).prefault({}),
  gateway: z
    .strictObject({
      datakit_version: z.string().min(1).default(DEFAULT_DATAKIT_VERSION),
      max_request_bytes: positiveInt().default(DEFAULT_BODY_LIMIT),
      max_decompressed_bytes: positiveInt().default(DEFAULT_BODY_LIMIT),
      max_json_depth: positiveInt().default(DEFAULT_MAX_JSON_DEPTH),
      max_concurrent_requests: positiveInt().default(DEFAULT_MAX_CONCURRENT_REQUESTS),
      max_queued_requests: nonNegative().int({ error: 'expected an integer' }).default(DEFAULT_MAX_QUEUED_REQUESTS),
      queue_wait_ms: nonNegative().int({ error: 'expected an integer' }).default(DEFAULT_QUEUE_WAIT_MS),
      // Processes serving the port (src/workers.ts); 0 = one per core.
      workers: nonNegative().int({ error: 'expected an integer' }).default(1),
      auth_token: z.string().min(1).optional(),
      cors_allowed_origins: z.array(originPattern).default(() => []),
      cors_allowed_headers: stringList.default(() => []),
      cors_max_age: nonNegative().int({ error: 'expected an integer' }).default(DEFAULT_CORS_MAX_AGE),
      rate_limit_rps: nonNegative().default(0),
      rate_limit_burst: positiveInt().default(DEFAULT_RATE_LIMIT_BURST),
      metrics: z.boolean().default(true),
    })
    .prefault({}),
  dataway: z.strictObject({ urls: stringList.default(() => []) }).prefault({}),
  inputs: z
    .strictObject({
      opentelemetry: z
        .array(inputTable, { error: arrayOfTables('inputs.opentelemetry') })
        .superRefine((inputs, ctx) => {
          if (inputs.length === 0) ctx.addIssue({ code: 'custom', message: NOTHING_TO_RECEIVE });
        })
        .prefault([]),
    })
    .prefault({}),
  sinks: z.strictObject({ sink: z.array(sinkTable, { error: arrayOfTables('sinks.sink') }).min(1).prefault([{ target: 'stdout' }]) }).prefault({}),
}).transform((file, ctx) => ({ ...file, sinks: { sink: withDatawayUrls(file.sinks.sink, file.dataway.urls, ctx) } }));
export type ConfigFile = z.output<typeof configFile>;

// ---------------------------------------------------------------------------------------------------------------
// Error texts: `<where>: <key path>: <what was expected>, got <what>`

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  array: 'an array',
  object: 'a table',
  record: 'a table',
};

/** Parse-level error map: one wording for every schema above (schema-level `error`s take precedence). */
export function issueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case 'too_small':
    case 'too_big': {
      const limit = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      if (issue.origin === 'array') {
        return `expected ${issue.code === 'too_small' ? 'at least' : 'at most'} ${limit} ${limit === 1 ? 'entry' : 'entries'}`;
      }
      if (issue.origin === 'string') return issue.code === 'too_small' ? 'expected a non-empty string' : `expected at most ${limit} characters`;
      const op = (issue.code === 'too_small' ? '>' : '<') + (issue.inclusive ? '=' : '');
      return `expected a number ${op} ${limit}`;
    }
    case 'invalid_value':
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`;
    default:
      return undefined;
  }
}

/** A value as a TOML user would name it. */
function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  if (v instanceof Date) return 'a date';
  if (Array.isArray(v)) return v.length === 0 ? '[]' : 'an array';
  if (typeof v === 'object' && v !== null) return 'a table';
  return JSON.stringify(v);
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/** `['inputs', 'opentelemetry', 0, 'tags', 'a.b']` → `inputs.opentelemetry[0].tags."a.b"`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const key = String(seg);
      out += (out === '' ? '' : '.') + (BARE_KEY.test(key) ? key : JSON.stringify(key));
    }
  }
  return out;
}

/**
 * One line per problem, `<where>: <key path>: <message>` (`where` = the file, or null for no prefix); an
 * unknown-keys issue becomes one line per key, each naming the full key path.
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[], where: string | null): string[] {
  const lines: string[] = [];
  const line = (path: readonly PropertyKey[], message: string): void => {
    lines.push([where, path.length === 0 ? null : formatPath(path), message].filter((s) => s !== null).join(': '));
  };
  for (const issue of issues) {
    const { path } = issue;
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) line([...path, key], 'unknown key');
    } else {
      // Custom issues word their own message; the others say what came instead.
      line(path, issue.code === 'custom' ? issue.message : `${issue.message}, got ${describe(issue.input)}`);
    }
  }
  return lines;
}

/** Parses with the wording above and the offending values reported. */
export function safeParseWithMessages<T extends z.ZodType>(schema: T, value: unknown): z.ZodSafeParseResult<z.output<T>> {
  return schema.safeParse(value, { error: issueMessage, reportInput: true });
}
