/**
 * Decode-only micro-benchmark (issue 8): the production wire decoder against the protobufjs reference decoder, on
 * the benchmark's 100-span LLM trace request and on a metrics request with many data points. A warm loop of at least
 * SECONDS (default 2) per round, five rounds interleaving the decoders; prints the median CPU time per request, items/s
 * and garbage collections per request (a proxy for allocation).
 *
 *   npx tsx bench/decode-micro.ts [seconds]
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { decodeMetricsProtobuf, decodeMetricsProtobufReflect, decodeTracesProtobuf, decodeTracesProtobufReflect } from '../src/otlp/decode-protobuf.js';
import { encodeRequestProtobuf } from '../src/otlp/encode-protobuf.js';
import type { KeyValue, MetricsRequest, NumberDataPoint } from '../src/otlp/model.js';
import { tracePayloads } from './payloads.js';

const SECONDS = Number(process.argv[2] ?? 2);

interface Case {
  name: string;
  body: Uint8Array;
  items: number;
  decoders: [string, (b: Uint8Array) => unknown][];
}

/** 20 metrics × 100 sum data points with 4 attributes each: 2,000 points, like a host/runtime metrics export. */
function metricsBody(): Uint8Array {
  const attr = (key: string, value: string): KeyValue => ({ key, value: { kind: 'string', value } });
  const t = 1_700_000_000_000_000_000n;
  const points = (m: number): NumberDataPoint[] =>
    Array.from({ length: 100 }, (_, i) => ({
      attributes: [attr('host.name', 'bench'), attr('cpu', `cpu${i % 8}`), attr('state', i % 2 ? 'user' : 'system'), attr('metric', `m${m}`)],
      startTimeUnixNano: t,
      timeUnixNano: t + BigInt(i),
      value: i % 2 ? { kind: 'double', value: i * 1.5 } : { kind: 'int', value: BigInt(i) },
      exemplars: [],
      flags: 0,
    }));
  const req: MetricsRequest = {
    resourceMetrics: [
      {
        resource: { attributes: [attr('service.name', 'bench')], droppedAttributesCount: 0 },
        scopeMetrics: [
          {
            scope: { name: 'bench', version: '1', attributes: [], droppedAttributesCount: 0 },
            metrics: Array.from({ length: 20 }, (_, m) => ({
              name: `system.cpu.time.${m}`,
              description: '',
              unit: 's',
              data: { type: 'sum' as const, dataPoints: points(m), aggregationTemporality: 2, isMonotonic: true },
              metadata: [],
            })),
            schemaUrl: '',
          },
        ],
        schemaUrl: '',
      },
    ],
  };
  return encodeRequestProtobuf('metrics', req);
}

interface Round {
  /** CPU time (user + system) per request: steadier than wall time on a shared machine. */
  msPerRequest: number;
  gcRuns: number;
}

/** One warm loop of at least SECONDS: CPU time per request and garbage collections (a proxy for allocation). */
async function round(decode: (b: Uint8Array) => unknown, body: Uint8Array): Promise<Round> {
  const obs = new PerformanceObserver(() => {});
  obs.observe({ entryTypes: ['gc'] });
  let n = 0;
  const cpu = process.cpuUsage();
  const deadline = process.hrtime.bigint() + BigInt(SECONDS * 1e9);
  while (process.hrtime.bigint() < deadline) {
    for (let i = 0; i < 50; i++) decode(body);
    n += 50;
  }
  const used = process.cpuUsage(cpu);
  await new Promise((resolve) => setImmediate(resolve)); // GC entries are queued asynchronously
  const gcRuns = obs.takeRecords().length;
  obs.disconnect();
  return { msPerRequest: (used.user + used.system) / 1000 / n, gcRuns: gcRuns / n };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const traces = tracePayloads(100)[0];
const metrics = metricsBody();
const cases: Case[] = [
  {
    name: `traces 100 spans (${(traces.body.length / 1024).toFixed(0)} KiB)`,
    body: traces.body,
    items: 100,
    decoders: [['wire', decodeTracesProtobuf], ['protobufjs', decodeTracesProtobufReflect]],
  },
  {
    name: `metrics 2000 points (${(metrics.length / 1024).toFixed(0)} KiB)`,
    body: metrics,
    items: 2000,
    decoders: [['wire', decodeMetricsProtobuf], ['protobufjs', decodeMetricsProtobufReflect]],
  },
];

const ROUNDS = 5;
for (const c of cases) {
  const results = new Map<string, Round[]>(c.decoders.map(([name]) => [name, []]));
  for (const [, decode] of c.decoders) for (let i = 0; i < 200; i++) decode(c.body); // warm-up: let the JIT settle
  // Rounds interleave the decoders, so a burst of load from elsewhere hits both alike.
  for (let r = 0; r < ROUNDS; r++) for (const [name, decode] of c.decoders) results.get(name)!.push(await round(decode, c.body));
  for (const [name, rounds] of results) {
    const ms = median(rounds.map((x) => x.msPerRequest));
    const gcPer1000 = median(rounds.map((x) => x.gcRuns)) * 1000;
    const perSecond = Math.round((c.items * 1000) / ms).toLocaleString('en-US');
    console.log(`${c.name.padEnd(32)} ${name.padEnd(11)} ${ms.toFixed(3)} ms/request  ${perSecond.padStart(11)} items/s  ${gcPer1000.toFixed(1)} GCs per 1000 requests`);
  }
}
