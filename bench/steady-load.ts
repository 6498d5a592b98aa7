/**
 * Load generator for a steady rate (the LoadSpec's `overallRate`), run as its own process like load.ts:
 *   node --import tsx bench/steady-load.ts '<LoadSpec as JSON>'
 * Request i is due at start + i / rate, evenly spaced, whatever the answers do (an open loop, as exporters of many
 * independent apps behave), over at most `connections` keep-alive connections; a request that finds them all busy
 * waits for one. Latency runs from when a request was due, not from when it was sent, so waiting for a connection
 * counts (no "coordinated omission"). Prints one JSON line, a LoadResult.
 *
 * Why not autocannon's `overallRate`: it fires every connection's request on the same tick, so at 100 requests/s on
 * 10 connections the gateway got bursts of 10 and the p99 measured the queue of each burst (39–67 ms, against
 * 10–12 ms for the same rate spread out).
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { LoadResult, LoadSpec } from './load-spec.js';
import { percentileMs } from './percentile.js';

const spec = JSON.parse(process.argv[2] ?? 'null') as LoadSpec | null;
if (!spec?.overallRate) {
  process.stderr.write("usage: steady-load.ts '<LoadSpec as JSON, with overallRate>'\n");
  process.exit(2);
}
const rate = spec.overallRate;
const body = readFileSync(spec.bodyFile);
const headers: Record<string, string | number> = { 'content-type': spec.contentType, 'content-length': body.length };
if (spec.contentEncoding) headers['content-encoding'] = spec.contentEncoding;
const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
const timeoutMs = (spec.timeoutSeconds ?? 10) * 1000;
const total = spec.amount ?? Math.round(rate * spec.seconds);

/** Of the 2xx answers, µs. */
const latenciesUs: number[] = [];
const statuses: Record<string, number> = {};
let errors = 0;
let timeouts = 0;
let settled = 0;
const start = performance.now();

function send(due: number): Promise<void> {
  return new Promise((resolve) => {
    let timedOut = false;
    const req = request(spec!.url, { method: 'POST', agent, headers, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => {
        const status = String(res.statusCode);
        statuses[status] = (statuses[status] ?? 0) + 1;
        // As load.ts: the latency of answers that carried the data.
        if (res.statusCode! >= 200 && res.statusCode! < 300) latenciesUs.push((performance.now() - due) * 1000);
        resolve();
      });
    });
    req.on('timeout', () => {
      timedOut = true;
      req.destroy();
    });
    req.on('error', () => {
      if (timedOut) timeouts++;
      else errors++;
      resolve();
    });
    req.end(body);
  });
}

const done: Promise<void>[] = [];
await new Promise<void>((allScheduled) => {
  let i = 0;
  const next = (): void => {
    // Everything due by now is sent now (a late timer sends its backlog at once), then sleep until the next one.
    const now = performance.now();
    while (i < total && start + (i * 1000) / rate <= now) {
      done.push(send(start + (i * 1000) / rate).finally(() => settled++));
      i++;
    }
    if (i >= total) allScheduled();
    else setTimeout(next, Math.max(0, start + (i * 1000) / rate - performance.now()));
  };
  next();
});
await Promise.all(done);
agent.destroy();

const sorted = latenciesUs.sort((a, b) => a - b);
const round = (ms: number): number => Math.round(ms * 10) / 10;
const result: LoadResult = {
  requests: settled - errors - timeouts,
  elapsedMs: performance.now() - start,
  statuses,
  p50Ms: round(percentileMs(sorted, 0.5)),
  p99Ms: round(percentileMs(sorted, 0.99)),
  errors,
  timeouts,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
