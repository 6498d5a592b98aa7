/**
 * End to end: the real OpenTelemetry JS exporters (protobuf and JSON, with and without gzip) post to the running
 * gateway on loopback, and the sink receives exactly the DataKit line protocol DataKit 1.84 would store.
 */
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as HttpJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import t from 'tap';
import { request } from './helpers/http.js';
import { fixtureToml, startTestGateway } from './helpers/gateway.js';
import { exportWith, tracerSetup } from './helpers/otel-sdk.js';

const T0 = 1_700_000_000_000_000_000n;
const OPENLLMETRY_TAGS = `customer_tags = ["llm.request.type","traceloop.entity.path","llm.is_streaming","gen_ai.openai.api_base",
  "gen_ai.prompt.1.content","gen_ai.response.model","gen_ai.completion.0.content","gen_ai.request.model",
  "gen_ai.request.temperature","gen_ai.system","traceloop.workflow.name"]`;

/** A Traceloop-style LLM trace: a workflow span with an OpenAI chat child, fixed ids and times. */
function llmTrace() {
  const sdk = tracerSetup({ 'service.name': 'llm-app' });
  const workflow = sdk.tracer.startSpan('joke_workflow.workflow', {
    kind: SpanKind.INTERNAL,
    startTime: [1_700_000_000, 0],
    attributes: { 'traceloop.span.kind': 'workflow', 'traceloop.workflow.name': 'joke_workflow', 'traceloop.entity.path': '' },
  });
  const chat = sdk.tracer.startSpan(
    'openai.chat',
    {
      kind: SpanKind.CLIENT,
      startTime: [1_700_000_000, 1_000_000],
      attributes: {
        'llm.request.type': 'chat',
        'gen_ai.system': 'OpenAI',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.request.temperature': 0.7,
        'gen_ai.prompt.0.role': 'user',
        'gen_ai.prompt.0.content': 'Tell me a joke about "OpenTelemetry"',
        'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
        'gen_ai.completion.0.content': 'Why did the span\ncross the road?',
        'llm.usage.total_tokens': 42,
        'llm.is_streaming': false,
      },
    },
    trace.setSpan(context.active(), workflow),
  );
  chat.setStatus({ code: SpanStatusCode.OK });
  chat.end([1_700_000_000, 251_000_000]);
  workflow.end([1_700_000_000, 300_000_000]);
  return sdk;
}

const EXPECTED = [
  'opentelemetry,dk_fingerprint=ci-host_1.84.1,host=ci-host,remote_ip=127.0.0.1,service=llm-app,source=opentelemetry,source_type=custom,' +
    'span_kind=client,span_type=exit,status=ok duration=250000i,gen_ai_completion_0_content="Why did the span\ncross the road?",' +
    'gen_ai_request_model="gpt-4o-mini",gen_ai_request_temperature=0.7,gen_ai_response_model="gpt-4o-mini-2024-07-18",' +
    'gen_ai_system="OpenAI",llm_is_streaming=false,llm_request_type="chat",' +
    'message="{\\"attributes\\":[{\\"key\\":\\"gen_ai.prompt.0.role\\",\\"value\\":{\\"stringValue\\":\\"user\\"}},' +
    '{\\"key\\":\\"gen_ai.prompt.0.content\\",\\"value\\":{\\"stringValue\\":\\"Tell me a joke about \\\\\\"OpenTelemetry\\\\\\"\\"}},' +
    '{\\"key\\":\\"llm.usage.total_tokens\\",\\"value\\":{\\"intValue\\":\\"42\\"}},' +
    '{\\"key\\":\\"trace_id\\",\\"value\\":{\\"stringValue\\":\\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1\\"}}]}",' +
    'parent_id="bbbbbbbbbbbbbbb1",resource="openai.chat",span_id="bbbbbbbbbbbbbbb2",start=1700000000001000i,' +
    'trace_id="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1" 1700000000001000000',
  'opentelemetry,dk_fingerprint=ci-host_1.84.1,host=ci-host,remote_ip=127.0.0.1,service=llm-app,source=opentelemetry,source_type=custom,' +
    'span_kind=internal,span_type=entry,status=ok duration=300000i,' +
    'message="{\\"attributes\\":[{\\"key\\":\\"traceloop.span.kind\\",\\"value\\":{\\"stringValue\\":\\"workflow\\"}},' +
    '{\\"key\\":\\"trace_id\\",\\"value\\":{\\"stringValue\\":\\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1\\"}}]}",' +
    'parent_id="0",resource="joke_workflow.workflow",span_id="bbbbbbbbbbbbbbb1",start=1700000000000000i,' +
    'trace_id="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1",traceloop_entity_path="",traceloop_workflow_name="joke_workflow" 1700000000000000000',
];

const exporters = [
  ['protobuf', (url: string) => new ProtoTraceExporter({ url })],
  ['protobuf + gzip', (url: string) => new ProtoTraceExporter({ url, compression: CompressionAlgorithm.GZIP })],
  ['JSON', (url: string) => new HttpJsonTraceExporter({ url })],
  ['JSON + gzip', (url: string) => new HttpJsonTraceExporter({ url, compression: CompressionAlgorithm.GZIP })],
] as const;

for (const [name, make] of exporters) {
  t.test(`the real ${name} exporter → golden DataKit points`, async (t) => {
    const gw = await startTestGateway(fixtureToml(OPENLLMETRY_TAGS), () => T0);
    t.teardown(gw.close);
    const sdk = llmTrace();
    t.teardown(sdk.shutdown);
    const exporter = make(`${gw.otelUrl}/v1/traces`);
    t.teardown(() => exporter.shutdown());
    await exportWith(exporter, sdk.spans());
    t.same(gw.sink.lines('tracing'), EXPECTED);
  });
}

t.test('a Traceloop-style request: chunked protobuf with "Authorization: Bearer undefined"', async (t) => {
  const gw = await startTestGateway(fixtureToml(OPENLLMETRY_TAGS), () => T0);
  t.teardown(gw.close);
  const sdk = llmTrace();
  t.teardown(sdk.shutdown);
  const body = ProtobufTraceSerializer.serializeRequest(sdk.spans())!;
  const res = await request(`${gw.url}/otel/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', authorization: 'Bearer undefined', 'user-agent': 'traceloop-sdk' },
    body: Buffer.from(body),
    chunked: true,
  });
  t.equal(res.status, 200);
  t.equal(res.headers['content-type'], 'application/x-protobuf');
  t.equal(res.body.length, 0);
  t.same(gw.sink.lines('tracing'), EXPECTED);
});
