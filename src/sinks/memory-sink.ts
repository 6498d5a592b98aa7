import { resolve } from 'node:path';
import type { MemorySinkConfig, OtelInputConfig } from '../config/types.js';
import { encodeLine } from '../datakit/line-protocol.js';
import type { PointOrigin } from '../datakit/origin.js';
import { strField, type Category, type FieldKV, type FieldValue, type KV, type Point, type PointBatch } from '../datakit/point.js';
import { compileQuery, keyText, type CompiledQuery, type PointQuery } from '../fixture/match.js';
import type { Sink, SinkContext } from './sink.js';

/** One stored point: what was written, under which category and session, when, and from which OTLP item. */
export interface StoredPoint {
  /** Increases by one per stored point, across clear() and resets: tells points apart and orders them. */
  readonly id: number;
  readonly category: Category;
  readonly point: Point;
  /** Its line protocol (what the byte bound counts). */
  readonly line: string;
  /** UTF-8 bytes of `line`. */
  readonly bytes: number;
  /** The sending client's session label, if it named one. */
  readonly session: string | undefined;
  /** When the gateway stored it, ms since the epoch. */
  readonly receivedAt: number;
  /** The OTLP item it was converted from (absent for batches written without origins). */
  readonly origin: PointOrigin | undefined;
  /** The `[[inputs.opentelemetry]]` table it was converted under (what the attribute account needs). */
  readonly input: OtelInputConfig | undefined;
  /** The `trace_id` field of span and log points, when it names a trace (not `"0"`): the index key. */
  readonly traceId: string | undefined;
}

export interface MemorySinkStats {
  /** Points held now. */
  points: number;
  /** UTF-8 bytes of their line protocol. */
  bytes: number;
  /** Points dropped to stay within max_points / max_bytes since start (not reset by clear() or remove()). */
  evicted: number;
}

/** What the store tells its listeners (the fixture API's server-sent events): after each write and each removal. */
export type StoreChange =
  | { readonly kind: 'points'; readonly added: readonly StoredPoint[] }
  | { readonly kind: 'reset'; readonly removed: number; readonly query: CompiledQuery };

export type MemorySinkLimits = Pick<MemorySinkConfig, 'categories' | 'maxPoints' | 'maxBytes'>;

export interface MemorySinkOptions extends MemorySinkLimits {
  /** Where golden files are read and written (absolute, or relative to the working directory). Default `__snapshots__`. */
  snapshotDir?: string;
  /** Snapshot CI mode (a missing golden file fails instead of being written); undefined: decided by env `CI`. */
  snapshotCi?: boolean;
}

/** How far the consumed front may grow before the array is compacted (amortised O(1) per eviction). */
const COMPACT_AT = 1024;
const DEFAULT_SNAPSHOT_DIR = '__snapshots__';

/** Someone waiting for `count` points matching `query` (waitFor). */
interface Waiter {
  readonly query: CompiledQuery;
  readonly count: number;
  /** Matching points known to be stored; exact after each recount, raised by the writes in between. */
  seen: number;
  readonly done: (satisfied: boolean) => void;
}

/**
 * The point as kept: a string field's ready-made line-protocol text (FieldValue.lp, the span message's) is dropped,
 * since the stored line has it already and the two would double the memory of every kept span.
 */
function withoutLp(point: Point): Point {
  if (!point.kvs.some(hasLp)) return point;
  const kvs = point.kvs.map((kv): KV => (hasLp(kv) ? strField(kv.key, kv.value.value) : kv));
  return { ...point, kvs };
}

type StringFieldKV = FieldKV & { readonly value: Extract<FieldValue, { type: 'string' }> };

const hasLp = (kv: KV): kv is StringFieldKV => !kv.isTag && kv.value.type === 'string' && kv.value.lp !== undefined;

