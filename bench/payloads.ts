/**
 * Realistic OTLP request bodies built with the real OpenTelemetry JS SDK and its serializers: what an
 * OpenLLMetry-instrumented app sends (LLM-sized prompt/completion strings, gen_ai.* attributes, one event per span).
 */
import { gzipSync } from 'node:zlib';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import type { Signal } from '../src/otlp/model.js';
import { OnDemandMetricReader } from '../test/helpers/otel-sdk.js';

export interface Payload {
  name: string;
  signal: Signal;
  contentType: string;
  contentEncoding?: string;
  body: Buffer;
  /** Spans, metric data points or log records in one request. */
  items: number;
}

const RESOURCE = { 'service.name': 'llm-app', 'telemetry.sdk.language': 'nodejs', 'host.name': 'bench' };
const PROMPT = 'You are a helpful assistant. '.repeat(20); // ~580 characters, like a system prompt
const COMPLETION = 'Here is a detailed answer to the question, with several sentences of explanation. '.repeat(6);

export function traceSpans(count: number) {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(RESOURCE),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('opentelemetry.instrumentation.openai', '0.40.0');
  const t0 = Date.now();
  for (let i = 0; i < count; i++) {
    const span = tracer.startSpan('openai.chat', { startTime: t0 + i, attributes: {
      'llm.request.type': 'chat',
      'gen_ai.system': 'OpenAI',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.request.temperature': 0.7,
      'gen_ai.openai.api_base': 'https://api.openai.com/v1/',
      'llm.is_streaming': false,
      'gen_ai.prompt.0.role': 'system',
      'gen_ai.prompt.0.content': PROMPT,
      'gen_ai.prompt.1.role': 'user',
      'gen_ai.prompt.1.content': `question number ${i}`,
      'gen_ai.completion.0.role': 'assistant',
      'gen_ai.completion.0.content': COMPLETION,
      'gen_ai.usage.prompt_tokens': 152,
      'gen_ai.usage.completion_tokens': 96,
      'traceloop.workflow.name': 'answer_question',
    } });
    span.addEvent('llm.content.completion.chunk', { chunk: i }, t0 + i + 1);
    span.end(t0 + i + 20);
  }
  return memory.getFinishedSpans();
}

const PB = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

/** One body in its three forms: protobuf, protobuf gzip, JSON. */
function variants(name: string, signal: Signal, items: number, proto: Uint8Array | undefined, json: Uint8Array | undefined): Payload[] {
  if (!proto || !json) throw new Error(`bench: the ${signal} serializer returned nothing`);
  const body = Buffer.from(proto);
  return [
    { name: `${name} protobuf`, signal, contentType: PB, body, items },
    { name: `${name} protobuf gzip`, signal, contentType: PB, contentEncoding: 'gzip', body: gzipSync(body), items },
    { name: `${name} json`, signal, contentType: JSON_TYPE, body: Buffer.from(json), items },
  ];
}

/** The trace payloads of the benchmark: protobuf and JSON, plain and gzip. */
export function tracePayloads(spansPerRequest = 100): Payload[] {
  const spans = traceSpans(spansPerRequest);
  return variants('traces', 'traces', spansPerRequest, ProtobufTraceSerializer.serializeRequest(spans), JsonTraceSerializer.serializeRequest(spans));
}

/**
 * What an instrumented LLM app's meter exports: per series (model × operation × route), a token-usage sum and an
 * operation-duration histogram (the SDK's 16 default buckets), `series` of each: 2 × series data points.
 */
export async function metricPayloads(series = 250): Promise<Payload[]> {
  const reader = new OnDemandMetricReader();
  const provider = new MeterProvider({ resource: resourceFromAttributes(RESOURCE), readers: [reader] });
  const meter = provider.getMeter('opentelemetry.instrumentation.openai', '0.40.0');
  const tokens = meter.createCounter('gen_ai.client.token.usage', { unit: '{token}' });
  const duration = meter.createHistogram('gen_ai.client.operation.duration', { unit: 's' });
  for (let i = 0; i < series; i++) {
    const attributes = { 'gen_ai.system': 'openai', 'gen_ai.request.model': `gpt-4o-mini-${i % 10}`, 'gen_ai.operation.name': 'chat', 'server.address': `api-${i}.example.com` };
    tokens.add(100 + i, attributes);
    for (let v = 0; v < 5; v++) duration.record(0.05 * (v + 1) * (1 + (i % 7)), attributes);
  }
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length > 0) throw errors[0];
  await provider.shutdown();
  return variants('metrics', 'metrics', 2 * series, ProtobufMetricsSerializer.serializeRequest(resourceMetrics), JsonMetricsSerializer.serializeRequest(resourceMetrics));
}

/** Log records as an app logs them, with a sentence-sized body, a few attributes and the trace context. */
function logRecords(count: number, body: (i: number) => string) {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: resourceFromAttributes(RESOURCE), processors: [new SimpleLogRecordProcessor(memory)] });
  const logger = provider.getLogger('llm-app.logger', '1.0.0');
  const t0 = Date.now();
  for (let i = 0; i < count; i++) {
    logger.emit({
      body: body(i),
      severityNumber: SeverityNumber.INFO,
      severityText: 'INFO',
      timestamp: t0 + i,
      attributes: { 'code.function': 'answer_question', 'user.id': `user-${i % 50}`, 'gen_ai.request.model': 'gpt-4o-mini', attempt: i % 3 },
    });
  }
  return memory.getFinishedLogRecords();
}

export function logPayloads(recordsPerRequest = 100): Payload[] {
  const records = logRecords(recordsPerRequest, (i) => `request ${i}: ${COMPLETION}`);
  return variants('logs', 'logs', recordsPerRequest, ProtobufLogsSerializer.serializeRequest(records), JsonLogsSerializer.serializeRequest(records));
}

/** A protobuf logs request of about `mib` MiB: one record per MiB, each body a 1 MiB string. */
export function bigLogPayload(mib: number): Payload {
  const chunk = `${COMPLETION}\n`;
  const oneMiB = chunk.repeat(Math.ceil((1024 * 1024) / chunk.length)).slice(0, 1024 * 1024 - 64);
  const records = logRecords(mib, (i) => `${i} ${oneMiB}`);
  const proto = ProtobufLogsSerializer.serializeRequest(records);
  if (!proto) throw new Error('bench: the logs serializer returned nothing');
  return { name: `logs protobuf, ${mib} MiB`, signal: 'logs', contentType: PB, body: Buffer.from(proto), items: mib };
}
