import type { MemorySinkConfig } from '../config/types.js';
import { encodeLine } from '../datakit/line-protocol.js';
import type { Category, Point, PointBatch } from '../datakit/point.js';
import type { Sink, SinkContext } from './sink.js';

/** One stored point with the category it was written under and its line protocol (what the byte bound counts). */
export interface StoredPoint {
  readonly category: Category;
  readonly point: Point;
  readonly line: string;
}

/** Every given criterion must hold; `tags` are matched exactly (tag keys only, not fields of the same name). */
export interface PointFilter {
  category?: Category;
  measurement?: string;
  tags?: Readonly<Record<string, string>>;
}

export interface MemorySinkStats {
  /** Points held now. */
  points: number;
  /** UTF-8 bytes of their line protocol. */
  bytes: number;
  /** Points dropped to stay within max_points / max_bytes since start (not reset by clear()). */
  evicted: number;
}

export type MemorySinkLimits = Pick<MemorySinkConfig, 'categories' | 'maxPoints' | 'maxBytes'>;

/** How far the consumed front may grow before the array is compacted (amortised O(1) per eviction). */
const COMPACT_AT = 1024;

/**
 * `target = "memory"`: a bounded in-process store of the latest points, oldest evicted first; the base of the query
 * API. A FIFO over an array with a head index: appends push, evictions move the head, and the consumed front is cut
 * off now and then, so neither is O(n) per point. Invariant: `points <= maxPoints` and `bytes <= maxBytes`; a single
 * point bigger than max_bytes is therefore not kept (it counts as evicted). Points DataKit could not encode (no
 * fields, NaN/±Inf, datakit reference §9.1) are not stored, as DataKit drops them.
 */
export class MemorySink implements Sink {
  readonly name = 'memory';
  readonly categories: ReadonlySet<Category>;
  private readonly maxPoints: number;
  private readonly maxBytes: number;
  private entries: StoredPoint[] = [];
  private sizes: number[] = [];
  private head = 0;
  private bytes = 0;
  private evicted = 0;

  constructor(limits: MemorySinkLimits) {
    this.categories = new Set(limits.categories);
    this.maxPoints = limits.maxPoints;
    this.maxBytes = limits.maxBytes;
  }

  async write(batch: PointBatch): Promise<void> {
    for (const point of batch.points) {
      const line = encodeLine(point);
      if (line === null) continue;
      this.add({ category: batch.category, point, line }, Buffer.byteLength(line));
    }
  }

  private add(entry: StoredPoint, size: number): void {
    if (size > this.maxBytes || this.maxPoints === 0) {
      this.evicted++;
      return;
    }
    while (this.size() >= this.maxPoints || this.bytes + size > this.maxBytes) this.evictOldest();
    this.entries.push(entry);
    this.sizes.push(size);
    this.bytes += size;
  }

  private evictOldest(): void {
    this.bytes -= this.sizes[this.head];
    this.head++;
    this.evicted++;
    if (this.head >= COMPACT_AT && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }

  private size(): number {
    return this.entries.length - this.head;
  }

  /** The stored points that match `filter`, oldest first. */
  points(filter: PointFilter = {}): StoredPoint[] {
    const { category, measurement, tags } = filter;
    const tagFilter = tags === undefined ? undefined : Object.entries(tags);
    const out: StoredPoint[] = [];
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (category !== undefined && e.category !== category) continue;
      if (measurement !== undefined && e.point.measurement !== measurement) continue;
      if (tagFilter !== undefined && !hasTags(e.point, tagFilter)) continue;
      out.push(e);
    }
    return out;
  }

  /** The stored points' line protocol, oldest first. */
  lines(category?: Category): string[] {
    return this.points({ category }).map((e) => e.line);
  }

  clear(): void {
    this.entries = [];
    this.sizes = [];
    this.head = 0;
    this.bytes = 0;
  }

  stats(): MemorySinkStats {
    return { points: this.size(), bytes: this.bytes, evicted: this.evicted };
  }

  async flush(): Promise<void> {}

  /** Nothing to release; the points stay readable. */
  async close(): Promise<void> {}
}

function hasTags(point: Point, wanted: readonly (readonly [string, string])[]): boolean {
  for (const [key, value] of wanted) {
    if (!point.kvs.some((kv) => kv.isTag && kv.key === key && kv.value === value)) return false;
  }
  return true;
}

/** `target = "memory"`. */
export function createMemorySink(config: MemorySinkConfig, _ctx: SinkContext): MemorySink {
  return new MemorySink(config);
}
