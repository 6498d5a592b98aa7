/**
 * Admission control under concurrency (issue 8): at most `maxConcurrent` OTLP requests are read, decoded and
 * converted at once; the next ones wait in a bounded FIFO for at most `queueWaitMs`, and beyond that are refused
 * (the receiver answers 503 + Retry-After before reading their body). Without it, every connection's request is
 * decoded at once on the one event loop and all of them finish late together: the issue measured a p99 of 2.5–5 s
 * under 64–256 connections. Holding the slot while the body is read also bounds the bodies in memory at once.
 *
 * Timing is injected (`AdmissionClock`) so that the queue is tested without sleeping.
 */

export interface AdmissionLimits {
  /** `[gateway] max_concurrent_requests`: requests holding a slot at once (≥ 1). */
  readonly maxConcurrent: number;
  /** `[gateway] max_queued_requests`: requests waiting for a slot (≥ 0); past it, refused at once. */
  readonly maxQueued: number;
  /** `[gateway] queue_wait_ms`: how long a request may wait for a slot before it is refused. */
  readonly queueWaitMs: number;
}

export interface AdmissionClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_CLOCK: AdmissionClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Where a request stands: `active` holds a slot; `refused` (queue full) and `expired` (waited too long) never will. */
export type TicketState = 'active' | 'waiting' | 'refused' | 'expired' | 'left';

/** One request's place, from `enter()` until `leave()`. */
export interface Ticket {
  readonly state: TicketState;
}

interface MutableTicket extends Ticket {
  state: TicketState;
  readonly deadline: number;
  /** Told once whether a slot came (true) or the wait expired (false); only for tickets that waited. */
  readonly onTurn: ((admitted: boolean) => void) | undefined;
}

/** One shape for every ticket, so that the hot path's property accesses stay monomorphic. */
function newTicket(state: TicketState, deadline: number, onTurn: MutableTicket['onTurn']): MutableTicket {
  return { state, deadline, onTurn };
}

/** What `/metrics` reads at scrape time (metrics.ts). */
export interface AdmissionStats {
  /** Requests holding a slot now. */
  readonly active: number;
  /** Requests waiting for a slot now. */
  readonly waiting: number;
  /** Refused because the queue was full, since start. */
  readonly refusedQueueFull: number;
  /** Refused because they waited `queueWaitMs` without a slot, since start. */
  readonly refusedWaitExpired: number;
}

export class AdmissionControl {
  private active = 0;
  private waiting = 0;
  private refusedQueueFull = 0;
  private refusedWaitExpired = 0;
  /**
   * FIFO of waiting tickets from `head` on. Tickets that left while waiting (their client hung up) stay in place
   * until they reach the head, so leaving is O(1); all of them reach it within `queueWaitMs`.
   */
  private queue: Array<MutableTicket | undefined> = [];
  private head = 0;
  /** The one timer, set for the earliest deadline in the queue (FIFO with one wait: the head's). */
  private timer: unknown = null;

  constructor(
    private limits: AdmissionLimits,
    private readonly clock: AdmissionClock = REAL_CLOCK,
  ) {}

  /**
   * A request arrives. Returns its ticket: `active` (a slot now), `refused` (the queue is full) or `waiting`, in
   * which case `onTurn` is called later, once: `true` when it got a slot, `false` when its wait expired.
   */
  enter(onTurn: (admitted: boolean) => void): Ticket {
    if (this.active < this.limits.maxConcurrent && this.waiting === 0) {
      this.active++;
      return newTicket('active', 0, undefined);
    }
    if (this.waiting >= this.limits.maxQueued) {
      this.refusedQueueFull++;
      return newTicket('refused', 0, undefined);
    }
    const ticket = newTicket('waiting', this.clock.now() + this.limits.queueWaitMs, onTurn);
    this.queue.push(ticket);
    this.waiting++;
    if (this.timer === null) this.armTimer(this.limits.queueWaitMs);
    return ticket;
  }

  /** The request is over (answered, or its client gone): frees its slot or its place in the queue. Idempotent. */
  leave(ticket: Ticket): void {
    const t = ticket as MutableTicket;
    if (t.state === 'active') {
      t.state = 'left';
      this.active--;
      this.dispatch();
    } else if (t.state === 'waiting') {
      t.state = 'left';
      this.waiting--;
      this.stopTimerIfIdle();
    }
  }

  /** New limits (hot reload). Tickets already waiting keep their deadline. */
  setLimits(limits: AdmissionLimits): void {
    this.limits = limits;
    this.dispatch();
  }

  stats(): AdmissionStats {
    return { active: this.active, waiting: this.waiting, refusedQueueFull: this.refusedQueueFull, refusedWaitExpired: this.refusedWaitExpired };
  }

  /** Hands free slots to the oldest waiting tickets. */
  private dispatch(): void {
    while (this.active < this.limits.maxConcurrent) {
      const next = this.takeHead();
      if (!next) break;
      next.state = 'active';
      this.active++;
      next.onTurn!(true);
    }
    this.stopTimerIfIdle();
  }

  /** Nothing waits: no timer keeps the process awake (a long queue_wait_ms would otherwise delay its exit). */
  private stopTimerIfIdle(): void {
    if (this.waiting > 0 || this.timer === null) return;
    this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Removes and returns the oldest ticket still waiting, dropping the ones that left on the way. */
  private takeHead(): MutableTicket | undefined {
    while (this.head < this.queue.length) {
      const t = this.queue[this.head]!;
      this.queue[this.head++] = undefined; // let it be collected
      if (t.state === 'waiting') {
        this.waiting--;
        this.compact();
        return t;
      }
    }
    this.compact();
    return undefined;
  }

  /** Drops the consumed front of the array once it is most of it (amortised O(1) per ticket). */
  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private armTimer(ms: number): void {
    this.timer = this.clock.setTimeout(this.expire, Math.max(0, ms));
  }

  /** Refuses the waiting tickets whose deadline has passed, then sleeps until the next deadline. */
  private readonly expire = (): void => {
    this.timer = null;
    const now = this.clock.now();
    while (this.head < this.queue.length) {
      const t = this.queue[this.head]!;
      if (t.state === 'waiting' && t.deadline > now) {
        this.armTimer(t.deadline - now);
        return;
      }
      this.queue[this.head++] = undefined;
      if (t.state === 'waiting') {
        t.state = 'expired';
        this.waiting--;
        this.refusedWaitExpired++;
        t.onTurn!(false);
      }
    }
    this.compact();
  };
}

/** An observer that reads the admission state at scrape time (metrics.ts) rather than being told of every change. */
export interface AdmissionWatcher {
  watchAdmission(admission: { stats(): AdmissionStats }): void;
}

/** The admission part of `[gateway]`'s limits. */
export function admissionLimitsOf(limits: { maxConcurrentRequests: number; maxQueuedRequests: number; queueWaitMs: number }): AdmissionLimits {
  return { maxConcurrent: limits.maxConcurrentRequests, maxQueued: limits.maxQueuedRequests, queueWaitMs: limits.queueWaitMs };
}
