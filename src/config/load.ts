/**
 * Loads a DataKit-shaped TOML config: parse → validate (schema.ts) → environment overrides (env.ts) → checks that
 * need the final values (regexes, routes). Every problem is collected and reported at once in a ConfigError.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import toml from 'toml';
import { applyInputEnv, resolveAutoTimestampCorrection, resolveHostname } from './env.js';
import { compileRe2, CUSTOMER_TAG_REGEX_PREFIX } from './regex.js';
import { configFile, formatPath, formatIssues, safeParseWithMessages, unknownInputKeys, type ConfigFile } from './schema.js';
import type { GatewayConfig, OtelInputConfig } from './types.js';

/** The embedded defaults: the example shipped at the package root (from src/config/ under tsx, dist/config/ built). */
const EXAMPLE_URL = new URL('../../datakit.conf.example', import.meta.url);
/** How messages name a config given as text. */
const TEXT_LABEL = 'config text';
const KNOWN_JMARSHALERS = new Set(['protojson', 'gojson', 'jsoniter']);

export class ConfigError extends Error {
  /** The file that was read, or `null` for a config given as text. */
  readonly file: string | null;
  /** One human-readable line per problem; the message lists them all. */
  readonly issues: string[];

  constructor(file: string | null, issues: string[]) {
    super(issues.join('\n'));
    this.name = 'ConfigError';
    this.file = file;
    this.issues = issues;
  }
}

export interface LoadOptions {
  /** A TOML file to read. */
  file?: string | null;
  /** Overrides; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** TOML given directly (`source` is then null). Neither `file` nor `text`: the embedded datakit.conf.example. */
  text?: string;
}

interface ConfigText {
  text: string;
  /** Absolute path, or null for text and the embedded defaults (GatewayConfig.source). */
  source: string | null;
  /** The file ConfigError names. */
  file: string | null;
  /** How messages name it. */
  label: string;
}

function readConfigText(opts: LoadOptions): ConfigText {
  if (opts.text !== undefined) {
    if (opts.file) throw new TypeError('loadConfig: give either `file` or `text`, not both');
    return { text: opts.text, source: null, file: null, label: TEXT_LABEL };
  }
  const path = opts.file ? resolve(opts.file) : fileURLToPath(EXAMPLE_URL);
  const label = opts.file ?? 'datakit.conf.example';
  try {
    return { text: readFileSync(path, 'utf8'), source: opts.file ? path : null, file: path, label };
  } catch (e) {
    throw new ConfigError(path, [`${label}: cannot read the file: ${(e as Error).message}`]);
  }
}

/** The toml package reports syntax errors with `location.start` and semantic ones (duplicate keys) with line/column. */
interface TomlError extends Error {
  line?: number;
  column?: number;
  location?: { start: { line: number; column: number } };
}

