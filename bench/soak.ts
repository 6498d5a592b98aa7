/**
 * Soak (issue 7): the real gateway (file sink to /dev/null) under good and hostile traffic interleaved for a fixed
 * time, from a separate process. Reports whether every good item was delivered, the hostile requests refused by
 * reason (from the gateway's own /metrics), 5xx answers (must be none), good-request latency and peak RSS.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { GatewayConfig } from '../src/config/types.js';
import type { Category } from '../src/datakit/point.js';
import { startGateway } from '../src/gateway.js';
import { decodeRequest } from '../src/otlp/decode.js';
import { Pipeline } from '../src/pipeline.js';
import { FileSink } from '../src/sinks/file-sink.js';
import { runJsonChild } from './child-json.js';
import { CountingSink } from './counting-sink.js';
import type { Payload } from './payloads.js';
import { soakKinds, writeManifest, type SoakKindResult, type SoakLoadResult } from './soak-traffic.js';

const RSS_SAMPLE_MS = 50;
const MB = 1e6;

export interface SoakOptions {
  config: GatewayConfig;
  payloads: readonly Payload[];
  seconds: number;
  connections: number;
}

export interface SoakResult {
  seconds: number;
  connections: number;
  /** The whole soak: building the bodies, the load, and the gateway's close (which waits for requests in flight). */
  wallSeconds: number;
  requests: number;
  good: { requests: number; spansSent: number; pointsExpected: number; pointsDelivered: number; delivery: string; p50Ms: number; p99Ms: number };
  bad: { requests: number; refused: number; refusedByReason: Record<string, number> };
  /** Answers ≥ 500 other than 503, good or bad: must be 0. */
  status5xx: number;
  /** 503 + Retry-After (admission control or a full queue): the client retries; not counted as delivered. */
  status503: number;
  /** Requests that got no answer (connection error or timeout). */
  unanswered: number;
  rssAtStartMb: number;
  peakRssMb: number;
  byKind: Record<string, SoakKindResult & { good: boolean }>;
}

function runSoakLoad(url: string, manifestFile: string, connections: number, durationMs: number): Promise<SoakLoadResult> {
  return runJsonChild('soak-load.ts', [url, manifestFile, String(connections), String(durationMs)]);
}

/** Points one good request makes, by the same conversion the gateway runs. */
function pointsPerRequest(p: Payload, config: GatewayConfig): number {
  const raw = p.contentEncoding === 'gzip' ? gunzipSync(p.body) : p.body;
  const data = decodeRequest('traces', p.contentType === 'application/json' ? 'json' : 'protobuf', new Uint8Array(raw), { strictDatakit: false, maxDepth: config.limits.maxJsonDepth });
  return new Pipeline({ config, sinks: [] }).convert('traces', data, config.inputs[0]!, '127.0.0.1').length;
}

const REFUSED_LINE = /^otelgw_receiver_refused_requests_total\{([^}]*)\} (\S+)$/;

/** Sums `otelgw_receiver_refused_requests_total` of a Prometheus text by its `reason` label. */
export function refusedByReason(metricsText: string): Record<string, number> {
  const byReason: Record<string, number> = {};
  for (const line of metricsText.split('\n')) {
    const m = REFUSED_LINE.exec(line);
    if (!m) continue;
    const reason = /(?:^|,)reason="([^"]*)"/.exec(m[1]!)?.[1] ?? '?';
    byReason[reason] = (byReason[reason] ?? 0) + Number(m[2]);
  }
  return byReason;
}

const sum = (xs: Iterable<number>): number => [...xs].reduce((a, b) => a + b, 0);

