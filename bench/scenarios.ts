/**
 * One scenario: a payload sent to a server (its own process) by the load generator (another process), with the
 * server's CPU and peak RSS read from /proc around the run.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runLoad, type LoadSpec } from './load-spec.js';
import type { Payload } from './payloads.js';
import { cpuSeconds, peakRssBytes, processTree, resetPeakRss } from './proc.js';
import type { BenchServer } from './servers.js';

const MB = 1e6;
/** Untimed load before each measured run, so that the JIT has compiled the server's hot path. */
const WARMUP_SECONDS = 1;

export interface ScenarioOptions {
  connections: number;
  seconds: number;
  /** Requests per second over all connections; default as fast as answered. */
  overallRate?: number;
  /** A fixed number of requests instead of `seconds`. */
  amount?: number;
  /** Clients that wait Retry-After after a 429/503, as exporters do; default: they post again at once (autocannon). */
  honourRetryAfter?: boolean;
  timeoutSeconds?: number;
  /** Skip the warm-up (the 64 MiB request: one slow request is all there is to it). */
  cold?: boolean;
}

export interface Measured {
  scenario: string;
  server: string;
  /** Spans, metric data points or log records in the requests answered 200, per second. */
  itemsPerSecond: number;
  /** Request bodies answered 200, as sent (compressed), per second. */
  mbPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Server CPU (user + system, all its processes) per million items answered 200. */
  cpuSecondsPerMillionItems: number | null;
  /** Peak resident set of the server's processes during the run (summed over a cluster's processes). */
  peakRssMb: number;
  statuses: Record<string, number>;
  errors: number;
}

export class ScenarioRunner {
  constructor(private readonly dir: string) {}

  /** The body on disk for the load generator, written once per payload. */
  private bodyFile(p: Payload): string {
    const file = join(this.dir, `${p.name.replace(/[^a-z0-9]+/gi, '-')}.bin`);
    if (!existsSync(file)) writeFileSync(file, p.body);
    return file;
  }

  async run(scenario: string, server: BenchServer, label: string, p: Payload, o: ScenarioOptions): Promise<Measured> {
    const spec: LoadSpec = {
      url: `${server.url}/otel/v1/${p.signal}`,
      bodyFile: this.bodyFile(p),
      contentType: p.contentType,
      contentEncoding: p.contentEncoding,
      connections: o.connections,
      seconds: o.seconds,
      amount: o.amount,
      overallRate: o.overallRate,
      honourRetryAfter: o.honourRetryAfter,
      timeoutSeconds: o.timeoutSeconds,
    };
    if (!o.cold) await runLoad({ ...spec, seconds: WARMUP_SECONDS, amount: undefined });
    const pids = processTree(server.pid);
    resetPeakRss(pids);
    const cpu0 = cpuSeconds(pids);
    const r = await runLoad(spec);
    const cpu = cpuSeconds(pids) - cpu0;
    const peak = peakRssBytes(pids);
    const ok = r.statuses['200'] ?? 0;
    const seconds = r.elapsedMs / 1000;
    const items = ok * p.items;
    const m: Measured = {
      scenario,
      server: label,
      itemsPerSecond: Math.round(items / seconds),
      mbPerSecond: +((ok * p.body.length) / MB / seconds).toFixed(1),
      p50Ms: r.p50Ms,
      p99Ms: r.p99Ms,
      cpuSecondsPerMillionItems: items > 0 ? +((cpu / items) * 1e6).toFixed(2) : null,
      peakRssMb: Math.round(peak / MB),
      statuses: r.statuses,
      errors: r.errors + r.timeouts,
    };
    process.stdout.write(`  ${label.padEnd(12)} ${scenario}: ${m.itemsPerSecond} items/s, p99 ${m.p99Ms} ms, ${JSON.stringify(m.statuses)}\n`);
    return m;
  }
}
