/**
 * In-process micro benchmark of the trace hot path after decoding: convert (Pipeline.convert: convertTraces + io
 * post-processing) and line-protocol encoding, apart and together, on the benchmark's 100-span LLM trace.
 * Encoding stages end in bytes, as a sink writes them: a string that is never read stays an unflattened rope and
 * would hide most of the cost. `encode`/`both` make one Buffer of the whole text (the one-string reference);
 * `chunks`/`both-chunks` use encodePointBuffers' ≤ 64 KiB buffers.
 *
 *   node --import tsx bench/convert-micro.ts [stage…] [--seconds N] [--runs N]
 *
 * To compare two versions, run one stage per process and alternate the versions: stages of one process share the
 * JIT's type feedback (the first stage changes the second's numbers), and on the VMs we run on the cost of page
 * faults varies from minute to minute (the same stage measured 1.4–2.9 ms per request within an hour).
 *
 * stage: decode | convert | encode | chunks | both | both-chunks (default: all but decode). Each run is a warm loop of N seconds
 * (default 3); the median of the runs (default 3) is printed, with the allocation per request (heapUsed delta of
 * single requests, median, so a scavenge in the middle does not count) and the share of time spent in GC.
 * Rates are per CPU second of this process (user + system), which other load on a shared machine disturbs far less
 * than wall time; the wall-clock rate is printed too.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { loadConfig } from '../src/config/index.js';
import { encodePointBuffers, encodePoints } from '../src/datakit/line-protocol.js';
import type { Point } from '../src/datakit/point.js';
import { decodeTracesProtobuf } from '../src/otlp/decode-protobuf.js';
import type { TracesRequest } from '../src/otlp/model.js';
import { Pipeline } from '../src/pipeline.js';
import { tracePayloads } from './payloads.js';

const STAGES = ['decode', 'convert', 'encode', 'chunks', 'both', 'both-chunks'] as const;
type Stage = (typeof STAGES)[number];

function parseArgs(argv: readonly string[]): { stages: Stage[]; seconds: number; runs: number } {
  const stages: Stage[] = [];
  let seconds = 3;
  let runs = 3;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--seconds') seconds = Number(argv[++i]);
    else if (a === '--runs') runs = Number(argv[++i]);
    else if ((STAGES as readonly string[]).includes(a)) stages.push(a as Stage);
    else throw new Error(`unknown argument ${a}`);
  }
  return { stages: stages.length > 0 ? stages : STAGES.filter((s) => s !== 'decode'), seconds, runs };
}

const config = loadConfig({ env: {} });
const input = config.inputs[0]!;
const pipeline = new Pipeline({ config, sinks: [] });
const payload = tracePayloads(100)[0];
const decodeOpts = { strictDatakit: false, maxDepth: config.limits.maxJsonDepth };
const request: TracesRequest = decodeTracesProtobuf(payload.body, decodeOpts);
const convert = () => pipeline.convert('traces', request, input, '127.0.0.1');
const converted = convert();

/** The one-string reference: the whole batch as one text, then one Buffer. */
const asOneBuffer = (points: Point[]): number => Buffer.from(encodePoints(points) + '\n').length;
function asChunkBuffers(points: Point[]): number {
  let bytes = 0;
  for (const b of encodePointBuffers(points)) bytes += b.length;
  return bytes;
}

/** Keeps results observable so the loop is not optimised away. */
let sink = 0;
const work: Record<Stage, () => void> = {
  decode: () => void (sink += decodeTracesProtobuf(payload.body, decodeOpts).resourceSpans.length),
  convert: () => void (sink += convert().length),
  encode: () => void (sink += asOneBuffer(converted)),
  chunks: () => void (sink += asChunkBuffers(converted)),
  both: () => void (sink += asOneBuffer(convert())),
  'both-chunks': () => void (sink += asChunkBuffers(convert())),
};

let gcNs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcNs += e.duration * 1e6;
}).observe({ entryTypes: ['gc'] });

interface RunResult {
  /** Requests per CPU second. */
  perCpuSecond: number;
  /** Requests per wall-clock second. */
  perSecond: number;
  gcShare: number;
}

/** GC entries reach the observer asynchronously: the loop yields once before and after reading them. */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 20));

async function timedRun(fn: () => void, seconds: number): Promise<RunResult> {
  await settle();
  const gcBefore = gcNs;
  const cpuBefore = process.cpuUsage();
  const start = process.hrtime.bigint();
  const end = start + BigInt(seconds * 1e9);
  let n = 0;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 10; i++) fn();
    n += 10;
    now = process.hrtime.bigint();
  }
  const elapsed = Number(now - start);
  const cpu = process.cpuUsage(cpuBefore);
  const cpuNs = (cpu.user + cpu.system) * 1000;
  await settle();
  return { perCpuSecond: (n * 1e9) / cpuNs, perSecond: (n * 1e9) / elapsed, gcShare: (gcNs - gcBefore) / cpuNs };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function allocationPerCall(fn: () => void): number {
  const deltas: number[] = [];
  for (let i = 0; i < 31; i++) {
    const before = process.memoryUsage().heapUsed;
    fn();
    deltas.push(process.memoryUsage().heapUsed - before);
  }
  return median(deltas);
}

const { stages, seconds, runs } = parseArgs(process.argv.slice(2));
const lpBytes = Buffer.byteLength(encodePoints(converted));
console.log(`payload ${payload.body.length} B protobuf, ${payload.items} spans → ${converted.length} points, ${lpBytes} B line protocol`);
for (const stage of stages) {
  const fn = work[stage];
  await timedRun(fn, 1); // warm-up
  const results: RunResult[] = [];
  for (let r = 0; r < runs; r++) results.push(await timedRun(fn, seconds));
  const perCpuSecond = median(results.map((r) => r.perCpuSecond));
  const perSecond = median(results.map((r) => r.perSecond));
  const gcShare = median(results.map((r) => r.gcShare));
  const alloc = allocationPerCall(fn);
  const spread = results.map((r) => Math.round(r.perCpuSecond * payload.items)).join(' / ');
  console.log(
    `${stage.padEnd(11)} ${(1000 / perCpuSecond).toFixed(3)} CPU ms/request  ${Math.round(perCpuSecond * payload.items)} spans/CPU s ` +
      `(runs ${spread}; wall ${Math.round(perSecond * payload.items)} spans/s)  GC ${(gcShare * 100).toFixed(1)}%  ` +
      `alloc ${(alloc / 1024).toFixed(0)} KiB/request`,
  );
}
if (sink === 0) console.log('nothing was produced');
