/**
 * `npm run bench`: how fast the gateway turns OTLP into line protocol, and how close it gets to the ceiling
 * (a Fastify route that only decodes the body with protobufjs' generic decode / JSON.parse).
 *
 * 1. In process, no HTTP: decode → convert → line protocol per payload, next to the ceiling's decode alone.
 * 2. Over HTTP on loopback: the real gateway with a file sink to /dev/null, loaded from a separate process.
 * 3. Delivery: the gateway with a `dataway` sink to a stand-in dataway (its own process): points/s delivered, and
 *    what a stalled backend does (the queue fills, the gateway answers 503 + Retry-After, memory stays bounded).
 * 4. Soak (soak.ts): good and hostile requests interleaved; every good item delivered, the rest refused, no 5xx.
 * Prints a table and writes bench/results.json. Takes about a minute; BENCH_SECONDS scales each run.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/index.js';
import { encodePoints } from '../src/datakit/line-protocol.js';
import type { Category } from '../src/datakit/point.js';
import { startGateway } from '../src/gateway.js';
import { decodeRequest } from '../src/otlp/decode.js';
import { otlpProtoTypes } from '../src/otlp/proto.js';
import { Pipeline } from '../src/pipeline.js';
import { FileSink } from '../src/sinks/file-sink.js';
import { QueuedSink } from '../src/sinks/queue.js';
import { runJsonChild } from './child-json.js';
import { CountingSink } from './counting-sink.js';
import { tracePayloads, type Payload } from './payloads.js';
import { printSoak, soak } from './soak.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const here = fileURLToPath(new URL('.', import.meta.url));

const config = loadConfig({ env: {} }); // the embedded defaults: datakit.conf.example
const input = config.inputs[0]!;
const decodeOpts = { strictDatakit: false, maxDepth: config.limits.maxJsonDepth };

/** Runs `fn` repeatedly for about `seconds` and returns calls per second and CPU ms per call. */
function measure(fn: () => void, seconds: number): { perSecond: number; cpuMsPerCall: number } {
  for (let i = 0; i < 20; i++) fn(); // warm up the JIT
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const until = t0 + BigInt(Math.round(seconds * 1e9));
  let calls = 0;
  let now = t0;
  while (now < until) {
    fn();
    calls++;
    now = process.hrtime.bigint();
  }
  const cpu = process.cpuUsage(cpu0);
  return { perSecond: calls / (Number(now - t0) / 1e9), cpuMsPerCall: (cpu.user + cpu.system) / 1000 / calls };
}

function inProcess(payloads: Payload[]) {
  const pipeline = new Pipeline({ config, sinks: [] });
  const types = otlpProtoTypes();
  const rows = [];
  for (const p of payloads.filter((x) => !x.contentEncoding)) {
    const json = p.contentType === 'application/json';
    const bytes = new Uint8Array(p.body);
    let points = 0;
    const full = measure(() => {
      const data = decodeRequest('traces', json ? 'json' : 'protobuf', bytes, decodeOpts);
      const pts = pipeline.convert('traces', data, input, '127.0.0.1');
      points = pts.length;
      encodePoints(pts);
    }, SECONDS);
    const ceiling = measure(() => {
      if (json) JSON.parse(p.body.toString('utf8'));
      else types.ExportTraceServiceRequest.decode(bytes);
    }, SECONDS);
    rows.push({
      scenario: `${p.name} (in process)`,
      spansPerSecond: Math.round(full.perSecond * p.items),
      pointsPerSecond: Math.round(full.perSecond * points),
      cpuSecondsPerMillionSpans: +((full.cpuMsPerCall / p.items) * 1000).toFixed(2),
      ceilingSpansPerSecond: Math.round(ceiling.perSecond * p.items),
      ratio: +(full.perSecond / ceiling.perSecond).toFixed(2),
    });
  }
  return rows;
}

