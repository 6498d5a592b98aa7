/**
 * End to end, metrics: the real OpenTelemetry JS metrics SDK and its OTLP exporters (protobuf and JSON, with and
 * without gzip) post to the running gateway on loopback, and the sink receives exactly the `otel_service` points
 * DataKit 1.84 would store (datakit reference §6, §8, §9, §11).
 */
import { ValueType } from '@opentelemetry/api';
import { OTLPMetricExporter as HttpJsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import t from 'tap';
import { encodePoint } from '../src/datakit/line-protocol.js';
import { fixtureToml, startTestGateway } from './helpers/gateway.js';
import { exportWith, meterSetup } from './helpers/otel-sdk.js';

/** OpenLLMetry's metrics for one chat completion, plus the other instrument kinds an app typically has. */
async function llmMetrics(): Promise<ResourceMetrics> {
  const sdk = meterSetup({
    'service.name': 'llm-app',
    'service.version': '1.4.2',
    'deployment.environment': 'ci',
    'process.pid': 4242,
    'remote_ip': '10.9.9.9', // loses to the request's remote_ip (§6.2)
    // Removed from every metric attribute list (§6.2):
    'process.runtime.name': 'nodejs',
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.name': 'opentelemetry',
    'telemetry.sdk.version': '2.0.1',
  });
  const meter = sdk.meter('openllmetry', '0.14.0'); // the scope version is ignored (§6.6)
  const completion = {
    'gen_ai.system': 'openai',
    'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
    'gen_ai.request.temperature': 0.7, // double → "0.700" (Q21)
    'gen_ai.request.max_tokens': 256, // int
    stream: false, // bool
    'service.name': 'shadowed', // resource > data point (§6.2)
  };

  const requests = meter.createCounter('llm.requests', { unit: '{request}', valueType: ValueType.INT });
  requests.add(2, completion);
  requests.add(1, completion);
  const cost = meter.createCounter('llm.usage.cost', { unit: 'USD' });
  cost.add(0.25, { 'gen_ai.system': 'openai' });
  cost.add(0.5, { 'gen_ai.system': 'openai' });

  // OTel semantic-convention bucket advice for gen_ai.client.operation.duration, as OpenLLMetry uses it.
  const duration = meter.createHistogram('gen_ai.client.operation.duration', {
    unit: 's',
    advice: { explicitBucketBoundaries: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92] },
  });
  for (const seconds of [0.375, 1.25, 2.5]) duration.record(seconds, completion);
  // Fewer buckets than the semantic-convention advice, to keep the golden output readable.
  const tokens = meter.createHistogram('gen_ai.client.token.usage', {
    unit: 'token',
    valueType: ValueType.INT,
    advice: { explicitBucketBoundaries: [1, 4, 16, 64, 256, 1024, 4096] },
  });
  tokens.record(12, { 'gen_ai.token.type': 'input' });
  tokens.record(100, { 'gen_ai.token.type': 'input' });
  tokens.record(30, { 'gen_ai.token.type': 'output' });
  const ttft = meter.createHistogram('llm.openai.chat_completions.streaming_time_to_first_token', {
    unit: 's',
    advice: { explicitBucketBoundaries: [0.05, 0.1, 0.25, 0.5, 1] },
  });
  ttft.record(0.125, { stream: true });

  const active = meter.createUpDownCounter('llm.active_requests', { unit: '{request}', valueType: ValueType.INT });
  active.add(2, { 'server.address': 'api.openai.com', 'server.port': 443 });
  active.add(-5, { 'server.address': 'api.openai.com', 'server.port': 443 });

  meter.createObservableGauge('process.memory.usage', { unit: 'MiB' }).addCallback((result) => {
    result.observe(123.5, { 'memory.type': 'heap' });
    result.observe(42, { 'memory.type': 'rss', ratio: 0.0625, pools: ['young', 'old'] });
  });

  const collected = await sdk.collect();
  await sdk.shutdown();
  return collected;
}

/** The SDK stamps every data point of one collection with the collection time; the golden lines use it. */
function collectionTimeNs(rm: ResourceMetrics): bigint {
  const times = new Set<bigint>();
  for (const sm of rm.scopeMetrics) {
    for (const m of sm.metrics) for (const dp of m.dataPoints) times.add(BigInt(dp.endTime[0]) * 1_000_000_000n + BigInt(dp.endTime[1]));
  }
  if (times.size !== 1) throw new Error(`expected one collection time, got ${[...times].join(', ')}`);
  return [...times][0];
}

const collected = await llmMetrics();
const time = collectionTimeNs(collected);

// Tags in line-protocol (sorted) order: resource tags around the data point's own; `host` comes from io (§11).
const RESOURCE_HEAD = 'otel_service,deployment_environment=ci';
const RESOURCE_TAIL = 'process_pid=4242,remote_ip=127.0.0.1,scope_name=openllmetry,service_name=llm-app,service_version=1.4.2';
const COMPLETION =
  'gen_ai_request_max_tokens=256,gen_ai_request_temperature=0.700,gen_ai_response_model=gpt-4o-mini-2024-07-18,gen_ai_system=openai';

/** One `_bucket` point per [le, cumulative count] (§6.5): `le` sorts between `host` and the resource tail. */
function bucketLines(head: string, tail: string, field: string, buckets: ReadonlyArray<readonly [string, number]>): string[] {
  return buckets.map(([le, count]) => `${head},host=ci-host,le=${le},${tail} ${field}_bucket=${count}u ${time}`);
}

const DURATION = 'gen_ai.client.operation.duration';
const TOKENS = 'gen_ai.client.token.usage';
const TTFT = 'llm.openai.chat_completions.streaming_time_to_first_token';

