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
import { performance } from 'node:perf_hooks';
import { Poster, specFromArgv } from './http-client.js';

const spec = specFromArgv('steady-load.ts', ', with overallRate');
const rate = spec.overallRate;
if (!rate) {
  process.stderr.write('steady-load.ts: the LoadSpec has no overallRate\n');
  process.exit(2);
}
const poster = new Poster(spec);
const total = spec.amount ?? Math.round(rate * spec.seconds);
const start = performance.now();

const done: Promise<unknown>[] = [];
await new Promise<void>((allScheduled) => {
  let i = 0;
  const next = (): void => {
    // Everything due by now is sent now (a late timer sends its backlog at once), then sleep until the next one.
    const now = performance.now();
    while (i < total && start + (i * 1000) / rate <= now) {
      done.push(poster.post(start + (i * 1000) / rate));
      i++;
    }
    if (i >= total) allScheduled();
    else setTimeout(next, Math.max(0, start + (i * 1000) / rate - performance.now()));
  };
  next();
});
await Promise.all(done);
poster.finish();
