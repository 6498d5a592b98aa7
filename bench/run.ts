/**
 * `npm run bench`: how fast the gateway turns OTLP into line protocol, and how close it gets to the ceiling
 * (a Fastify route that only decodes the body with protobufjs' generic decode / JSON.parse).
 *
 * 1. In process, no HTTP: decode → convert → line protocol per payload, next to the ceiling's decode alone.
 * 2. Over HTTP on loopback: the real gateway with a file sink to /dev/null, loaded from a separate process.
 * Prints a table and writes bench/results.json. Takes about a minute; BENCH_SECONDS scales each run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/index.js';
import { encodePoints } from '../src/datakit/line-protocol.js';
import type { Category, PointBatch } from '../src/datakit/point.js';
import { startGateway } from '../src/gateway.js';
import { decodeRequest } from '../src/otlp/decode.js';
import { otlpProtoTypes } from '../src/otlp/proto.js';
import { Pipeline } from '../src/pipeline.js';
import { FileSink } from '../src/sinks/file-sink.js';
import type { Sink } from '../src/sinks/sink.js';
import { tracePayloads, type Payload } from './payloads.js';

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

/** Counts what reaches the sink, then hands it on, so points/s is what was really delivered. */
class CountingSink implements Sink {
  readonly name: string;
  readonly categories: ReadonlySet<Category>;
  points = 0;
  constructor(private readonly inner: Sink) {
    this.name = inner.name;
    this.categories = inner.categories;
  }
  async write(batch: PointBatch) {
    this.points += batch.points.length;
    await this.inner.write(batch);
  }
  flush() {
    return this.inner.flush();
  }
  close() {
    return this.inner.close();
  }
}

function runLoad(url: string, p: Payload, bodyFile: string): Promise<{ requests: number; elapsedMs: number; statuses: Record<string, number>; p50Ms: number; p99Ms: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'load.ts'), url, bodyFile, p.contentType, p.contentEncoding ?? '-', String(CONNECTIONS), String(SECONDS * 1000)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load generator exited with ${code}`))));
  });
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

const payloads = tracePayloads(100);
for (const p of payloads) process.stdout.write(`payload ${p.name}: ${p.items} spans, ${(p.body.length / 1024).toFixed(1)} KiB\n`);
const results = { node: process.version, seconds: SECONDS, inProcess: inProcess(payloads), http: await overHttp(payloads), peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) };
console.table(results.inProcess);
console.table(results.http);
process.stdout.write(`peak RSS of the gateway process: ${results.peakRssMb} MB\n`);
writeFileSync(join(here, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`written ${join(here, 'results.json')}\n`);
