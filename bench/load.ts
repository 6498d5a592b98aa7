/**
 * Load generator, run as a separate process so that it does not share the server's event loop:
 *   node --import tsx bench/load.ts '<LoadSpec as JSON>'
 * autocannon on keep-alive connections; prints one JSON line, a LoadResult.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import type { LoadResult, LoadSpec } from './load-spec.js';

const spec = JSON.parse(process.argv[2] ?? 'null') as LoadSpec | null;
if (!spec) {
  process.stderr.write("usage: load.ts '<LoadSpec as JSON>'\n");
  process.exit(2);
}
const headers: Record<string, string> = { 'content-type': spec.contentType };
if (spec.contentEncoding) headers['content-encoding'] = spec.contentEncoding;
const r = await autocannon({
  url: spec.url,
  method: 'POST',
  headers,
  body: readFileSync(spec.bodyFile),
  connections: spec.connections,
  duration: spec.seconds,
  amount: spec.amount,
  timeout: spec.timeoutSeconds ?? 10,
  // Latency of the answers that carried the data: a 503 is quick and would flatter the percentiles.
  excludeErrorStats: true,
});
const statuses = Object.fromEntries(Object.entries(r.statusCodeStats).map(([status, s]) => [status, s.count]));
const result: LoadResult = {
  requests: Object.values(statuses).reduce((a, b) => a + b, 0),
  elapsedMs: r.finish.getTime() - r.start.getTime(),
  statuses,
  p50Ms: r.latency.p50,
  p99Ms: r.latency.p99,
  errors: r.errors,
  timeouts: r.timeouts,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
