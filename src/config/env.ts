/**
 * Environment overrides, as DataKit reads them (datakit reference §1.3, §11): `ENV_INPUT_OTEL_*` replace the TOML
 * value in every `[[inputs.opentelemetry]]`; a value that does not parse is ignored with a warning, as DataKit logs
 * and ignores it. JSON values are checked with the same schemas as the TOML tables (their field names are equal).
 */
import { hostname as machineHostname } from 'node:os';
import type { z } from 'zod';
import {
  closeResourceTable,
  formatIssues,
  grpcTable,
  httpTable,
  safeParseWithMessages,
  storageTable,
  stringList,
  threadsTable,
} from './schema.js';
import type { OtelInputConfig } from './types.js';
import { stringTable } from './values.js';

const INPUT_PREFIX = 'ENV_INPUT_OTEL_';

/** Go's `strconv.ParseBool` spellings, exactly (§1.3). */
const TRUE_SPELLINGS = ['1', 't', 'T', 'TRUE', 'true', 'True'];
const FALSE_SPELLINGS = ['0', 'f', 'F', 'FALSE', 'false', 'False'];
/** Decimal floats as `strconv.ParseFloat` reads them; its inf/NaN/hex forms make no sense for a sampling rate. */
const DECIMAL_FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function parseGoBool(raw: string): boolean {
  if (TRUE_SPELLINGS.includes(raw)) return true;
  if (FALSE_SPELLINGS.includes(raw)) return false;
  throw new Error(`expected a boolean (${[...TRUE_SPELLINGS, ...FALSE_SPELLINGS].join(', ')})`);
}

function parseDecimal(raw: string): number {
  if (!DECIMAL_FLOAT.test(raw)) throw new Error('expected a decimal number');
  return Number(raw);
}

function parseJson<T>(schema: z.ZodType<T, unknown>, raw: string): T {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    throw new Error(`not valid JSON (${(e as Error).message})`);
  }
  const r = safeParseWithMessages(schema, value);
  if (!r.success) throw new Error(formatIssues(r.error.issues, null).join('; '));
  return r.data;
}

/** Parses a variable's value once and returns how to apply it to one input. */
type Override = (raw: string) => (input: OtelInputConfig) => void;

const bool =
  (set: (input: OtelInputConfig, v: boolean) => void): Override =>
  (raw) => {
    const v = parseGoBool(raw);
    return (input) => set(input, v);
  };

const json =
  <T>(schema: z.ZodType<T, unknown>, set: (input: OtelInputConfig, v: T) => void): Override =>
  (raw) => {
    const v = parseJson(schema, raw);
    // Each input gets its own copy: the stages may keep references to these objects.
    return (input) => set(input, structuredClone(v));
  };

/** §1.3, in DataKit's order. There is no variable for `log_max`, `jmarshaler` or `compatible_zhaoshang`. */
const INPUT_OVERRIDES: Record<string, Override> = {
  CUSTOMER_TAGS: json(stringList, (i, v) => void (i.customerTags = v)),
  CUSTOMER_TAGS_ALL: bool((i, v) => void (i.customerTagsAll = v)),
  KEEP_RARE_RESOURCE: bool((i, v) => void (i.keepRareResource = v)),
  OMIT_ERR_STATUS: json(stringList, (i, v) => void (i.omitErrStatus = v)),
  CLOSE_RESOURCE: json(closeResourceTable, (i, v) => void (i.closeResource = v)),
  // Creates the sampler when the file has none; its only setting is the rate.
  SAMPLER: (raw) => {
    const samplingRate = parseDecimal(raw);
    return (i) => void (i.sampler = { samplingRate });
  },
  TAGS: json(stringTable, (i, v) => void (i.tags = v)),
  THREADS: json(threadsTable, (i, v) => void (i.threads = v)),
  STORAGE: json(storageTable, (i, v) => void (i.storage = v)),
  // Replaces the whole block, and so turns HTTP ingest on.
  HTTP: json(httpTable, (i, v) => void (i.http = v)),
  GRPC: json(grpcTable, (i, v) => void (i.grpc = v)),
  EXPECTED_HEADERS: json(stringTable, (i, v) => void (i.expectedHeaders = v)),
  DEL_MESSAGE: bool((i, v) => void (i.delMessage = v)),
  COMPATIBLE_DDTRACE: bool((i, v) => void (i.compatibleDdtrace = v)),
  // Sets the split flag itself, whatever the TOML spelling (Q15).
  SPLIT_SERVICE_NAME: bool((i, v) => void (i.splitServiceName = v)),
  CLEAN_MESSAGE: bool((i, v) => void (i.cleanMessage = v)),
  TRACING_METRIC_ENABLE: bool((i, v) => void (i.tracingMetricEnable = v)),
  TRACING_METRIC_TAG_BLACKLIST: json(stringList, (i, v) => void (i.tracingMetricTagBlacklist = v)),
  TRACING_METRIC_TAG_WHITELIST: json(stringList, (i, v) => void (i.tracingMetricTagWhitelist = v)),
};

const ignored = (name: string, raw: string, e: unknown): string =>
  `${name}='${raw}': ${(e as Error).message}; ignored (DataKit ignores it too)`;

/** Applies every set `ENV_INPUT_OTEL_*` variable to every input (in place); returns the warnings. */
export function applyInputEnv(inputs: readonly OtelInputConfig[], env: NodeJS.ProcessEnv): string[] {
  const warnings: string[] = [];
  for (const [suffix, override] of Object.entries(INPUT_OVERRIDES)) {
    const name = INPUT_PREFIX + suffix;
    const raw = env[name];
    // Set but empty still counts as set (DataKit checks presence); it then fails to parse.
    if (raw === undefined) continue;
    let apply: (input: OtelInputConfig) => void;
    try {
      apply = override(raw);
    } catch (e) {
      warnings.push(ignored(name, raw, e));
      continue;
    }
    for (const input of inputs) apply(input);
  }
  return warnings;
}

/** §11: process env `ENV_HOSTNAME`, then `[environments] ENV_HOSTNAME`, then the machine's name (empty = unset). */
export function resolveHostname(env: NodeJS.ProcessEnv, fromFile: string | undefined): string {
  return env.ENV_HOSTNAME || fromFile || machineHostname();
}

/** §11: `ENV_IO_AUTO_TIMESTAMP_CORRECTION` (bool) overrides `[io] auto_timestamp_correction`. */
export function resolveAutoTimestampCorrection(env: NodeJS.ProcessEnv, fromFile: boolean, warnings: string[]): boolean {
  const name = 'ENV_IO_AUTO_TIMESTAMP_CORRECTION';
  const raw = env[name];
  if (raw === undefined) return fromFile;
  try {
    return parseGoBool(raw);
  } catch (e) {
    warnings.push(ignored(name, raw, e));
    return fromFile;
  }
}
