/**
 * In process, no HTTP: decode → convert → line protocol per payload, next to the ceiling's decode alone (protobufjs'
 * generic `Type.decode`, or JSON.parse). Shows what the pipeline itself costs, apart from HTTP and scheduling.
 * The line protocol ends in the ≤ 64 KiB buffers the file sink writes (encodePointBuffers), not in a string: a
 * string nobody reads stays an unflattened rope and would hide part of the cost.
 */
import type { GatewayConfig } from '../src/config/types.js';
import { encodePointBuffers } from '../src/datakit/line-protocol.js';
import { decodeRequest } from '../src/otlp/decode.js';
import { otlpProtoTypes } from '../src/otlp/proto.js';
import { Pipeline } from '../src/pipeline.js';
import type { Payload } from './payloads.js';

const JIT_WARMUP_CALLS = 20;

/** Runs `fn` repeatedly for about `seconds` and returns calls per second and CPU ms per call. */
function timed(fn: () => void, seconds: number): { perSecond: number; cpuMsPerCall: number } {
  for (let i = 0; i < JIT_WARMUP_CALLS; i++) fn();
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

export function inProcess(config: GatewayConfig, payloads: readonly Payload[], seconds: number) {
  const input = config.inputs[0]!;
  const decodeOpts = { strictDatakit: false, maxDepth: config.limits.maxJsonDepth };
  const pipeline = new Pipeline({ config, sinks: [] });
  const types = otlpProtoTypes();
  const requestType = { traces: types.ExportTraceServiceRequest, metrics: types.ExportMetricsServiceRequest, logs: types.ExportLogsServiceRequest };
  return payloads
    .filter((p) => !p.contentEncoding)
    .map((p) => {
      const json = p.contentType === 'application/json';
      // A Buffer, as Fastify hands bodies over: protobufjs reads strings from a Buffer natively (BufferReader) but
      // decodes them in JS from a plain Uint8Array, which would make the ceiling ~2.5× slower than over HTTP.
      const bytes = p.body;
      let points = 0;
      const full = timed(() => {
        const data = decodeRequest(p.signal, json ? 'json' : 'protobuf', bytes, decodeOpts);
        const pts = pipeline.convert(p.signal, data, input, '127.0.0.1');
        points = pts.length;
        encodePointBuffers(pts);
      }, seconds);
      const ceiling = timed(() => {
        if (json) JSON.parse(p.body.toString('utf8'));
        else requestType[p.signal].decode(bytes);
      }, seconds);
      return {
        scenario: `${p.name} (in process)`,
        itemsPerSecond: Math.round(full.perSecond * p.items),
        pointsPerSecond: Math.round(full.perSecond * points),
        cpuSecondsPerMillionItems: +((full.cpuMsPerCall / p.items) * 1000).toFixed(2),
        ceilingItemsPerSecond: Math.round(ceiling.perSecond * p.items),
        ratio: +(full.perSecond / ceiling.perSecond).toFixed(2),
      };
    });
}