/**
 * `target = "memory"`: a bounded in-process store of the latest points, oldest evicted first; the fixture API's store
 * (issue 5). A FIFO over an array with a head index: appends push, evictions move the head, and the consumed front is
 * cut off now and then, so neither is O(n) per point. Invariant: `points <= maxPoints` and `bytes <= maxBytes`; a
 * single point bigger than max_bytes is therefore not kept (it counts as evicted). Points DataKit could not encode
 * (no fields, NaN/±Inf, datakit reference §9.1) are not stored, as DataKit drops them.
 *
 * `max_bytes` counts line protocol only. Each point also keeps its OTLP item (`origin`), shared by the points made
 * from one item; a span's item is about as big as its line (whose `message` holds most of the span), so the real
 * footprint is up to about twice max_bytes.
 *
 * Points of a trace are indexed by `trace_id` (queries for one trace do not scan the store). Waiters are woken by
 * the writes that may satisfy them, never by polling.
 */
export class MemorySink implements Sink {
  readonly name = 'memory';
  readonly categories: ReadonlySet<Category>;
  readonly wantsOrigins = true;
  /** Where snapshots live (absolute). */
  readonly snapshotDir: string;
  /** Snapshot CI mode as configured; undefined = decided by env `CI` when a snapshot is taken. */
  readonly snapshotCi: boolean | undefined;
  private readonly maxPoints: number;
  private readonly maxBytes: number;
  private entries: StoredPoint[] = [];
  private head = 0;
  private bytes = 0;
  private evicted = 0;
  private nextId = 1;
  /** Live points per trace_id, oldest first (evictions take from the front, as from `entries`). */
  private byTrace = new Map<string, StoredPoint[]>();
  private readonly waiters = new Set<Waiter>();
  private readonly listeners = new Set<(change: StoreChange) => void>();

  constructor(options: MemorySinkOptions) {
    this.categories = new Set(options.categories);
    this.maxPoints = options.maxPoints;
    this.maxBytes = options.maxBytes;
    this.snapshotDir = resolve(options.snapshotDir ?? DEFAULT_SNAPSHOT_DIR);
    this.snapshotCi = options.snapshotCi;
  }

  async write(batch: PointBatch): Promise<void> {
    const added: StoredPoint[] = [];
    const receivedAt = Date.now();
    for (const point of batch.points) {
      const line = encodeLine(point);
      if (line === null) continue;
      const traceId = batch.category === 'metric' ? undefined : keyText(point, 'trace_id');
      const entry: StoredPoint = {
        id: this.nextId++,
        category: batch.category,
        point: withoutLp(point),
        line,
        bytes: Buffer.byteLength(line),
        session: batch.session,
        receivedAt,
        origin: batch.origins?.get(point),
        input: batch.input,
        traceId: traceId === '0' ? undefined : traceId,
      };
      if (this.add(entry)) added.push(entry);
    }
    if (added.length === 0) return;
    this.wakeWaiters(added);
    this.tell({ kind: 'points', added });
  }

  private add(entry: StoredPoint): boolean {
    if (entry.bytes > this.maxBytes || this.maxPoints === 0) {
      this.evicted++;
      return false;
    }
    while (this.size() >= this.maxPoints || this.bytes + entry.bytes > this.maxBytes) this.evictOldest();
    this.entries.push(entry);
    this.bytes += entry.bytes;
    this.indexTrace(entry);
    return true;
  }

  private indexTrace(entry: StoredPoint): void {
    if (entry.traceId === undefined) return;
    const trace = this.byTrace.get(entry.traceId);
    if (trace) trace.push(entry);
    else this.byTrace.set(entry.traceId, [entry]);
  }

