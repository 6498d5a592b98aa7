/**
 * `[[sinks.sink]]` (ours; DataKit's sinker uses the same table name): `target` picks the sink, the other keys are the
 * snake_case of its config type's fields (types.ts). A key another target uses is refused naming the target, so a
 * `spool_dir` on a file sink does not silently do nothing.
 */
import { z } from 'zod';
import type { DatawaySinkConfig, DeliveryConfig, SinkCategory, SinkConfig, SinkTarget } from './types.js';
import { positiveInt, stringTable } from './values.js';

const MiB = 1024 * 1024;

/** DataKit's category letters. */
const CATEGORY_BY_LETTER = { T: 'tracing', M: 'metric', L: 'logging' } as const;
type CategoryLetter = keyof typeof CATEGORY_BY_LETTER;
const ALL_LETTERS = Object.keys(CATEGORY_BY_LETTER) as [CategoryLetter, ...CategoryLetter[]];
const TARGETS = ['stdout', 'file', 'dataway', 'otlp', 'memory', 'module'] as const satisfies readonly SinkTarget[];

const NON_NEGATIVE_INT = 'expected an integer >= 0';
const nonNegativeInt = () => z.number({ error: NON_NEGATIVE_INT }).int({ error: NON_NEGATIVE_INT }).gte(0, { error: NON_NEGATIVE_INT });
const HTTP_URL = 'expected an http:// or https:// URL';

