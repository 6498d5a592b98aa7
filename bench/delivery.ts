/**
 * Delivery: the gateway (in this process) with a `dataway` sink to a stand-in dataway (its own process): points/s
 * delivered, and what a stalled backend does (the queue fills, the gateway answers 503 + Retry-After, memory stays
 * bounded).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/index.js';
import { startGateway } from '../src/gateway.js';
import { QueuedSink } from '../src/sinks/queue.js';
import { runLoad } from './load-spec.js';
import type { Payload } from './payloads.js';

const here = fileURLToPath(new URL('.', import.meta.url));
/** A stalled backend gets a small queue so that the run shows it filling up and the 503s that follow. */
const STALLED_QUEUE_POINTS = 5_000;
const DRAIN_POLL_MS = 50;
const DRAIN_POLLS = 100;

/** The stand-in dataway in its own process; `count()` asks it how many points it has received. */
async function startReceiver(stall: boolean) {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--import', 'tsx', join(here, 'dataway-receiver.ts'), ...(stall ? ['--stall'] : [])]);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const port = Number((await lines.next()).value);
  return {
    url: `http://127.0.0.1:${port}?token=bench`,
    async count(): Promise<{ points: number; requests: number; bytes: number }> {
      child.stdin.write('\n');
      return JSON.parse((await lines.next()).value as string);
    },
    async stop() {
      child.stdin.end();
      child.kill();
      await once(child, 'exit');
    },
  };
}

function datawayConfig(url: string, stall: boolean) {
  return loadConfig({
    env: {},
    text: `[[inputs.opentelemetry]]
  [inputs.opentelemetry.http]
[[sinks.sink]]
target = "dataway"
url = "${url}"
drain_timeout_ms = 1000
${stall ? `queue_max_points = ${STALLED_QUEUE_POINTS}` : ''}`,
  });
}

export async function delivery(p: Payload, dir: string, seconds: number, connections: number) {
  const rows = [];
  const bodyFile = join(dir, 'delivery-body');
  writeFileSync(bodyFile, p.body);
  for (const stall of [false, true]) {
    const receiver = await startReceiver(stall);
    const gw = await startGateway({ config: datawayConfig(receiver.url, stall), listen: { host: '127.0.0.1', port: 0 } });
    const sink = gw.sinks.find((s): s is QueuedSink => s instanceof QueuedSink)!;
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), DRAIN_POLL_MS);
    const started = Date.now();
    const r = await runLoad({ url: `${gw.url}/otel/v1/${p.signal}`, bodyFile, contentType: p.contentType, contentEncoding: p.contentEncoding, connections, seconds });
    // Delivery lags the answers by at most the queue: give it a moment to drain (bounded) before counting.
    for (let i = 0; !stall && i < DRAIN_POLLS && sink.stats().queuedItems > 0; i++) await new Promise((res) => setTimeout(res, DRAIN_POLL_MS));
    const elapsed = (Date.now() - started) / 1000;
    const got = await receiver.count();
    const stats = sink.stats();
    clearInterval(sampler);
    rows.push({
      scenario: stall ? `${p.name} → stalled dataway (queue ${STALLED_QUEUE_POINTS} points)` : `${p.name} → dataway`,
      deliveredPointsPerSecond: Math.round(got.points / elapsed),
      answered: r.statuses,
      p50Ms: r.p50Ms,
      p99Ms: r.p99Ms,
      queuedPointsAtEnd: stats.queuedItems,
      queuedMbAtEnd: +(stats.queuedBytes / 1e6).toFixed(1),
      peakRssMb: Math.round(peakRss / 1e6),
    });
    await gw.close().catch(() => undefined); // a stalled backend: what is left is dropped (counted) after the drain deadline
    await receiver.stop();
  }
  return rows;
}