  private evictOldest(): void {
    const oldest = this.entries[this.head];
    this.bytes -= oldest.bytes;
    this.head++;
    this.evicted++;
    if (oldest.traceId !== undefined) {
      const trace = this.byTrace.get(oldest.traceId)!;
      trace.shift();
      if (trace.length === 0) this.byTrace.delete(oldest.traceId);
    }
    if (this.head >= COMPACT_AT && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  private size(): number {
    return this.entries.length - this.head;
  }

  /** Calls `visit` for each stored point `query` matches, oldest first. */
  private forEachMatch(query: CompiledQuery, visit: (e: StoredPoint) => void): void {
    if (query.traceId !== undefined) {
      for (const e of this.byTrace.get(query.traceId) ?? []) if (query.matches(e)) visit(e);
      return;
    }
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (query.matches(e)) visit(e);
    }
  }

  /** The stored points that match `query` (a PointQuery, or one compiled with compileQuery), oldest first. */
  points(query: PointQuery | CompiledQuery = {}): StoredPoint[] {
    const out: StoredPoint[] = [];
    this.forEachMatch(compiled(query), (e) => out.push(e));
    return out;
  }

  /** How many stored points match `query`. */
  count(query: PointQuery | CompiledQuery = {}): number {
    let n = 0;
    this.forEachMatch(compiled(query), () => n++);
    return n;
  }

  /** The stored points' line protocol, oldest first. */
  lines(category?: Category): string[] {
    return this.points({ category }).map((e) => e.line);
  }

  /** Removes the points `query` matches (all by default) and answers how many; evictions stay counted. */
  remove(query: PointQuery | CompiledQuery = {}): number {
    const q = compiled(query);
    const kept = this.entries.slice(this.head).filter((e) => !q.matches(e));
    const removed = this.size() - kept.length;
    this.entries = kept;
    this.head = 0;
    this.bytes = 0;
    this.byTrace = new Map();
    for (const e of kept) {
      this.bytes += e.bytes;
      this.indexTrace(e);
    }
    for (const w of this.waiters) w.seen = this.count(w.query);
    this.tell({ kind: 'reset', removed, query: q });
    return removed;
  }

  /** Empties the store (the eviction count is kept). */
  clear(): void {
    this.remove();
  }

  /**
   * Resolves true as soon as at least `count` stored points match `query` (at once when they already do), false
   * after `timeoutMs` or when `signal` aborts. Woken by the writes that add matching points.
   */
  waitFor(query: PointQuery | CompiledQuery, count: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const q = compiled(query);
    const seen = this.count(q);
    if (seen >= count) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolvePromise) => {
      const done = (satisfied: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(waiter);
        resolvePromise(satisfied);
      };
      const onAbort = () => done(false);
      const waiter: Waiter = { query: q, count, seen, done };
      const timer = setTimeout(onAbort, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  private wakeWaiters(added: readonly StoredPoint[]): void {
    for (const w of this.waiters) {
      let n = 0;
      for (const e of added) if (w.query.matches(e)) n++;
      if (n === 0) continue;
      w.seen += n;
      // Evictions may have taken matching points meanwhile: confirm with a recount before answering.
      if (w.seen >= w.count) w.seen = this.count(w.query);
      if (w.seen >= w.count) w.done(true);
    }
  }

  /** Calls `listener` after each write that stored points and after each removal; returns the unsubscribe function. */
  onChange(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private tell(change: StoreChange): void {
    for (const listener of this.listeners) listener(change);
  }

  stats(): MemorySinkStats {
    return { points: this.size(), bytes: this.bytes, evicted: this.evicted };
  }

  async flush(): Promise<void> {}

  /** Nothing to release; the points stay readable. */
  async close(): Promise<void> {}
}

const compiled = (query: PointQuery | CompiledQuery): CompiledQuery => ('matches' in query ? query : compileQuery(query));

/** `target = "memory"`: `snapshot_dir` is relative to the config file's folder (or the working directory). */
export function createMemorySink(config: MemorySinkConfig, ctx: SinkContext): MemorySink {
  return new MemorySink({ ...config, snapshotDir: resolve(ctx.configDir, config.snapshotDir ?? DEFAULT_SNAPSHOT_DIR) });
}
