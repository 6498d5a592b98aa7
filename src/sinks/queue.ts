import { resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { DeliveryConfig } from '../config/types.js';
import type { Category, PointBatch } from '../datakit/point.js';
import { retryDelayMs } from './retry.js';
import type { Sink, SinkContext } from './sink.js';
import { Spool } from './spool.js';
import { DeliveryError, type Envelope, type Transport } from './transport.js';

/**
 * Where a QueuedSink keeps envelopes between `write` and delivery: in memory, or in the on-disk spool. Delivery takes
 * the oldest with `peek` and removes it with `ack` once it is delivered or given up, so one is in flight at a time.
 */
export interface EnvelopeStore {
  /**
   * No envelope waiting, the one in flight included. Idleness counts envelopes, not points: a transport may well
   * send an envelope that reports 0 items, and it must still be delivered before the sink is idle.
   */
  readonly empty: boolean;
  readonly pendingItems: number;
  readonly pendingBytes: number;
  /** Bytes on disk (0 in memory). */
  readonly diskBytes: number;
  /** Takes responsibility for the envelopes (one batch's): queued in memory, or durable on disk. */
  append(envelopes: readonly Envelope[]): Promise<void>;
  /** The oldest envelope not acknowledged yet, or undefined when there is none. */
  peek(): Promise<Envelope | undefined>;
  /** Whether the last peeked envelope is still owed (the spool may evict it while it is being retried). */
  holdsHead(): boolean;
  /** The last peeked envelope is done with: delivered, or given up (and counted). */
  ack(): Promise<void>;
  close(): Promise<void>;
}

/** The in-memory store: a FIFO whose limits the QueuedSink enforces. */
class MemoryStore implements EnvelopeStore {
  private items: (Envelope | undefined)[] = [];
  private head = 0;
  pendingItems = 0;
  pendingBytes = 0;
  readonly diskBytes = 0;

  get empty(): boolean {
    return this.head === this.items.length;
  }

  async append(envelopes: readonly Envelope[]): Promise<void> {
    for (const envelope of envelopes) {
      this.items.push(envelope);
      this.pendingItems += envelope.items;
      this.pendingBytes += envelope.body.length;
    }
  }

  async peek(): Promise<Envelope | undefined> {
    return this.items[this.head];
  }

  holdsHead(): boolean {
    return true;
  }

  async ack(): Promise<void> {
    const done = this.items[this.head];
    if (done === undefined) return;
    this.items[this.head++] = undefined;
    this.pendingItems -= done.items;
    this.pendingBytes -= done.body.length;
    // Drop the consumed front now and then instead of shifting on every ack (O(n) each).
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  async close(): Promise<void> {}
}

/** Thrown by `write` when the sink's queue is full: the pipeline answers 503 with this Retry-After. */
export class QueueFullError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'QueueFullError';
  }
}

export interface QueuedSinkStats {
  /** Points waiting (in memory, or in the spool), including the one being sent. */
  queuedItems: number;
  queuedBytes: number;
  /** Points the backend accepted. */
  sent: number;
  /** Send attempts that failed and were tried again. */
  retries: number;
  /** Points the backend refused for good (4xx other than 408/429). */
  droppedPermanent: number;
  /** Points given up after retry_max_elapsed_ms (no spool), or still queued at shutdown without a spool. */
  droppedExpired: number;
  /** Points evicted from the spool to stay under spool_max_bytes. */
  droppedSpoolFull: number;
  spooledBytes: number;
}

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export interface QueuedSinkDeps {
  now?: () => number;
  /** The backoff between attempts (and after a spool error). */
  sleep?: Sleep;
  /**
   * The drain deadline of flush() and close(). Not `sleep`, so that a test can make backoff instant and still have a
   * flush() that waits for the queue to empty.
   */
  drainTimer?: Sleep;
  random?: () => number;
}

const realSleep: Sleep = (ms, signal) =>
  delay(ms, undefined, { signal }).catch(() => undefined);

/**
 * A network sink: a Transport behind a bounded queue (or a disk spool) and one delivery loop. `write` encodes on the
 * request path and resolves once its envelopes are queued (or durable in the spool), so a slow backend never stalls the
 * request or the other sinks; a full queue makes `write` throw QueueFullError (→ 503 + Retry-After), and `hasRoom()`
 * lets the receiver refuse a request before reading its body. Envelopes are sent in order, one in flight.
 */
