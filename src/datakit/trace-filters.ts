import { compileRe2 } from '../config/regex.js';
import type { OtelInputConfig } from '../config/types.js';
import { floatField, getKV, setKV, type Point } from './point.js';

/**
 * DataKit's post-processing of one trace group (one ResourceSpans, Q41), datakit reference §5.15:
 * close_resource → error penetration → rare resource → sampler. With the default configuration nothing is installed
 * and nothing is dropped. `omit_err_status` is parsed but never installed (Q17).
 */
export interface TraceFilters {
  /** Decides for a whole group; may add `dk_sampling_rate` to its first point. */
  keep(group: Point[]): boolean;
}

const RARE_RESOURCE_WINDOW_MS = 3_600_000;
const UINT64_MAX = (1n << 64n) - 1n;
/** Error penetration: a group with a span of these statuses is always kept. */
const ERROR_STATUSES: ReadonlySet<string | undefined> = new Set(['error', 'critical']);

const tagOf = (p: Point, key: string): string | undefined => {
  const kv = getKV(p.kvs, key);
  return kv?.isTag ? kv.value : undefined;
};
const stringFieldOf = (p: Point, key: string): string | undefined => {
  const kv = getKV(p.kvs, key);
  return kv && !kv.isTag && kv.value.type === 'string' ? kv.value.value : undefined;
};

/** The number DataKit's sampler derives from a converted trace id (§5.15, filter 4). */
export function samplingNumber(traceId: string): bigint {
  if (/^[0-9]+$/.test(traceId) && BigInt(traceId) <= UINT64_MAX) return BigInt(traceId);
  if (/^[0-9a-f]{1,16}$/.test(traceId)) return BigInt(`0x${traceId}`);
  let n = 0n;
  for (const ch of traceId.slice(-8)) n = ((n << 8n) | BigInt(ch.charCodeAt(0) & 0xff)) & UINT64_MAX;
  return n;
}

/** Builds the filter chain an input's configuration installs, or `undefined` when it installs none. */
export function traceFiltersFor(
  input: Pick<OtelInputConfig, 'closeResource' | 'sampler' | 'keepRareResource'>,
  now: () => number = Date.now,
): TraceFilters | undefined {
  const closeRules: Array<{ service: string; patterns: RegExp[] }> = [];
  for (const [service, patterns] of Object.entries(input.closeResource)) {
    const compiled: RegExp[] = [];
    for (const p of patterns) {
      try {
        compiled.push(compileRe2(p));
      } catch {
        // DataKit skips a close_resource regex that does not compile; config loading already warned.
      }
    }
    closeRules.push({ service, patterns: compiled });
  }
  const sampler = input.sampler;
  const rareSeen = input.keepRareResource && sampler ? new Map<string, number>() : undefined;
  if (closeRules.length === 0 && !sampler) return undefined;

  const closed = (group: Point[]): boolean =>
    group.some((p) => {
      const service = tagOf(p, 'service');
      const resource = stringFieldOf(p, 'resource') ?? '';
      return closeRules.some((r) => (r.service === '*' || r.service === service) && r.patterns.some((re) => re.test(resource)));
    });

  const rareResource = (group: Point[]): boolean => {
    const entry = group.find((p) => tagOf(p, 'span_type') === 'entry');
    if (!entry || !rareSeen) return false;
    const key = `${tagOf(entry, 'service')}\u0000${stringFieldOf(entry, 'resource')}\u0000${tagOf(entry, 'source_type')}`;
    const t = now();
    const last = rareSeen.get(key);
    rareSeen.set(key, t);
    return last === undefined || t - last > RARE_RESOURCE_WINDOW_MS;
  };

  return {
    keep(group: Point[]): boolean {
      if (closeRules.length > 0 && closed(group)) return false;
      if (group.some((p) => ERROR_STATUSES.has(tagOf(p, 'status')))) return true;
      if (rareResource(group)) return true;
      if (!sampler) return true;
      const first = group[0];
      setKV(first.kvs, floatField('dk_sampling_rate', sampler.samplingRate));
      const n = samplingNumber(stringFieldOf(first, 'trace_id') ?? '');
      return n % 10000n <= BigInt(Math.floor(sampler.samplingRate * 10000));
    },
  };
}
