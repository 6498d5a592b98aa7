/**
 * Load generator that behaves like OpenTelemetry exporters under back-pressure, run as its own process like load.ts:
 *   node --import tsx bench/exporter-load.ts '<LoadSpec as JSON, with honourRetryAfter>'
 * Each of `connections` clients posts, waits for the answer, and posts again at once, unless the answer was a 429 or
 * 503 with `Retry-After`: then it waits that long first, as the OTLP/HTTP exporters do (the OpenTelemetry JS
 * exporter among them). autocannon (load.ts) re-sends at once instead, so there the refused requests come straight
 * back and the gateway spends its time refusing them. Latency is per request, of the 2xx answers, as load.ts counts.
 * Prints one JSON line, a LoadResult.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Poster, specFromArgv } from './http-client.js';

const spec = specFromArgv('exporter-load.ts', '');
const poster = new Poster(spec);
const end = performance.now() + spec.seconds * 1000;

async function client(): Promise<void> {
  while (performance.now() < end) {
    const answer = await poster.post();
    const backOff = answer && (answer.status === 429 || answer.status === 503) && answer.retryAfterSeconds >= 0;
    if (backOff) await sleep(Math.min(answer.retryAfterSeconds * 1000, Math.max(0, end - performance.now())));
  }
}

await Promise.all(Array.from({ length: spec.connections }, client));
poster.finish();