export class QueuedSink implements Sink {
  readonly name: string;
  readonly categories: ReadonlySet<Category>;
  private readonly now: () => number;
  private readonly sleep: Sleep;
  private readonly drainTimer: Sleep;
  private readonly random: () => number;
  private readonly store: EnvelopeStore;
  private readonly opened: Promise<void>;
  /** Aborted by close() once the drain deadline has passed: stops the loop, cancels the send in flight. */
  private readonly stop = new AbortController();
  private wake: (() => void) | undefined;
  /** Set by write(): something arrived since the loop last looked (so a wake-up between look and wait is not lost). */
  private arrived = false;
  private idleWaiters: Array<() => void> = [];
  private readonly loop: Promise<void>;
  private closing: Promise<void> | undefined;
  /** The last flush() gave up on its deadline: close() does not wait a second time for the same backlog. */
  private drainTimedOut = false;
  /** When the current backoff ends (for Retry-After answers while the backend is failing). */
  private retryingUntil = 0;
  private readonly counters = { sent: 0, retries: 0, droppedPermanent: 0, droppedExpired: 0, droppedSpoolFull: 0 };

  constructor(
    private readonly transport: Transport,
    private readonly delivery: DeliveryConfig,
    private readonly ctx: SinkContext,
    deps: QueuedSinkDeps = {},
  ) {
    this.name = transport.name;
    this.categories = transport.categories;
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? realSleep;
    this.drainTimer = deps.drainTimer ?? realSleep;
    this.random = deps.random ?? Math.random;
    if (delivery.spoolDir === undefined) {
      this.store = new MemoryStore();
      this.opened = Promise.resolve();
    } else {
      const spool = new Spool(resolve(ctx.configDir, delivery.spoolDir), delivery.spoolMaxBytes, {
        name: this.name,
        logger: ctx.logger,
        onEvicted: (items) => (this.counters.droppedSpoolFull += items),
      });
      this.store = spool;
      this.opened = spool.open().catch((err: unknown) => {
        throw new Error(`${this.name}: spool_dir ${delivery.spoolDir}: ${(err as Error).message}`, { cause: err });
      });
    }
    // A spool that cannot be opened fails the first write (and the loop logs it), not the constructor.
    this.opened.catch(() => undefined);
    this.loop = this.run();
  }

  /** Resolves when the spool (if any) is open and its leftovers from a previous run are known; rejects if it cannot. */
  ready(): Promise<void> {
    return this.opened;
  }

  /** Queues (or spools) all the envelopes the batch encodes to, or none: a 503 never follows half a batch queued. */
  async write(batch: PointBatch): Promise<void> {
    if (this.closing) throw new Error(`${this.name}: the sink is closed`);
    const envelopes = this.transport.encode(batch);
    if (envelopes.length === 0) return;
    await this.opened;
    if (!this.fits(envelopes)) {
      const s = this.stats();
      throw new QueueFullError(
        `${this.name}: queue full (${s.queuedItems} points, ${s.queuedBytes} bytes waiting)`,
        this.retryAfterSeconds(),
      );
    }
    await this.store.append(envelopes);
    this.arrived = true;
    this.wake?.();
  }

  /**
   * Whether another request can be taken. With a spool there is always room: past spool_max_bytes the oldest data is
   * evicted (and counted). An empty queue always takes one batch, however large, so no request is refused forever.
   */
  hasRoom(): boolean {
    return this.delivery.spoolDir !== undefined || (this.store.pendingItems < this.delivery.queueMaxPoints && this.store.pendingBytes < this.delivery.queueMaxBytes);
  }

  private fits(envelopes: readonly Envelope[]): boolean {
    const { store, delivery } = this;
    if (delivery.spoolDir !== undefined || store.empty) return true;
    let items = store.pendingItems;
    let bytes = store.pendingBytes;
    for (const envelope of envelopes) {
      items += envelope.items;
      bytes += envelope.body.length;
    }
    return items <= delivery.queueMaxPoints && bytes <= delivery.queueMaxBytes;
  }

