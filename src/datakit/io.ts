import { addKV, intField, tag, type KV, type Point, type TagKV } from './point.js';

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
  const hostTags = new HostTagAdder(opts);
  const now = opts.autoTimestampCorrection ? opts.now() : undefined;
  // The window is worked out once: per point, two comparisons and no bigint arithmetic.
  const earliest = now === undefined ? 0n : now - MAX_CLOCK_SKEW_NS;
  const latest = now === undefined ? 0n : now + MAX_CLOCK_SKEW_NS;
  for (const point of points) {
    hostTags.addTo(point.kvs);
    if (now !== undefined && (point.time < earliest || point.time > latest)) correctTime(point, now);
  }
  return points;
}

/**
 * "add" (first wins) of the host tags to the points of one batch, in order. `host` goes first, so it also wins over
 * a global host tag named `host` (as the span converter does at build time, §5.13); such a tag is never added.
 *
 * Looking at every key of every point for each host tag is most of io's cost on metrics (the KV objects are spread
 * over the heap). Consecutive points often start with the very same KV objects (a metric's points share their
 * resource and scope tags): a key that is the same object, at the same place, as in the previous point need not be
 * looked at again, so only the rest of the point is searched when the shared start is known not to hold the key.
 */
class HostTagAdder {
  private readonly tags: TagKV[] = [];
  /** Per tag, an index of the previous point's keys known to hold its key, or -1. */
  private readonly foundAt: number[] = [];
  /** Per tag, how many of the previous point's first keys are known not to be its key. */
  private readonly absentBefore: number[] = [];
  /** The previous point's keys (as they were before any was added) and how many there were. */
  private previous: readonly KV[] = [];
  private previousLength = 0;

  constructor(opts: IoOptions) {
    const keys = new Set<string>();
    for (const [key, value] of [['host', opts.hostname], ...Object.entries(opts.globalHostTags)]) {
      if (keys.has(key)) continue;
      keys.add(key);
      // One immutable tag object per call, shared by every point.
      this.tags.push(tag(key, value));
      this.foundAt.push(-1);
      this.absentBefore.push(0);
    }
  }

  addTo(kvs: KV[]): void {
    const length = kvs.length;
    const { previous } = this;
    const sharedMax = Math.min(length, this.previousLength);
    let shared = 0;
    while (shared < sharedMax && kvs[shared] === previous[shared]) shared++;

    for (let t = 0; t < this.tags.length; t++) {
      const tagKV = this.tags[t];
      if (this.foundAt[t] >= 0 && this.foundAt[t] < shared) continue; // present in the shared start
      // The shared start is searched again only when not known to lack the key. Backwards: a key added late (`host`
      // by the span converter) is found first.
      const from = this.absentBefore[t] >= shared ? shared : 0;
      let at = length - 1;
      while (at >= from && kvs[at].key !== tagKV.key) at--;
      if (at >= from) {
        this.foundAt[t] = at;
        this.absentBefore[t] = from;
      } else {
        kvs.push(tagKV);
        this.foundAt[t] = -1;
        this.absentBefore[t] = length;
      }
    }
    this.previous = kvs;
    this.previousLength = length;
  }
}

/** DataKit's correctPointTime: keeps the original time in an int field `__orig_time` (added, never replaced). */
function correctTime(point: Point, now: bigint): void {
  addKV(point.kvs, intField('__orig_time', point.time));
  point.time = now;
}
