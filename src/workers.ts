/**
 * Scaling beyond one core (issue 8): `--workers N` / `[gateway] workers` runs N gateway processes on one port with
 * node:cluster. The primary only supervises: it forks the workers (each re-runs the CLI with the same arguments, so
 * each loads the config and runs the gateway), and the cluster shares the listening socket between them (port 0
 * included: all workers get the same ephemeral port). SIGTERM/SIGINT to the primary stop every worker gracefully
 * (each finishes its requests in flight and flushes its sinks, as a single process does); SIGHUP is forwarded (each
 * worker reloads its config); a worker that dies is restarted with a backoff.
 *
 * Each worker has its own sinks: its own queues, its own memory sink, its own open files. Two queues must never own
 * one spool, so a `spool_dir` with more than one worker is refused.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config/types.js';

const EXIT_CONFIG = 2;
/** First restart delay of a worker that died; doubled per death in a row, up to the cap. */
const RESTART_INITIAL_MS = 500;
const RESTART_MAX_MS = 30_000;
/** A worker that served this long before dying starts the backoff afresh. */
const STABLE_MS = 60_000;

/** `--workers` (else `[gateway] workers`) as a process count; 0 = one per core. Null when the flag is not a count. */
export function workerCount(config: GatewayConfig, flag: string | undefined): number | null {
  const n = flag === undefined ? config.workers : /^\d+$/.test(flag) ? Number(flag) : NaN;
  if (!Number.isSafeInteger(n)) return null;
  return n === 0 ? availableParallelism() : n;
}

/** Why these sinks cannot run in `count` processes, or null. */
export function workersConflict(config: GatewayConfig, count: number): string | null {
  if (count <= 1) return null;
  const spooled = config.sinks.find((s) => 'delivery' in s && s.delivery.spoolDir !== undefined);
  if (!spooled) return null;
  return `[[sinks.sink]] target = "${spooled.target}" has a spool_dir: each worker would need its own spool. Run one worker, or drop spool_dir`;
}

/** As the CLI refuses a bad argument or config: the message on stderr, exit code 2. */
function refuse(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(EXIT_CONFIG);
}

/**
 * Called by the CLI before it starts the gateway. In a cluster worker, or with one worker, returns false: this
 * process serves. Otherwise this process becomes the primary: it forks the workers, supervises them until it is
 * stopped, and returns true (the CLI then does nothing more). Exits with 2 on a bad `--workers` or a config that
 * cannot run in several processes.
 */
export function superviseWorkers(config: GatewayConfig, flag: string | undefined, log: Logger): boolean {
  if (cluster.isWorker) return false;
  const count = workerCount(config, flag);
  if (count === null) refuse(`--workers: expected a number of processes (0 = one per core), got ${JSON.stringify(flag)}`);
  const conflict = workersConflict(config, count);
  if (conflict !== null) refuse(`invalid configuration:\n${conflict}`);
  if (count === 1) return false;
  if (config.sinks.some((s) => s.target === 'memory')) {
    log.warn(`${count} workers each keep their own memory sink: a query sees only the points of the worker that answers it`);
  }
  new Supervisor(count, log).start();
  return true;
}

/** One worker slot: the process in it now and how often it died in a row. */
interface Slot {
  worker: Worker | null;
  deaths: number;
  startedAt: number;
  restart: NodeJS.Timeout | null;
}

class Supervisor {
  private readonly slots: Slot[];
  private stopping = false;
  private failed = false;

  constructor(
    count: number,
    private readonly log: Logger,
  ) {
    this.slots = Array.from({ length: count }, () => ({ worker: null, deaths: 0, startedAt: 0, restart: null }));
  }

  start(): void {
    this.log.info(`primary ${process.pid}: starting ${this.slots.length} workers`);
    for (const slot of this.slots) this.fork(slot);
    process.on('SIGTERM', () => this.stop('SIGTERM'));
    process.on('SIGINT', () => this.stop('SIGINT'));
    process.on('SIGHUP', () => {
      if (this.stopping) return;
      this.log.info('SIGHUP: asking every worker to reload its configuration');
      for (const slot of this.slots) slot.worker?.process.kill('SIGHUP');
    });
  }

  private fork(slot: Slot): void {
    slot.restart = null;
    slot.startedAt = Date.now();
    const worker = cluster.fork();
    slot.worker = worker;
    let listening = false;
    worker.once('listening', () => (listening = true));
    worker.once('exit', (code, signal) => {
      slot.worker = null;
      if (this.stopping) {
        if (code !== 0) this.failed = true;
        this.exitWhenAllStopped();
        return;
      }
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      // A worker that never listened cannot start (port in use, a sink that cannot open): so would the next one.
      if (!listening) {
        this.log.fatal(`worker ${worker.process.pid} ${how} before it listened: stopping`);
        this.failed = true;
        this.stop('startup failure');
        return;
      }
      if (Date.now() - slot.startedAt >= STABLE_MS) slot.deaths = 0;
      const delay = Math.min(RESTART_MAX_MS, RESTART_INITIAL_MS * 2 ** slot.deaths);
      slot.deaths++;
      this.log.error(`worker ${worker.process.pid} ${how}: restarting it in ${delay} ms`);
      slot.restart = setTimeout(() => this.fork(slot), delay);
    });
  }

  /** Asks every worker to finish its requests in flight and flush its sinks; exits once all have. */
  private stop(reason: string): void {
    if (this.stopping) return;
    this.stopping = true;
    this.log.info(`${reason}: stopping ${this.slots.filter((s) => s.worker).length} workers`);
    for (const slot of this.slots) {
      if (slot.restart) clearTimeout(slot.restart);
      slot.worker?.process.kill('SIGTERM');
    }
    this.exitWhenAllStopped();
  }

  private exitWhenAllStopped(): void {
    if (this.slots.some((s) => s.worker)) return;
    this.log.info('all workers stopped');
    process.exitCode = this.failed ? 1 : 0;
  }
}