export function isHttpUrl(s: string): boolean {
  try {
    const { protocol } = new URL(s);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

const httpUrl = z.string().refine(isHttpUrl, { error: HTTP_URL });
const format = z.enum(['line-protocol', 'json-lines']).default('line-protocol');
const stdoutFormat = z.enum(['console', 'line-protocol', 'json-lines']).default('line-protocol');
const gzip = z.boolean().default(true);

const deliveryShape = {
  queue_max_points: positiveInt().default(100_000),
  queue_max_bytes: positiveInt().default(64 * MiB),
  timeout_ms: positiveInt().default(10_000),
  retry_initial_ms: positiveInt().default(500),
  retry_max_ms: positiveInt().default(30_000),
  retry_max_elapsed_ms: positiveInt().default(300_000),
  spool_dir: z.string().min(1).optional(),
  spool_max_bytes: positiveInt().default(1024 * MiB),
  drain_timeout_ms: nonNegativeInt().default(5_000),
};

/** Each target's own keys; `url` and `path` are checked for presence by `requiredKeys` (to word the message). */
const SHAPES = {
  stdout: { format: stdoutFormat },
  file: {
    format,
    path: z.string().min(1).optional(),
    max_file_bytes: nonNegativeInt().default(0),
    max_files: positiveInt().default(5),
  },
  // `url` defaults to `[dataway] urls[0]`, filled in by `withDatawayUrls` (it needs the other table).
  dataway: { url: httpUrl.optional(), gzip, ...deliveryShape },
  otlp: { url: httpUrl.optional(), headers: stringTable.default(() => ({})), gzip, ...deliveryShape },
  memory: {
    max_points: positiveInt().default(100_000),
    max_bytes: positiveInt().default(256 * MiB),
    snapshot_dir: z.string().min(1).optional(),
    snapshot_ci: z.boolean().optional(),
  },
  module: { path: z.string().min(1).optional(), options: z.record(z.string(), z.unknown()).default(() => ({})) },
} satisfies Record<SinkTarget, z.ZodRawShape>;

const REQUIRED: Partial<Record<SinkTarget, readonly string[]>> = { file: ['path'], otlp: ['url'], module: ['path'] };

const COMMON_KEYS = new Set(['target', 'categories']);
const KEYS = Object.fromEntries(TARGETS.map((t) => [t, new Set(Object.keys(SHAPES[t]))])) as Record<string, ReadonlySet<string>> as Record<SinkTarget, ReadonlySet<string>>;
const ANY_TARGET_KEYS = new Set(TARGETS.flatMap((t) => [...KEYS[t]]));

type Raw<T extends SinkTarget> = z.output<z.ZodObject<(typeof SHAPES)[T]>> & { categories: CategoryLetter[] };

function toDelivery(r: Raw<'dataway' | 'otlp'>): DeliveryConfig {
  const delivery: DeliveryConfig = {
    queueMaxPoints: r.queue_max_points,
    queueMaxBytes: r.queue_max_bytes,
    timeoutMs: r.timeout_ms,
    retryInitialMs: r.retry_initial_ms,
    retryMaxMs: r.retry_max_ms,
    retryMaxElapsedMs: r.retry_max_elapsed_ms,
    spoolMaxBytes: r.spool_max_bytes,
    drainTimeoutMs: r.drain_timeout_ms,
  };
  if (r.spool_dir !== undefined) delivery.spoolDir = r.spool_dir;
  return delivery;
}

const categoriesOf = (letters: CategoryLetter[]): SinkCategory[] => [...new Set(letters)].map((l) => CATEGORY_BY_LETTER[l]);

/** A dataway sink whose `url` may still come from `[dataway] urls`. */
export type ParsedSinkConfig = Exclude<SinkConfig, DatawaySinkConfig> | (Omit<DatawaySinkConfig, 'url'> & { url: string | undefined });

/** The raw table of one target → its resolved config (types.ts). Required keys are present by now. */
const RESOLVE: { [T in SinkTarget]: (r: Raw<T>) => ParsedSinkConfig } = {
  stdout: (r) => ({ target: 'stdout', categories: categoriesOf(r.categories), format: r.format }),
  file: (r) => ({
    target: 'file',
    categories: categoriesOf(r.categories),
    format: r.format,
    path: r.path!,
    maxFileBytes: r.max_file_bytes,
    maxFiles: r.max_files,
  }),
  dataway: (r) => ({ target: 'dataway', categories: categoriesOf(r.categories), url: r.url, gzip: r.gzip, delivery: toDelivery(r) }),
  otlp: (r) => ({ target: 'otlp', categories: categoriesOf(r.categories), url: r.url!, headers: r.headers, gzip: r.gzip, delivery: toDelivery(r) }),
  memory: (r) => ({
    target: 'memory',
    categories: categoriesOf(r.categories),
    maxPoints: r.max_points,
    maxBytes: r.max_bytes,
    // Absent keys stay absent: the defaults depend on the config file's folder and the environment (memory-sink.ts).
    ...(r.snapshot_dir !== undefined && { snapshotDir: r.snapshot_dir }),
    ...(r.snapshot_ci !== undefined && { snapshotCi: r.snapshot_ci }),
  }),
  module: (r) => ({ target: 'module', categories: categoriesOf(r.categories), path: r.path!, options: r.options }),
};

const categories = z.array(z.enum(ALL_LETTERS)).min(1).default(() => [...ALL_LETTERS]);

/** One target's keys, then its resolved config. */
const option = <T extends SinkTarget>(target: T) =>
  z.looseObject({ target: z.literal(target), categories, ...SHAPES[target] }).transform((r) => RESOLVE[target](r as unknown as Raw<T>));

const common = z.looseObject({ target: z.enum(TARGETS), categories });

// Typed by its output only: each option's input is narrower than `common`'s output, which the checks above ensure.
const byTarget = z.discriminatedUnion('target', [
  option('stdout'),
  option('file'),
  option('dataway'),
  option('otlp'),
  option('memory'),
  option('module'),
]) as unknown as z.ZodType<ParsedSinkConfig, z.output<typeof common>>;

/** Keys that belong to another target, or to none; required keys that are missing. */
function checkKeys(table: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const target = table.target as SinkTarget;
  for (const key of Object.keys(table)) {
    if (COMMON_KEYS.has(key) || KEYS[target].has(key)) continue;
    const message = ANY_TARGET_KEYS.has(key) ? `not used by target "${target}"` : 'unknown key';
    ctx.addIssue({ code: 'custom', path: [key], message });
  }
  for (const key of REQUIRED[target] ?? []) {
    if (table[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `required when target = "${target}"` });
  }
}

/** One `[[sinks.sink]]` table. */
export const sinkTable = common
  .superRefine(checkKeys)
  .pipe(byTarget);

/**
 * Fills in `url` of dataway sinks that have none from `[dataway] urls[0]` (what DataKit itself sends to); reports a
 * dataway sink with neither. Paths of the issues are relative to the whole file.
 */
export function withDatawayUrls(sinks: readonly ParsedSinkConfig[], datawayUrls: readonly string[], ctx: z.RefinementCtx): SinkConfig[] {
  return sinks.map((sink, i) => {
    if (sink.target !== 'dataway' || sink.url !== undefined) return sink as SinkConfig;
    const url = datawayUrls[0];
    if (url === undefined) {
      ctx.addIssue({ code: 'custom', path: ['sinks', 'sink', i, 'url'], message: 'required when target = "dataway" and [dataway] urls is empty' });
    } else if (!isHttpUrl(url)) {
      ctx.addIssue({ code: 'custom', path: ['dataway', 'urls', 0], message: `${HTTP_URL} (used by sinks.sink[${i}])` });
    }
    return { ...sink, url: url ?? '' };
  });
}
