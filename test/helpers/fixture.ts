/**
 * For the fixture tests (issue 5): a gateway with a memory sink on an ephemeral loopback port, and a small LLM app's
 * telemetry from the real OpenTelemetry JS SDK, exported with a session header like a parallel test would.
 */
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type IdGenerator } from '@opentelemetry/sdk-trace-base';
import type { Test } from 'tap';
import { loadConfig } from '../../src/config/index.js';
import { startGateway, type RunningGateway } from '../../src/gateway.js';
import { fixtureToml } from './gateway.js';
import { request, type Response } from './http.js';
import { exportWith, loggerSetup, meterSetup } from './otel-sdk.js';

/** 2023-11-14T22:13:20Z in s; the points keep their own times (no timestamp correction). */
export const T0_S = 1_700_000_000;
export const at = (ms: number): [number, number] => [T0_S + Math.floor(ms / 1000), (ms % 1000) * 1_000_000];

/** The fixture config: default routes, two customer_tags, no timestamp correction, a memory sink with `memoryKeys`. */
export function fixtureConfigToml(memoryKeys = ''): string {
  return `${fixtureToml('customer_tags = ["gen_ai.request.model", "gen_ai.system"]', '[io]\nauto_timestamp_correction = false')}
[[sinks.sink]]
target = "memory"
${memoryKeys}
`;
}

export async function startFixtureGateway(t: Test, memoryKeys = '', topToml = ''): Promise<RunningGateway> {
  const config = loadConfig({ text: topToml + fixtureConfigToml(memoryKeys), env: {} });
  const gw = await startGateway({ config, listen: { host: '127.0.0.1', port: 0 } });
  t.teardown(() => gw.close());
  return gw;
}

/** Ids `<prefix>…<n>`: each app run gets its own, as real random ids would differ between runs. */
class PrefixedIds implements IdGenerator {
  private traces = 0;
  private spans = 0;
  constructor(private readonly prefix: string) {}
  generateTraceId(): string {
    return (this.prefix + 'a').padEnd(31, '0') + (++this.traces).toString(16);
  }
  generateSpanId(): string {
    return (this.prefix + 'b').padEnd(15, '0') + (++this.spans).toString(16);
  }
}

export interface AppRun {
  /** Id prefix (hex), so that two runs have different ids. */
  ids?: string;
  /** Shifts every time, so that two runs have different times. */
  offsetMs?: number;
}

/**
 * One request of an LLM app: `POST /chat` (server) → `openai.chat` (client, OpenLLMetry keys, 12 + 30 tokens) and
 * `db query` (client, error). Exported with `session` as the `X-Gateway-Session` header. Resolves with the trace id.
 */
export async function sendTrace(gw: RunningGateway, session: string | undefined, run: AppRun = {}): Promise<string> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'llm-app' }),
    idGenerator: new PrefixedIds(run.ids ?? '1'),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('app', '1.0.0');
  const t = (ms: number) => at(ms + (run.offsetMs ?? 0));
  const root = tracer.startSpan('POST /chat', { kind: SpanKind.SERVER, startTime: t(0), attributes: { 'http.method': 'POST' } });
  const inRoot = trace.setSpan(context.active(), root);
  const chat = tracer.startSpan(
    'openai.chat',
    {
      kind: SpanKind.CLIENT,
      startTime: t(10),
      attributes: {
        'gen_ai.system': 'OpenAI',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.prompt.0.role': 'user',
        'gen_ai.prompt.0.content': 'Tell me a joke',
        'gen_ai.completion.0.role': 'assistant',
        'gen_ai.completion.0.content': 'Why did the span cross the road?',
        'gen_ai.usage.prompt_tokens': 12,
        'gen_ai.usage.completion_tokens': 30,
      },
    },
    inRoot,
  );
  chat.end(t(260));
  const db = tracer.startSpan('db query', { kind: SpanKind.CLIENT, startTime: t(270), attributes: { 'db.system': 'postgresql' } }, inRoot);
  db.setStatus({ code: SpanStatusCode.ERROR, message: 'timeout' });
  db.end(t(290));
  root.end(t(300));
  const exporter = new OTLPTraceExporter({ url: `${gw.otelUrl}/v1/traces`, headers: sessionHeaders(session) });
  await exportWith(exporter, memory.getFinishedSpans());
  await exporter.shutdown();
  await provider.shutdown();
  return root.spanContext().traceId;
}

const sessionHeaders = (session: string | undefined): Record<string, string> => (session === undefined ? {} : { 'x-gateway-session': session });

/** A latency histogram (buckets 0.1, 0.5, 1) with 0.05, 0.3, 0.7 and 2 s recorded, and a token counter. */
export async function sendMetrics(gw: RunningGateway, session: string | undefined): Promise<void> {
  const sdk = meterSetup({ 'service.name': 'llm-app' });
  const meter = sdk.meter('app', '1.0.0');
  const latency = meter.createHistogram('llm.latency', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 0.5, 1] } });
  for (const s of [0.05, 0.3, 0.7, 2]) latency.record(s, { model: 'gpt-4o-mini' });
  meter.createCounter('llm.tokens', { unit: '{token}' }).add(42, { model: 'gpt-4o-mini' });
  const exporter = new OTLPMetricExporter({ url: `${gw.otelUrl}/v1/metrics`, headers: sessionHeaders(session) });
  await exportWith(exporter, await sdk.collect());
  await exporter.shutdown();
  await sdk.shutdown();
}

/** The root span of sendTrace's first run with id prefix `ids`. */
export const rootSpanOf = (ids = '1') => ({ traceId: `${ids}a`.padEnd(31, '0') + '1', spanId: `${ids}b`.padEnd(15, '0') + '1' });

/** Two log records: an info one inside `span` (default: sendTrace's root span), and an error one outside any. */
export async function sendLogs(gw: RunningGateway, session: string | undefined, span = rootSpanOf()): Promise<void> {
  const sdk = loggerSetup({ 'service.name': 'llm-app' });
  const logger = sdk.logger('app', '1.0.0');
  const inSpan = trace.setSpanContext(context.active(), { ...span, traceFlags: 1 });
  logger.emit({ timestamp: at(5), severityNumber: SeverityNumber.INFO, body: 'chat request', context: inSpan });
  logger.emit({ timestamp: at(6), severityNumber: SeverityNumber.ERROR, body: 'db timeout' });
  const exporter = new OTLPLogExporter({ url: `${gw.otelUrl}/v1/logs`, headers: sessionHeaders(session) });
  await exportWith(exporter, sdk.records());
  await exporter.shutdown();
  await sdk.shutdown();
}

export async function get(gw: RunningGateway, path: string, method = 'GET', body?: string): Promise<Response & { json: any }> {
  const res = await request(gw.url + path, { method, body, headers: body === undefined ? {} : { 'content-type': 'application/json' } });
  const text = res.body.toString('utf8');
  return { ...res, json: res.headers['content-type']?.startsWith('application/json') ? JSON.parse(text) : text };
}