const EXPECTED = [
  `${RESOURCE_HEAD},${COMPLETION},host=ci-host,${RESOURCE_TAIL},stream=false,unit={request} llm.requests=3i ${time}`,
  `${RESOURCE_HEAD},gen_ai_system=openai,host=ci-host,${RESOURCE_TAIL},unit=USD llm.usage.cost=0.75 ${time}`,

  `${RESOURCE_HEAD},${COMPLETION},host=ci-host,${RESOURCE_TAIL},stream=false,unit=s ` +
    `${DURATION}_count=3u,${DURATION}_max=2.5,${DURATION}_min=0.375,${DURATION}_sum=4.125 ${time}`,
  ...bucketLines(`${RESOURCE_HEAD},${COMPLETION}`, `${RESOURCE_TAIL},stream=false,unit=s`, DURATION, [
    ['0.01', 0], ['0.02', 0], ['0.04', 0], ['0.08', 0], ['0.16', 0], ['0.32', 0], ['0.64', 1], ['1.28', 2],
    ['2.56', 3], ['5.12', 3], ['10.24', 3], ['20.48', 3], ['40.96', 3], ['81.92', 3], ['+Inf', 3],
  ]),

  `${RESOURCE_HEAD},gen_ai_token_type=input,host=ci-host,${RESOURCE_TAIL},unit=token ` +
    `${TOKENS}_count=2u,${TOKENS}_max=100,${TOKENS}_min=12,${TOKENS}_sum=112 ${time}`,
  ...bucketLines(`${RESOURCE_HEAD},gen_ai_token_type=input`, `${RESOURCE_TAIL},unit=token`, TOKENS, [
    ['1', 0], ['4', 0], ['16', 1], ['64', 1], ['256', 2], ['1024', 2], ['4096', 2], ['+Inf', 2],
  ]),
  `${RESOURCE_HEAD},gen_ai_token_type=output,host=ci-host,${RESOURCE_TAIL},unit=token ` +
    `${TOKENS}_count=1u,${TOKENS}_max=30,${TOKENS}_min=30,${TOKENS}_sum=30 ${time}`,
  ...bucketLines(`${RESOURCE_HEAD},gen_ai_token_type=output`, `${RESOURCE_TAIL},unit=token`, TOKENS, [
    ['1', 0], ['4', 0], ['16', 0], ['64', 1], ['256', 1], ['1024', 1], ['4096', 1], ['+Inf', 1],
  ]),

  `${RESOURCE_HEAD},host=ci-host,${RESOURCE_TAIL},stream=true,unit=s ` +
    `${TTFT}_count=1u,${TTFT}_max=0.125,${TTFT}_min=0.125,${TTFT}_sum=0.125 ${time}`,
  ...bucketLines(RESOURCE_HEAD, `${RESOURCE_TAIL},stream=true,unit=s`, TTFT, [
    ['0.05', 0], ['0.1', 0], ['0.25', 1], ['0.5', 1], ['1', 1], ['+Inf', 1],
  ]),

  `${RESOURCE_HEAD},host=ci-host,process_pid=4242,remote_ip=127.0.0.1,scope_name=openllmetry,server_address=api.openai.com,` +
    `server_port=443,service_name=llm-app,service_version=1.4.2,unit={request} llm.active_requests=-3i ${time}`,
  `${RESOURCE_HEAD},host=ci-host,memory_type=heap,${RESOURCE_TAIL},unit=MiB process.memory.usage=123.5 ${time}`,
  // An array attribute is Go's protobuf text form (Q22), its spaces escaped in the tag value (§9.2); 0.0625 rounds
  // half to even as Go's %.3f does (§6.3); a whole double is written without a decimal point (§9.3).
  `${RESOURCE_HEAD},host=ci-host,memory_type=rss,pools=values:{string_value:"young"}\\ values:{string_value:"old"},` +
    `process_pid=4242,ratio=0.062,remote_ip=127.0.0.1,scope_name=openllmetry,service_name=llm-app,service_version=1.4.2,` +
    `unit=MiB process.memory.usage=42 ${time}`,
];

const exporters = [
  ['protobuf', (url: string) => new ProtoMetricExporter({ url })],
  ['protobuf + gzip', (url: string) => new ProtoMetricExporter({ url, compression: CompressionAlgorithm.GZIP })],
  ['JSON', (url: string) => new HttpJsonMetricExporter({ url })],
  ['JSON + gzip', (url: string) => new HttpJsonMetricExporter({ url, compression: CompressionAlgorithm.GZIP })],
] as const;

// `now` is the collection time, so io's timestamp correction (§11) leaves the data points' time alone.
const startGateway = () => startTestGateway(fixtureToml(), () => time);

for (const [name, make] of exporters) {
  t.test(`the real ${name} metric exporter → golden otel_service points`, async (t) => {
    const gw = await startGateway();
    t.teardown(gw.close);
    const exporter = make(`${gw.url}/otel/v1/metrics`);
    t.teardown(() => exporter.shutdown());
    await exportWith(exporter, collected);
    t.same(gw.sink.lines('metric'), EXPECTED);
  });
}

t.test('the same metrics through every exporter give byte-identical line protocol', async (t) => {
  const gw = await startGateway();
  t.teardown(gw.close);
  for (const [, make] of exporters) {
    const exporter = make(`${gw.url}/otel/v1/metrics`);
    t.teardown(() => exporter.shutdown());
    await exportWith(exporter, collected);
  }
  const texts = gw.sink.batches.map((b) => b.points.map(encodePoint).join('\n'));
  t.equal(texts.length, exporters.length);
  for (let i = 1; i < texts.length; i++) t.equal(texts[i], texts[0], `${exporters[i][0]} = ${exporters[0][0]}`);
});
