/** Issue 8's targets next to what the run measured: met, not met, or not measured. */
import type { Measured } from './scenarios.js';

export interface HttpResults {
  /** Throughput scenarios, gateway and ceiling, by payload name. */
  gateway: Record<string, Measured>;
  ceiling: Record<string, Measured>;
  steady: Measured;
  /** 256 connections: autocannon (re-sends refused requests at once), exporter-like clients (wait Retry-After). */
  connections256: { gateway: Measured; exporters: Measured; ceiling: Measured };
  /** The 64 MiB request on a fresh gateway (the target), and on the one that ran the other scenarios first. */
  bigRequest: { gateway: Measured; afterLoad: Measured; bodyMb: number };
  workers: { one: Measured; two: Measured };
}

export interface TargetRow {
  target: string;
  measured: string;
  verdict: 'met' | 'not met';
}

const fmt = (n: number): string => n.toLocaleString('en-US');
const row = (target: string, measured: string, met: boolean): TargetRow => ({ target, measured, verdict: met ? 'met' : 'not met' });

export function targetRows(r: HttpResults): TargetRow[] {
  const pb = r.gateway['traces protobuf']!;
  const pbCeiling = r.ceiling['traces protobuf']!;
  const gzip = r.gateway['traces protobuf gzip']!;
  const ratio = pb.itemsPerSecond / pbCeiling.itemsPerSecond;
  const gzipExtra = gzip.cpuSecondsPerMillionItems! / pb.cpuSecondsPerMillionItems! - 1;
  const steadyLoads = [...Object.values(r.gateway), r.steady, r.connections256.gateway, r.connections256.exporters];
  const peakSteady = Math.max(...steadyLoads.map((m) => m.peakRssMb));
  const c256 = r.connections256.exporters;
  const hammer = r.connections256.gateway;
  const refusedOf = (m: Measured): string => `${m.statuses['503'] ?? 0} × 503 of ${Object.values(m.statuses).reduce((a, b) => a + b, 0)}`;
  const speedUp = r.workers.two.itemsPerSecond / r.workers.one.itemsPerSecond;
  return [
    row('protobuf traces ≥ 150,000 spans/s', `${fmt(pb.itemsPerSecond)} spans/s`, pb.itemsPerSecond >= 150_000),
    row('protobuf traces ≥ ceiling (ratio ≥ 1.0)', `${ratio.toFixed(2)} (ceiling ${fmt(pbCeiling.itemsPerSecond)} spans/s)`, ratio >= 1),
    row('JSON traces ≥ 60,000 spans/s', `${fmt(r.gateway['traces json']!.itemsPerSecond)} spans/s`, r.gateway['traces json']!.itemsPerSecond >= 60_000),
    row('metrics ≥ 300,000 data points/s', `${fmt(r.gateway['metrics protobuf']!.itemsPerSecond)} points/s`, r.gateway['metrics protobuf']!.itemsPerSecond >= 300_000),
    row('gzip ≤ 30 % extra CPU', `${(gzipExtra * 100).toFixed(0)} % (${gzip.cpuSecondsPerMillionItems} vs ${pb.cpuSecondsPerMillionItems} CPU s per M spans)`, gzipExtra <= 0.3),
    row('steady 10,000 spans/s: p99 < 20 ms', `p99 ${r.steady.p99Ms} ms`, r.steady.p99Ms < 20),
    // The verdict is for clients that honour Retry-After, as OTLP exporters do; autocannon's figure is shown too.
    row(
      '256 connections: p99 < 250 ms',
      `p99 ${c256.p99Ms} ms (200s) with exporter-like clients, ${refusedOf(c256)}; ` +
        `autocannon (re-sends at once) p99 ${hammer.p99Ms} ms, ${refusedOf(hammer)}; ceiling p99 ${r.connections256.ceiling.p99Ms} ms`,
      c256.p99Ms < 250,
    ),
    row('RSS < 150 MB under steady load', `peak ${peakSteady} MB`, peakSteady < 150),
    row(
      `${r.bigRequest.bodyMb.toFixed(0)} MB request: RSS ≤ 4 × its size`,
      `peak ${r.bigRequest.gateway.peakRssMb} MB (${(r.bigRequest.gateway.peakRssMb / r.bigRequest.bodyMb).toFixed(1)} ×) on a fresh gateway; ` +
        `${r.bigRequest.afterLoad.peakRssMb} MB after the runs above`,
      r.bigRequest.gateway.peakRssMb <= 4 * r.bigRequest.bodyMb,
    ),
    row('--workers 2 speeds up on 2 cores', `${speedUp.toFixed(2)} × (${fmt(r.workers.two.itemsPerSecond)} vs ${fmt(r.workers.one.itemsPerSecond)} spans/s)`, speedUp > 1),
  ];
}
