import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AdmissionStats, AdmissionWatcher } from './otlp/admission.js';
import type { Signal } from './otlp/model.js';
import type { AnsweredRequest, ReceiverObserver } from './otlp/observer.js';
import { CATEGORY_OF_SIGNAL, type ConversionObserver } from './pipeline.js';
import { MemorySink, QueuedSink, type Sink } from './sinks/index.js';

/**
 * The gateway's self-metrics (otlp-http-receiver.md checklist 42), served as Prometheus text on `GET /metrics`.
 * One Registry per gateway, not prom-client's global one, so several gateways in one process (tests, embedding)
 * keep their own counts. Every label value comes from a fixed set or the configuration, never from a client.
 */

/** Label value for a request whose path is no OTLP route, or whose Content-Type names no OTLP encoding. */
const UNKNOWN = 'unknown';

/** Seconds from the request's start to the answer: sub-millisecond decoding up to a slow sink write. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Sink label values: the sink's name (tokens are never part of it), made unique should two sinks share one. */
function sinkLabels(sinks: readonly Sink[]): Map<Sink, string> {
  const labels = new Map<Sink, string>();
  const taken = new Set<string>();
  for (const sink of sinks) {
    let label = sink.name;
    for (let n = 2; taken.has(label); n++) label = `${sink.name}#${n}`;
    taken.add(label);
    labels.set(sink, label);
  }
  return labels;
}

/**
 * A gauge or counter that mirrors one number per sink of one kind at scrape time. Counters are reset and re-filled on
 * each scrape: the sinks keep the running totals, prom-client only prints them.
 */
function mirror<S extends Sink>(
  registry: Registry,
  Kind: typeof Gauge | typeof Counter,
  name: string,
  help: string,
  sinks: ReadonlyMap<S, string>,
  value: (sink: S) => number,
): void {
  if (sinks.size === 0) return;
  new Kind({
    name,
    help,
    labelNames: ['sink'],
    registers: [registry],
    collect(this: Gauge<'sink'> | Counter<'sink'>) {
      this.reset();
      for (const [sink, label] of sinks) this.inc({ sink: label }, value(sink));
    },
  });
}

export class GatewayMetrics implements ReceiverObserver, ConversionObserver, AdmissionWatcher {
  readonly registry = new Registry();
  private readonly requests: Counter<'signal' | 'encoding' | 'outcome'>;
  private readonly items: Counter<'signal' | 'encoding' | 'outcome'>;
  private readonly refused: Counter<'signal' | 'reason'>;
  private readonly requestBytes: Counter<'signal' | 'encoding'>;
  private readonly decompressedBytes: Counter<'signal' | 'encoding'>;
  private readonly duration: Histogram<'signal'>;
  private readonly points: Counter<'category'>;
  private readonly dropped: Counter<'signal'>;
  /** The per-sink metrics registered by setSinks(). */
  private sinkMetricNames: string[] = [];