export async function soak(opts: SoakOptions): Promise<SoakResult> {
  const { config, seconds, connections } = opts;
  const started = Date.now();
  const kinds = await soakKinds(opts.payloads, config.limits, { strictDatakit: false, maxDepth: config.limits.maxJsonDepth });
  const dir = mkdtempSync(join(tmpdir(), 'dk-otel-soak-'));
  const manifestFile = join(dir, 'manifest.json');
  writeFileSync(manifestFile, JSON.stringify(writeManifest(kinds, dir)));

  const fileSink = new FileSink('/dev/null', new Set<Category>(['tracing', 'metric', 'logging']));
  await fileSink.open();
  const sink = new CountingSink(fileSink);
  const gw = await startGateway({ config, sinks: [sink], listen: { host: '127.0.0.1', port: 0 } });
  const rssAtStart = process.memoryUsage().rss;
  let peakRss = rssAtStart;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), RSS_SAMPLE_MS);
  let load: SoakLoadResult;
  let metricsText: string;
  try {
    load = await runSoakLoad(`${gw.url}${config.inputs[0]!.http!.traceApi}`, manifestFile, connections, seconds * 1000);
    metricsText = await (await fetch(`${gw.url}/metrics`)).text();
  } finally {
    clearInterval(sampler);
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const byKind: SoakResult['byKind'] = {};
  let pointsExpected = 0;
  let spansSent = 0;
  for (const k of kinds) {
    const r = load.byKind[k.name]!;
    byKind[k.name] = { good: k.good, ...r };
    if (k.payload) {
      // Requests answered 503 were refused (the client retries them), not lost.
      pointsExpected += (r.statuses['200'] ?? 0) * pointsPerRequest(k.payload, config);
      spansSent += r.sent * k.payload.items;
    }
  }
  const results = Object.values(byKind);
  const statusTotal = (pick: (status: string) => boolean) =>
    sum(results.flatMap((r) => Object.entries(r.statuses).filter(([s]) => pick(s)).map(([, n]) => n)));
  const refused = refusedByReason(metricsText);
  const pointsDelivered = sink.points;
  return {
    seconds,
    connections,
    wallSeconds: +((Date.now() - started) / 1000).toFixed(1),
    requests: sum(results.map((r) => r.sent)),
    good: {
      requests: sum(results.filter((r) => r.good).map((r) => r.sent)),
      spansSent,
      pointsExpected,
      pointsDelivered,
      delivery: pointsDelivered === pointsExpected ? 'all delivered' : `shortfall of ${pointsExpected - pointsDelivered} points`,
      p50Ms: load.goodP50Ms,
      p99Ms: load.goodP99Ms,
    },
    bad: { requests: sum(results.filter((r) => !r.good).map((r) => r.sent)), refused: sum(Object.values(refused)), refusedByReason: refused },
    status5xx: statusTotal((s) => Number(s) >= 500 && s !== '503'),
    status503: statusTotal((s) => s === '503'),
    unanswered: statusTotal((s) => s === 'error' || s === 'timeout'),
    rssAtStartMb: Math.round(rssAtStart / MB),
    peakRssMb: Math.round(peakRss / MB),
    byKind,
  };
}

export function printSoak(r: SoakResult): void {
  console.table(
    Object.entries(r.byKind).map(([kind, k]) => ({
      kind,
      traffic: k.good ? 'good' : 'bad',
      requests: k.sent,
      answers: Object.entries(k.statuses).map(([s, n]) => `${s}×${n}`).join(' '),
      p99Ms: k.p99Ms,
    })),
  );
  const reasons = Object.entries(r.bad.refusedByReason).map(([reason, n]) => `${reason} ${n}`).join(', ');
  process.stdout.write(
    `soak ${r.seconds} s (${r.wallSeconds} s in all), ${r.connections} connections, ${r.requests} requests: ` +
      `good ${r.good.requests} requests, ${r.good.spansSent} spans → ${r.good.pointsDelivered} of ${r.good.pointsExpected} points: ${r.good.delivery}; ` +
      `good p50 ${r.good.p50Ms} ms, p99 ${r.good.p99Ms} ms\n` +
      `soak bad: ${r.bad.requests} requests, ${r.bad.refused} refused (${reasons}); 503 (retry later): ${r.status503}; other 5xx: ${r.status5xx}; unanswered: ${r.unanswered}; ` +
      `gateway process RSS ${r.rssAtStartMb} MB at start, peak ${r.peakRssMb} MB\n`,
  );
}