function runLoad(url: string, p: Payload, bodyFile: string): Promise<{ requests: number; elapsedMs: number; statuses: Record<string, number>; p50Ms: number; p99Ms: number }> {
  return runJsonChild('load.ts', [url, bodyFile, p.contentType, p.contentEncoding ?? '-', String(CONNECTIONS), String(SECONDS * 1000)]);
}

async function overHttp(payloads: Payload[]) {
  const fileSink = new FileSink('/dev/null', new Set<Category>(['tracing', 'metric', 'logging']));
  await fileSink.open();
  const sink = new CountingSink(fileSink);
  const gw = await startGateway({ config, sinks: [sink], listen: { host: '127.0.0.1', port: 0 } });
  const dir = mkdtempSync(join(tmpdir(), 'dk-otel-bench-'));
  const rows = [];
  try {
    for (const p of payloads) {
      const bodyFile = join(dir, 'body');
      writeFileSync(bodyFile, p.body);
      sink.points = 0;
      const cpu0 = process.cpuUsage();
      const r = await runLoad(`${gw.url}${input.http!.traceApi}`, p, bodyFile);
      const cpu = process.cpuUsage(cpu0);
      const ok = r.statuses['200'] ?? 0;
      const spans = ok * p.items;
      rows.push({
        scenario: `${p.name} (HTTP, ${CONNECTIONS} connections)`,
        spansPerSecond: Math.round(spans / (r.elapsedMs / 1000)),
        pointsPerSecond: Math.round(sink.points / (r.elapsedMs / 1000)),
        mbPerSecond: +((ok * p.body.length) / 1e6 / (r.elapsedMs / 1000)).toFixed(1),
        p50Ms: r.p50Ms,
        p99Ms: r.p99Ms,
        cpuSecondsPerMillionSpans: spans ? +(((cpu.user + cpu.system) / 1e6 / spans) * 1e6).toFixed(2) : null,
        statuses: r.statuses,
      });
    }
  } finally {
    await gw.close();
  }
  return rows;
}

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

/** A stalled backend gets a small queue so that the run shows it filling up and the 503s that follow. */
const STALLED_QUEUE_POINTS = 5_000;

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

async function delivery(p: Payload) {
  const rows = [];
  const dir = mkdtempSync(join(tmpdir(), 'dk-otel-bench-'));
  const bodyFile = join(dir, 'body');
  writeFileSync(bodyFile, p.body);
  for (const stall of [false, true]) {
    const receiver = await startReceiver(stall);
    const gw = await startGateway({ config: datawayConfig(receiver.url, stall), listen: { host: '127.0.0.1', port: 0 } });
    const sink = gw.sinks.find((s): s is QueuedSink => s instanceof QueuedSink)!;
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
    const started = Date.now();
    const r = await runLoad(`${gw.url}/otel/v1/traces`, p, bodyFile);
    // Delivery lags the answers by at most the queue: give it a moment to drain (bounded) before counting.
    for (let i = 0; !stall && i < 100 && sink.stats().queuedItems > 0; i++) await new Promise((res) => setTimeout(res, 50));
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

const payloads = tracePayloads(100);
for (const p of payloads) process.stdout.write(`payload ${p.name}: ${p.items} spans, ${(p.body.length / 1024).toFixed(1)} KiB\n`);
const results = {
  node: process.version,
  seconds: SECONDS,
  connections: CONNECTIONS,
  inProcess: inProcess(payloads),
  http: await overHttp(payloads),
  delivery: await delivery(payloads[0]!),
  soak: await soak({ config, payloads, seconds: SECONDS, connections: CONNECTIONS }),
  peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
};
console.table(results.inProcess);
console.table(results.http);
console.table(results.delivery);
printSoak(results.soak);
process.stdout.write(`peak RSS of the gateway process: ${results.peakRssMb} MB\n`);
writeFileSync(join(here, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`written ${join(here, 'results.json')}\n`);