  /** For a 503: the time until the next attempt when the backend is failing, else one second. */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((this.retryingUntil - this.now()) / 1000));
  }

  stats(): QueuedSinkStats {
    return {
      queuedItems: this.store.pendingItems,
      queuedBytes: this.store.pendingBytes,
      ...this.counters,
      spooledBytes: this.store.diskBytes,
    };
  }

  /** Resolves when everything written so far is delivered (or given up); rejects after drain_timeout_ms. */
  async flush(): Promise<void> {
    if (await this.drain(this.delivery.drainTimeoutMs)) return;
    this.drainTimedOut = true;
    const s = this.stats();
    throw new Error(`${this.name}: ${s.queuedItems} points still queued after ${this.delivery.drainTimeoutMs} ms`);
  }

  /**
   * Stops taking data, keeps delivering up to drain_timeout_ms (not again if a flush just waited that long), then
   * cancels the send in flight. What is left stays in the spool for the next start, or is dropped, counted and logged.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.drain(this.drainTimedOut ? 0 : this.delivery.drainTimeoutMs);
      this.stop.abort();
      this.wake?.();
      await this.loop;
      const left = this.store.pendingItems;
      if (left > 0 && this.delivery.spoolDir === undefined) {
        this.counters.droppedExpired += left;
        this.ctx.logger.error(`${this.name}: ${left} points not delivered by shutdown are dropped (no spool_dir)`);
      } else if (left > 0) {
        this.ctx.logger.info(`${this.name}: ${left} points stay in the spool for the next start`);
      }
      await this.store.close().catch(() => undefined);
      await this.transport.close?.();
    })();
    return this.closing;
  }

  /** Waits up to `timeoutMs` for the queue to empty; true when it did. */
  private async drain(timeoutMs: number): Promise<boolean> {
    if (this.isIdle()) return true;
    if (timeoutMs <= 0) return false;
    const timer = new AbortController();
    const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve)).then(() => timer.abort());
    await Promise.race([idle, this.drainTimer(timeoutMs, timer.signal)]);
    timer.abort();
    return this.isIdle();
  }

  private isIdle(): boolean {
    return this.store.empty;
  }

  private async run(): Promise<void> {
    const { signal } = this.stop;
    try {
      await this.opened;
    } catch (err) {
      this.ctx.logger.error((err as Error).message);
      return;
    }
    while (!signal.aborted) {
      this.arrived = false;
      let envelope: Envelope | undefined;
      try {
        envelope = await this.store.peek();
      } catch (err) {
        await this.storeFailed('read', err, signal);
        continue;
      }
      if (envelope === undefined) {
        this.notifyIdle();
        if (!this.arrived && !signal.aborted) await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      await this.deliver(envelope, signal);
      if (signal.aborted) break; // not acknowledged: stays in the spool, or is counted as dropped by close()
      try {
        await this.store.ack();
      } catch (err) {
        await this.storeFailed('acknowledge', err, signal);
      }
    }
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** A spool read or ack failed (disk trouble): log and wait before trying again, rather than spin or stop. */
  private async storeFailed(what: string, err: unknown, signal: AbortSignal): Promise<void> {
    this.ctx.logger.error(`${this.name}: cannot ${what} the spool: ${(err as Error).message}`);
    await this.sleep(this.delivery.retryMaxMs, signal);
  }

  /** Sends one envelope until it is accepted, refused for good, expired (no spool) or evicted (spool), or close() aborts. */
  private async deliver(envelope: Envelope, signal: AbortSignal): Promise<void> {
    const started = this.now();
    for (let attempt = 0; ; attempt++) {
      try {
        await this.transport.send(envelope, AbortSignal.any([signal, AbortSignal.timeout(this.delivery.timeoutMs)]));
        this.counters.sent += envelope.items;
        this.retryingUntil = 0;
        return;
      } catch (err) {
        if (signal.aborted) return;
        const failure = err instanceof DeliveryError ? err : undefined;
        if (failure && !failure.retryable) {
          this.counters.droppedPermanent += envelope.items;
          const status = failure.status === undefined ? '' : ` (HTTP ${failure.status})`;
          this.ctx.logger.error(
            `${this.name}: ${envelope.route}: ${envelope.items} points refused${status}, dropped: ${failure.message}` +
              (failure.responseBody ? `; response: ${failure.responseBody}` : ''),
          );
          return;
        }
        const remaining = this.delivery.spoolDir === undefined ? started + this.delivery.retryMaxElapsedMs - this.now() : Infinity;
        if (remaining <= 0) {
          this.counters.droppedExpired += envelope.items;
          this.ctx.logger.error(
            `${this.name}: ${envelope.route}: ${envelope.items} points dropped after ${attempt + 1} attempts in ${this.now() - started} ms: ${(err as Error).message}`,
          );
          return;
        }
        const wait = retryDelayMs(attempt, failure?.retryAfterMs, remaining, this.delivery, this.random);
        this.counters.retries++;
        this.retryingUntil = this.now() + wait;
        this.ctx.logger.warn(`${this.name}: ${envelope.route}: attempt ${attempt + 1} failed, retrying in ${Math.round(wait)} ms: ${(err as Error).message}`);
        await this.sleep(wait, signal);
        if (signal.aborted || !this.store.holdsHead()) return;
      }
    }
  }
}
