/**
 * What the bench's own load generators (steady-load.ts, exporter-load.ts) share: one POST of the payload on a
 * keep-alive agent, and the tally of their answers into a LoadResult (the shape load.ts reads from autocannon).
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { LoadResult, LoadSpec } from './load-spec.js';
import { percentileMs } from './percentile.js';

/** One answer: its status and `Retry-After` in seconds (NaN when absent or not a number of seconds). */
export interface Answer {
  status: number;
  retryAfterSeconds: number;
}

/** Reads the spec a generator is started with (`node --import tsx <generator> '<LoadSpec as JSON>'`), or exits. */
export function specFromArgv(generator: string, needs: string): LoadSpec {
  const spec = JSON.parse(process.argv[2] ?? 'null') as LoadSpec | null;
  if (!spec) {
    process.stderr.write(`usage: ${generator} '<LoadSpec as JSON${needs}>'\n`);
    process.exit(2);
  }
  return spec;
}

/** The payload, its headers and the connections a run posts with; `tally` counts what comes back. */
export class Poster {
  private readonly body: Buffer;
  private readonly headers: Record<string, string | number>;
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  /** Of the 2xx answers, µs: the latency of the answers that carried the data, as load.ts counts it. */
  private readonly latenciesUs: number[] = [];
  private readonly statuses: Record<string, number> = {};
  private errors = 0;
  private timeouts = 0;
  private answered = 0;
  private readonly start = performance.now();

  constructor(private readonly spec: LoadSpec) {
    this.body = readFileSync(spec.bodyFile);
    this.headers = { 'content-type': spec.contentType, 'content-length': this.body.length };
    if (spec.contentEncoding) this.headers['content-encoding'] = spec.contentEncoding;
    this.agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
    this.timeoutMs = (spec.timeoutSeconds ?? 10) * 1000;
  }

  /**
   * Posts the payload once; latency counts from `since` (default: now). Resolves with the answer, or null after a
   * connection error or a timeout (counted).
   */
  post(since = performance.now()): Promise<Answer | null> {
    return new Promise((resolve) => {
      let timedOut = false;
      const req = request(this.spec.url, { method: 'POST', agent: this.agent, headers: this.headers, timeout: this.timeoutMs }, (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode!;
          this.statuses[status] = (this.statuses[status] ?? 0) + 1;
          this.answered++;
          if (status >= 200 && status < 300) this.latenciesUs.push((performance.now() - since) * 1000);
          resolve({ status, retryAfterSeconds: Number(res.headers['retry-after'] ?? Number.NaN) });
        });
      });
      req.on('timeout', () => {
        timedOut = true;
        req.destroy();
      });
      req.on('error', () => {
        if (timedOut) this.timeouts++;
        else this.errors++;
        resolve(null);
      });
      req.end(this.body);
    });
  }

  /** Closes the connections and prints the LoadResult (one JSON line, what runLoad reads). */
  finish(): void {
    this.agent.destroy();
    const sorted = this.latenciesUs.sort((a, b) => a - b);
    const round = (ms: number): number => Math.round(ms * 10) / 10;
    const result: LoadResult = {
      requests: this.answered,
      elapsedMs: performance.now() - this.start,
      statuses: this.statuses,
      p50Ms: round(percentileMs(sorted, 0.5)),
      p99Ms: round(percentileMs(sorted, 0.99)),
      errors: this.errors,
      timeouts: this.timeouts,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
}