  constructor(sinks: readonly Sink[]) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'otelgw_receiver_requests_total',
      help: 'OTLP/HTTP requests answered, by signal, encoding and outcome (accepted = 200, refused = 4xx or 503, failed = 500).',
      labelNames: ['signal', 'encoding', 'outcome'],
      registers,
    });
    this.items = new Counter({
      name: 'otelgw_receiver_items_total',
      help: 'Spans, metric data points and log records in answered requests whose body was decoded, by signal, encoding and outcome.',
      labelNames: ['signal', 'encoding', 'outcome'],
      registers,
    });
    this.refused = new Counter({
      name: 'otelgw_receiver_refused_requests_total',
      help: 'Requests not accepted, by reason: decode, size, content_type, encoding, auth, cors, throttled, overloaded, closing, method, not_found, client, internal.',
      labelNames: ['signal', 'reason'],
      registers,
    });
    this.requestBytes = new Counter({
      name: 'otelgw_receiver_request_bytes_total',
      help: 'Request body bytes as received (compressed), of requests whose body was read.',
      labelNames: ['signal', 'encoding'],
      registers,
    });
    this.decompressedBytes = new Counter({
      name: 'otelgw_receiver_decompressed_bytes_total',
      help: 'Request body bytes after decompression, of requests whose body was decompressed.',
      labelNames: ['signal', 'encoding'],
      registers,
    });
    this.duration = new Histogram({
      name: 'otelgw_receiver_request_duration_seconds',
      help: 'Time from the start of a request to its answer, by signal.',
      labelNames: ['signal'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.points = new Counter({
      name: 'otelgw_points_total',
      help: 'DataKit points the converters produced (after the checker and trace filters), by category.',
      labelNames: ['category'],
      registers,
    });
    this.dropped = new Counter({
      name: 'otelgw_items_dropped_total',
      help:
        'A rough proxy for items dropped by the checker and filters: per request, items received minus points produced, when positive. ' +
        'One metric data point can make several points (histograms), which hides drops in the same request.',
      labelNames: ['signal'],
      registers,
    });
    this.setSinks(sinks);
  }

  /**
   * Mirrors these sinks from now on (hot reload swaps them). Their metrics are registered last, as at startup, so
   * /metrics lists them after the receiver's.
   */
  setSinks(sinks: readonly Sink[]): void {
    for (const name of this.sinkMetricNames) this.registry.removeSingleMetric(name);
    const before = new Set(this.registry.getMetricsAsArray().map((m) => m.name));
    this.sinkMetrics(sinks);
    this.sinkMetricNames = this.registry.getMetricsAsArray().map((m) => m.name).filter((name) => !before.has(name));
  }

  answered(r: AnsweredRequest): void {
    const signal = r.signal ?? UNKNOWN;
    const encoding = r.encoding ?? UNKNOWN;
    this.requests.inc({ signal, encoding, outcome: r.outcome });
    if (r.items !== undefined) this.items.inc({ signal, encoding, outcome: r.outcome }, r.items);
    if (r.reason !== undefined) this.refused.inc({ signal, reason: r.reason });
    if (r.bytes !== undefined) this.requestBytes.inc({ signal, encoding }, r.bytes);
    if (r.decompressedBytes !== undefined) this.decompressedBytes.inc({ signal, encoding }, r.decompressedBytes);
    this.duration.observe({ signal }, r.seconds);
  }

  /** One request's conversion: `items` decoded, `points` produced. */
  converted(signal: Signal, items: number, points: number): void {
    this.points.inc({ category: CATEGORY_OF_SIGNAL[signal] }, points);
    if (items > points) this.dropped.inc({ signal }, items - points);
  }

  /** Admission control (src/otlp/admission.ts), read at scrape time so that the request path does no metrics work. */
  watchAdmission(admission: { stats(): AdmissionStats }): void {
    const registers = [this.registry];
    new Gauge({
      name: 'otelgw_receiver_queued_requests',
      help: 'OTLP requests waiting for a slot ([gateway] max_concurrent_requests) before their body is read.',
      registers,
      collect() {
        this.set(admission.stats().waiting);
      },
    });
    new Gauge({
      name: 'otelgw_receiver_active_requests',
      help: 'OTLP requests holding a slot: being read, decoded, converted or handed to the sinks.',
      registers,
      collect() {
        this.set(admission.stats().active);
      },
    });
    new Counter({
      name: 'otelgw_receiver_admission_refused_total',
      help: 'Requests answered 503 by admission control, by reason: queue_full (max_queued_requests waiting) or wait_expired (waited queue_wait_ms).',
      labelNames: ['reason'],
      registers,
      collect() {
        const s = admission.stats();
        this.reset();
        this.inc({ reason: 'queue_full' }, s.refusedQueueFull);
        this.inc({ reason: 'wait_expired' }, s.refusedWaitExpired);
      },
    });
  }

  /** Text for `GET /metrics`, and its Content-Type. */
  async scrape(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  /** Read from the sinks' own stats() at scrape time, so the delivery path does no metrics work. */
  private sinkMetrics(sinks: readonly Sink[]): void {
    const labels = sinkLabels(sinks);
    const queued = new Map([...labels].filter((e): e is [QueuedSink, string] => e[0] instanceof QueuedSink));
    const memory = new Map([...labels].filter((e): e is [MemorySink, string] => e[0] instanceof MemorySink));
    const r = this.registry;
    mirror(r, Gauge, 'otelgw_sink_queue_points', 'Points waiting in a queued sink (memory or spool), including the batch being sent.', queued, (s) => s.stats().queuedItems);
    mirror(r, Gauge, 'otelgw_sink_queue_bytes', 'Encoded bytes waiting in a queued sink.', queued, (s) => s.stats().queuedBytes);
    mirror(r, Gauge, 'otelgw_sink_spool_bytes', 'Bytes a queued sink holds in its disk spool (0 without spool_dir).', queued, (s) => s.stats().spooledBytes);
    mirror(r, Counter, 'otelgw_sink_sent_points_total', 'Points the backend accepted.', queued, (s) => s.stats().sent);
    mirror(r, Counter, 'otelgw_sink_retries_total', 'Send attempts that failed and were tried again.', queued, (s) => s.stats().retries);
    if (queued.size > 0) {
      new Counter({
        name: 'otelgw_sink_dropped_points_total',
        help:
          'Points a queued sink gave up on, by reason: permanent = the backend refused them for good (4xx other than 408/429); ' +
          'expired = past retry_max_elapsed_ms, or left queued at shutdown without a spool; spool_full = evicted to stay under spool_max_bytes.',
        labelNames: ['sink', 'reason'],
        registers: [r],
        collect() {
          this.reset();
          for (const [sink, label] of queued) {
            const s = sink.stats();
            this.inc({ sink: label, reason: 'permanent' }, s.droppedPermanent);
            this.inc({ sink: label, reason: 'expired' }, s.droppedExpired);
            this.inc({ sink: label, reason: 'spool_full' }, s.droppedSpoolFull);
          }
        },
      });
    }
    mirror(r, Gauge, 'otelgw_memory_sink_points', 'Points a memory sink holds.', memory, (s) => s.stats().points);
    mirror(r, Gauge, 'otelgw_memory_sink_bytes', 'Line-protocol bytes of the points a memory sink holds.', memory, (s) => s.stats().bytes);
    mirror(r, Counter, 'otelgw_memory_sink_evicted_points_total', 'Points a memory sink dropped to stay within max_points / max_bytes.', memory, (s) => s.stats().evicted);
  }
}
