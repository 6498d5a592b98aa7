/**
 * Realistic OTLP request bodies built with the real OpenTelemetry JS SDK and its serializers: what an
 * OpenLLMetry-instrumented app sends (LLM-sized prompt/completion strings, gen_ai.* attributes, one event per span).
 */
import { gzipSync } from 'node:zlib';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';

export interface Payload {
  name: string;
  contentType: string;
  contentEncoding?: string;
  body: Buffer;
  /** Spans (or data points, log records) in one request. */
  items: number;
}

const PROMPT = 'You are a helpful assistant. '.repeat(20); // ~580 characters, like a system prompt
const COMPLETION = 'Here is a detailed answer to the question, with several sentences of explanation. '.repeat(6);

export function traceSpans(count: number) {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'llm-app', 'telemetry.sdk.language': 'nodejs', 'host.name': 'bench' }),
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

/** The trace payloads of the benchmark: protobuf and JSON, plain and gzip. */
export function tracePayloads(spansPerRequest = 100): Payload[] {
  const spans = traceSpans(spansPerRequest);
  const proto = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
  const json = Buffer.from(JsonTraceSerializer.serializeRequest(spans)!);
  return [
    { name: 'traces protobuf', contentType: 'application/x-protobuf', body: proto, items: spansPerRequest },
    { name: 'traces protobuf gzip', contentType: 'application/x-protobuf', contentEncoding: 'gzip', body: gzipSync(proto), items: spansPerRequest },
    { name: 'traces json', contentType: 'application/json', body: json, items: spansPerRequest },
  ];
}
