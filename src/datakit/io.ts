import { addKV, intField, tag, type Point, type TagKV } from './point.js';

/**
 * DataKit's io post-processing (datakit reference §11), applied to every point of every category just before
 * delivery: host tags, then the automatic timestamp correction. Pipelines and remote filters are not emulated.
 */
export interface IoOptions {
  hostname: string;
  globalHostTags: Record<string, string>;
  /** `[io] auto_timestamp_correction`. */
  autoTimestampCorrection: boolean;
  /** Now, in nanoseconds since the Unix epoch (injected so tests are deterministic). */
  now: () => bigint;
}

/** DataKit corrects a point whose time is more than 2 hours away from now, in either direction (§11). */
const MAX_CLOCK_SKEW_NS = 2n * 3600n * 1_000_000_000n;

/** Adds the host tags and corrects timestamps, in place; returns `points`. */
export function postProcess(points: Point[], opts: IoOptions): Point[] {
  const hostTags = hostTagsOf(opts);
  const now = opts.autoTimestampCorrection ? opts.now() : undefined;
  // The window is worked out once: per point, two comparisons and no bigint arithmetic.
  const earliest = now === undefined ? 0n : now - MAX_CLOCK_SKEW_NS;
  const latest = now === undefined ? 0n : now + MAX_CLOCK_SKEW_NS;
  for (const point of points) {
    // "add": an existing key of the same name, tag or field, is never overwritten. `host` goes first, so it also
    // wins over a global host tag named `host` (as the span converter does at build time, §5.13).
    for (const t of hostTags) addKV(point.kvs, t);
    if (now !== undefined && (point.time < earliest || point.time > latest)) correctTime(point, now);
  }
  return points;
}

/** Built once per call: the same immutable tag objects are shared by every point. */
function hostTagsOf(opts: IoOptions): TagKV[] {
  const tags = [tag('host', opts.hostname)];
  for (const [key, value] of Object.entries(opts.globalHostTags)) tags.push(tag(key, value));
  return tags;
}

/** DataKit's correctPointTime: keeps the original time in an int field `__orig_time` (added, never replaced). */
function correctTime(point: Point, now: bigint): void {
  addKV(point.kvs, intField('__orig_time', point.time));
  point.time = now;
}