function parseToml(src: ConfigText): unknown {
  try {
    return toml.parse(src.text);
  } catch (e) {
    const err = e as TomlError;
    const line = err.line ?? err.location?.start.line;
    const column = err.column ?? err.location?.start.column;
    const at = line === undefined ? src.label : `${src.label}:${line}:${column}`;
    throw new ConfigError(src.file, [`${at}: TOML syntax error: ${err.message}`]);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Line numbers for warnings. The public toml API drops positions, so they come from the package's own parser; if its
// internals ever change, warnings simply lose their line numbers.

interface TomlNode {
  type: string;
  value: unknown;
  offset: number;
  key?: string[];
}

/** `<input index>:<dotted key>` → offset of the first assignment of that key inside `[[inputs.opentelemetry]]`. */
function inputKeyOffsets(text: string): Map<string, number> {
  const offsets = new Map<string, number>();
  try {
    const parser = createRequire(import.meta.url)('toml/lib/parser.js') as { parse(s: string): TomlNode[] };
    let index = -1;
    let table: string[] | null = null;
    for (const node of parser.parse(text)) {
      if (node.type === 'ArrayPath' || node.type === 'ObjectPath') {
        const path = node.value as string[];
        const inInput = path[0] === 'inputs' && path[1] === 'opentelemetry';
        if (inInput && path.length === 2 && node.type === 'ArrayPath') index++;
        table = inInput ? path.slice(2) : null;
      } else if (node.type === 'Assign' && table !== null && node.key) {
        const id = `${index}:${[...table, ...node.key].join('.')}`;
        if (!offsets.has(id)) offsets.set(id, node.offset);
      }
    }
  } catch {
    // No positions: the warnings go without line numbers.
  }
  return offsets;
}

const lineOf = (text: string, offset: number): number => {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
};

/** DataKit silently ignores unknown keys in its input table; we accept them too, but say so. */
function unknownInputKeyWarnings(doc: unknown, src: ConfigText): string[] {
  const tables = (doc as { inputs?: { opentelemetry?: unknown[] } }).inputs?.opentelemetry ?? [];
  const unknown = tables.flatMap((raw, i) => unknownInputKeys(raw).map((keyPath) => ({ i, keyPath })));
  if (unknown.length === 0) return [];
  const offsets = inputKeyOffsets(src.text);
  return unknown.map(({ i, keyPath }) => {
    const offset = offsets.get(`${i}:${keyPath.join('.')}`);
    const at = offset === undefined ? src.label : `${src.label}:${lineOf(src.text, offset)}`;
    const key = formatPath(['inputs', 'opentelemetry', i, ...keyPath]);
    return `${at}: unknown key ${key} is ignored (DataKit ignores it too)`;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Checks on the final inputs (after the environment, which can bring regexes and routes too).

interface Findings {
  issues: string[];
  warnings: string[];
}

function checkRegexes(inputs: readonly OtelInputConfig[], label: string, out: Findings): void {
  inputs.forEach((input, i) => {
    input.customerTags.forEach((entry, j) => {
      if (!entry.startsWith(CUSTOMER_TAG_REGEX_PREFIX)) return;
      try {
        compileRe2(entry.slice(CUSTOMER_TAG_REGEX_PREFIX.length));
      } catch (e) {
        // Q28: DataKit panics at startup on an invalid `reg:` entry; we refuse to start with a clear message.
        const key = formatPath(['inputs', 'opentelemetry', i, 'customer_tags', j]);
        out.issues.push(`${label}: ${key}: invalid regular expression ${JSON.stringify(entry)}: ${(e as Error).message}`);
      }
    });
    for (const [service, patterns] of Object.entries(input.closeResource)) {
      patterns.forEach((pattern, j) => {
        try {
          compileRe2(pattern);
        } catch (e) {
          // §1.4: DataKit silently skips a close_resource regex that does not compile.
          const key = formatPath(['inputs', 'opentelemetry', i, 'close_resource', service, j]);
          out.warnings.push(`${label}: ${key}: invalid regular expression ${JSON.stringify(pattern)} is skipped (as DataKit does): ${(e as Error).message}`);
        }
      });
    }
  });
}

const ROUTE_KEYS = [
  ['trace_api', 'traceApi'],
  ['metric_api', 'metricApi'],
  ['logs_api', 'logsApi'],
] as const;

function checkRoutes(inputs: readonly OtelInputConfig[], label: string, out: Findings): void {
  const owner = new Map<string, string>();
  inputs.forEach((input, i) => {
    if (!input.http) {
      out.warnings.push(`${label}: inputs.opentelemetry[${i}] has no [inputs.opentelemetry.http] table: it registers no routes (as in DataKit)`);
      return;
    }
    for (const [tomlKey, key] of ROUTE_KEYS) {
      const route = input.http[key];
      const where = formatPath(['inputs', 'opentelemetry', i, 'http', tomlKey]);
      const first = owner.get(route);
      if (first === undefined) owner.set(route, where);
      else out.issues.push(`${label}: ${where}: route ${JSON.stringify(route)} is already used by ${first}`);
    }
  });
  // gRPC is not served by this gateway, so an input without HTTP receives nothing.
  if (owner.size === 0) {
    out.issues.push(`${label}: inputs.opentelemetry: nothing to receive: no input has an [inputs.opentelemetry.http] table`);
  }
}

/** Settings DataKit honours that this gateway reads but does not emulate: say so rather than silently differ. */
function checkUnemulated(inputs: readonly OtelInputConfig[], label: string, out: Findings): void {
  inputs.forEach((input, i) => {
    const at = `${label}: inputs.opentelemetry[${i}]`;
    if (input.jmarshaler === 'gojson' || input.jmarshaler === 'jsoniter') {
      out.warnings.push(`${at}.jmarshaler: ${JSON.stringify(input.jmarshaler)} is not emulated, span messages are written as protojson`);
    } else if (!KNOWN_JMARSHALERS.has(input.jmarshaler)) {
      // §1.2: DataKit falls back to protojson for an unknown value.
      out.warnings.push(`${at}.jmarshaler: unknown value ${JSON.stringify(input.jmarshaler)}, protojson is used (as in DataKit)`);
    }
    if (input.grpc) out.warnings.push(`${at}.grpc: gRPC is not served by this gateway; use OTLP/HTTP`);
    if (input.tracingMetricEnable) out.warnings.push(`${at}.tracing_metric_enable: the tracing_metrics measurement is not emulated yet`);
    if (input.threads || input.storage) {
      out.warnings.push(`${at}: threads/storage (DataKit's asynchronous trace mode, Q42) are ignored: every request is decoded before it is answered`);
    }
  });
}

/**
 * `[http_api.tls]` paths are relative to the config file's folder (the working directory for config text), as
 * module sink paths are. Both files are read once here so that a wrong path or permission stops the start with the
 * key and the path named, rather than surfacing as a TLS error later.
 */
function resolveTls(file: ConfigFile, source: string | null, label: string, out: Findings): GatewayConfig['tls'] {
  const tls = file.http_api.tls;
  if (!tls) return null;
  const base = source === null ? process.cwd() : dirname(source);
  const resolved = { certFile: resolve(base, tls.cert), keyFile: resolve(base, tls.privkey) };
  for (const [key, path] of [['cert', resolved.certFile], ['privkey', resolved.keyFile]] as const) {
    try {
      readFileSync(path);
    } catch (e) {
      out.issues.push(`${label}: http_api.tls.${key}: cannot read ${JSON.stringify(path)} (${(e as NodeJS.ErrnoException).code})`);
    }
  }
  return resolved;
}

// ---------------------------------------------------------------------------------------------------------------

function assemble(file: ConfigFile, source: string | null, env: NodeJS.ProcessEnv, tls: GatewayConfig['tls'], warnings: string[]): GatewayConfig {
  return {
    source,
    listen: file.http_api.listen,
    tls,
    hostname: resolveHostname(env, file.environments.ENV_HOSTNAME),
    datakitVersion: file.gateway.datakit_version,
    globalHostTags: file.global_host_tags,
    io: { autoTimestampCorrection: resolveAutoTimestampCorrection(env, file.io.auto_timestamp_correction, warnings) },
    limits: {
      maxRequestBytes: file.gateway.max_request_bytes,
      maxDecompressedBytes: file.gateway.max_decompressed_bytes,
      maxJsonDepth: file.gateway.max_json_depth,
      maxConcurrentRequests: file.gateway.max_concurrent_requests,
      maxQueuedRequests: file.gateway.max_queued_requests,
      queueWaitMs: file.gateway.queue_wait_ms,
    },
    access: {
      authToken: file.gateway.auth_token ?? null,
      cors: {
        allowedOrigins: file.gateway.cors_allowed_origins,
        allowedHeaders: file.gateway.cors_allowed_headers,
        maxAgeSeconds: file.gateway.cors_max_age,
      },
      rateLimit: { rps: file.gateway.rate_limit_rps, burst: file.gateway.rate_limit_burst },
    },
    workers: file.gateway.workers,
    metrics: file.gateway.metrics,
    dataway: { urls: file.dataway.urls },
    inputs: file.inputs.opentelemetry,
    sinks: file.sinks.sink,
  };
}

/** Loads and validates a config; also returns what DataKit would silently ignore or skip, for the caller to log. */
export function loadConfigWithWarnings(opts: LoadOptions): { config: GatewayConfig; warnings: string[] } {
  const env = opts.env ?? process.env;
  const src = readConfigText(opts);
  const doc = parseToml(src);
  const parsed = safeParseWithMessages(configFile, doc);
  if (!parsed.success) throw new ConfigError(src.file, formatIssues(parsed.error.issues, src.label));

  const warnings = unknownInputKeyWarnings(doc, src);
  const findings: Findings = { issues: [], warnings };
  const tls = resolveTls(parsed.data, src.source, src.label, findings);
  const config = assemble(parsed.data, src.source, env, tls, warnings);
  warnings.push(...applyInputEnv(config.inputs, env));

  checkRegexes(config.inputs, src.label, findings);
  checkRoutes(config.inputs, src.label, findings);
  checkUnemulated(config.inputs, src.label, findings);
  if (findings.issues.length > 0) throw new ConfigError(src.file, findings.issues);
  return { config, warnings };
}

/** Loads and validates a config (warnings are dropped; use loadConfigWithWarnings to log them). */
export function loadConfig(opts: LoadOptions): GatewayConfig {
  return loadConfigWithWarnings(opts).config;
}
