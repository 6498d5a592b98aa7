/**
 * End to end, logs: the real OpenTelemetry JS logs SDK and its OTLP exporters (protobuf and JSON, with and without
 * gzip) post to the running gateway on loopback, and the sink receives exactly the logging points DataKit 1.84 would
 * store (datakit reference §7, §8, §9, §11).
 */
import { context, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as HttpJsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import t from 'tap';
import { encodePoint } from '../src/datakit/line-protocol.js';
import { fixtureToml, startTestGateway } from './helpers/gateway.js';
import { exportWith, loggerSetup } from './helpers/otel-sdk.js';

const T0 = 1_700_000_000_000_000_000n;
/** T0 + `ms` milliseconds as an HrTime. */
const at = (ms: number): [number, number] => [1_700_000_000 + Math.floor(ms / 1000), (ms % 1000) * 1_000_000];
const IN_SPAN = trace.setSpanContext(context.active(), {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: 1,
});

/**
 * Three resources (service.name; log.source; neither), bodies of every kind, severities across the table, the
 * attributes DataKit treats specially, trace context, and one body long enough to be cut in two at `log_max = 1`.
 */
async function llmLogs(): Promise<ReadableLogRecord[]> {
  const checkout = loggerSetup({
    'service.name': 'checkout',
    'host.name': 'web-1',
    'deployment.environment': 'ci',
    'telemetry.sdk.name': 'opentelemetry', // removed (§6.2 list, applies to logs too)
  });
  const app = checkout.logger('app-logger', '1.0.0');
  app.emit({
    timestamp: at(1),
    severityNumber: SeverityNumber.TRACE,
    body: 'entering checkout',
    context: IN_SPAN,
    attributes: { 'code.function': 'checkout', 'retry.count': 3, 'sampling.ratio': 0.25, 'cache.hit': true, tags: ['a', 'b'] },
  });
  app.emit({ timestamp: at(2), severityNumber: SeverityNumber.DEBUG, body: 42 });
  app.emit({ timestamp: at(3), severityNumber: SeverityNumber.INFO, body: 3.14159 });
  app.emit({ timestamp: at(4), severityNumber: SeverityNumber.WARN, body: { url: '/cart', visits: 3, nested: { ok: true } } });
  app.emit({ timestamp: at(5), severityNumber: SeverityNumber.ERROR, body: ['x', 1, 2.5, false] });
  app.emit({
    timestamp: at(6),
    severityNumber: SeverityNumber.FATAL,
    body: 'disk full',
    attributes: { message: 'from attribute', status: 'custom', date: '2024-01-01', source: 'attr-source' },
  });
  app.emit({ timestamp: at(7), severityNumber: SeverityNumber.FATAL4, severityText: 'FATAL4', body: 'last words' });
  app.emit({ timestamp: at(8), severityText: 'WARNING', body: 'text only' });
  app.emit({ timestamp: at(9), severityNumber: 25 as SeverityNumber, severityText: 'NOTICE', body: 'beyond the table' });
  app.emit({ timestamp: at(10), severityNumber: SeverityNumber.INFO });

  const nginx = loggerSetup({ 'service.name': 'payments', 'log.source': 'nginx' });
  nginx.logger('nginx-logger', '').emit({ timestamp: at(20), severityNumber: SeverityNumber.INFO2, body: 'ok ' + '😀'.repeat(1100) });

  const anonymous = loggerSetup({ 'k8s.pod.name': 'worker-0' });
  anonymous.logger('worker', '').emit({
    timestamp: [0, 0], // an HrTime: a plain 0 would be read as an offset from the SDK's time origin
    observedTimestamp: at(30),
    severityNumber: SeverityNumber.WARN2,
    body: 'observed only',
  });

  // One export request with three ResourceLogs (the serializer groups records by resource).
  const records = [...checkout.records(), ...nginx.records(), ...anonymous.records()];
  await Promise.all([checkout.shutdown(), nginx.shutdown(), anonymous.shutdown()]);
  return records;
}

const records = await llmLogs();

const tsAt = (ms: number): string => (T0 + BigInt(ms) * 1_000_000n).toString();
const CHECKOUT_TAGS = 'checkout,dk_fingerprint=ci-host_1.84.1,host=web-1,remote_ip=127.0.0.1,service=checkout';
/** A `checkout` record without attributes or trace context; `message` as written in line protocol (quoted, escaped). */
const checkoutLine = (status: string, message: string, ms: number): string =>
  `${CHECKOUT_TAGS},status=${status} deployment_environment="ci",host_name="web-1",message=${message},schema_url="",` +
  `scope_name="app-logger",service_name="checkout",span_id="0",trace_id="0" ${tsAt(ms)}`;
const nginxLine = (message: string, ms: number): string =>
  `nginx,dk_fingerprint=ci-host_1.84.1,host=ci-host,remote_ip=127.0.0.1,service=payments,status=info log_source="nginx",` +
  `message="${message}",schema_url="",scope_name="nginx-logger",service_name="payments",span_id="0",trace_id="0" ${tsAt(ms)}`;

const EXPECTED = [
  // Attributes are string fields (§7.3, §6.3: double with 3 decimals, array in Go text form); ids are hex (§5.3).
  `${CHECKOUT_TAGS},status=trace cache_hit="true",code_function="checkout",deployment_environment="ci",host_name="web-1",` +
    `message="entering checkout",retry_count="3",sampling_ratio="0.250",schema_url="",scope_name="app-logger",` +
    `service_name="checkout",span_id="b7ad6b7169203331",tags="values:{string_value:\\"a\\"} values:{string_value:\\"b\\"}",` +
    `trace_id="0af7651916cd43dd8448eb211c80319c" ${tsAt(1)}`,
  checkoutLine('debug', '"42"', 2),
  checkoutLine('info', '"3.141590"', 3), // %f: six decimals (§7.4)
  checkoutLine(
    'warn',
    String.raw`"values:{key:\"url\" value:{string_value:\"/cart\"}} values:{key:\"visits\" value:{int_value:3}} ` +
      String.raw`values:{key:\"nested\" value:{kvlist_value:{values:{key:\"ok\" value:{bool_value:true}}}}}"`,
    4,
  ),
  checkoutLine(
    'error',
    String.raw`"values:{string_value:\"x\"} values:{int_value:1} values:{double_value:2.5} values:{bool_value:false}"`,
    5,
  ),
  // Attributes `message` and `status` win over the body and the severity, and stay fields (§7.3); `status` counts as
  // present for the checker, so no status tag is added; `date` and `source` are forbidden for Logging (Q36).
  `${CHECKOUT_TAGS} deployment_environment="ci",host_name="web-1",message="from attribute",schema_url="",` +
    `scope_name="app-logger",service_name="checkout",span_id="0",status="custom",trace_id="0" ${tsAt(6)}`,
  checkoutLine('fatal', '"last words"', 7),
  checkoutLine('unknown', '"text only"', 8), // severity 0 → unknown, not the text (Q34)
  checkoutLine('NOTICE', '"beyond the table"', 9), // outside 1–24 → the text (§7.2)
  checkoutLine('info', '""', 10), // empty body: kept with message="" unless strict_datakit (Q33)

  // log.source beats service.name as the measurement; service stays service.name; no host.name → io's host (§7.1).
  // log_max = 1 → chunks of 1024 code points, one emoji counting once; chunk i at +i ms (§7.4, Q35).
  nginxLine('ok ' + '😀'.repeat(1021), 20),
  nginxLine('😀'.repeat(79), 21),

  // No service.name and no log.source: measurement otel_logs, service unSetServiceName, host from io (§7.1, §11);
  // time 0 → the observed time (§7.5).
  `otel_logs,dk_fingerprint=ci-host_1.84.1,host=ci-host,remote_ip=127.0.0.1,service=unSetServiceName,status=warn ` +
    `k8s_pod_name="worker-0",message="observed only",schema_url="",scope_name="worker",span_id="0",trace_id="0" ${tsAt(30)}`,
];

const exporters = [
  ['protobuf', (url: string) => new ProtoLogExporter({ url })],
  ['protobuf + gzip', (url: string) => new ProtoLogExporter({ url, compression: CompressionAlgorithm.GZIP })],
  ['JSON', (url: string) => new HttpJsonLogExporter({ url })],
  ['JSON + gzip', (url: string) => new HttpJsonLogExporter({ url, compression: CompressionAlgorithm.GZIP })],
] as const;

/** `now` = T0 keeps io's timestamp correction (§11) away from the records' times. */
const startGateway = (inputExtra: string) => startTestGateway(fixtureToml(inputExtra), () => T0);

for (const [name, make] of exporters) {
  t.test(`the real ${name} log exporter → golden logging points`, async (t) => {
    const gw = await startGateway('log_max = 1');
    t.teardown(gw.close);
    const exporter = make(`${gw.url}/otel/v1/logs`);
    t.teardown(() => exporter.shutdown());
    await exportWith(exporter, records);
    t.same(gw.sink.lines('logging'), EXPECTED);
  });
}

t.test('the same records through every exporter give byte-identical line protocol', async (t) => {
  const gw = await startGateway('log_max = 1');
  t.teardown(gw.close);
  for (const [, make] of exporters) {
    const exporter = make(`${gw.url}/otel/v1/logs`);
    t.teardown(() => exporter.shutdown());
    await exportWith(exporter, records);
  }
  const texts = gw.sink.batches.map((b) => b.points.map(encodePoint).join('\n'));
  t.equal(texts.length, exporters.length);
  for (let i = 1; i < texts.length; i++) t.equal(texts[i], texts[0], `${exporters[i][0]} = ${exporters[0][0]}`);
});

t.test('an empty body: message="" by default, no point with strict_datakit (Q33)', async (t) => {
  const sdk = loggerSetup({ 'service.name': 'quiet' });
  const logger = sdk.logger('q', '');
  logger.emit({ timestamp: at(0), severityNumber: SeverityNumber.INFO });
  logger.emit({ timestamp: at(1), severityNumber: SeverityNumber.INFO, body: 'spoken' });
  const quiet = sdk.records();
  await sdk.shutdown();
  const line = (message: string, ms: number) =>
    `quiet,dk_fingerprint=ci-host_1.84.1,host=ci-host,remote_ip=127.0.0.1,service=quiet,status=info message="${message}",` +
    `schema_url="",scope_name="q",service_name="quiet",span_id="0",trace_id="0" ${tsAt(ms)}`;

  for (const [strict, expected] of [
    [false, [line('', 0), line('spoken', 1)]],
    [true, [line('spoken', 1)]],
  ] as const) {
    const gw = await startGateway(`strict_datakit = ${strict}`);
    t.teardown(gw.close);
    const exporter = new ProtoLogExporter({ url: `${gw.url}/otel/v1/logs` });
    t.teardown(() => exporter.shutdown());
    await exportWith(exporter, quiet);
    t.same(gw.sink.lines('logging'), expected, `strict_datakit = ${strict}`);
  }
});

t.test('bytes: protobuf carries them; the JSON exporter cannot, and the gateway says why', async (t) => {
  const sdk = loggerSetup({ 'service.name': 'blob' });
  sdk.logger('b', '').emit({
    timestamp: at(0),
    severityNumber: SeverityNumber.INFO,
    body: new TextEncoder().encode('raw bytes'),
    attributes: { payload: Uint8Array.from([0xde, 0xad, 0xbe, 0xef]) },
  });
  const blob = sdk.records();
  await sdk.shutdown();
  const gw = await startGateway('');
  t.teardown(gw.close);

  // A bytes body is its raw text (§7.4); a bytes attribute is base64 outside strict_datakit (Q20).
  const proto = new ProtoLogExporter({ url: `${gw.url}/otel/v1/logs` });
  t.teardown(() => proto.shutdown());
  await exportWith(proto, blob);
  t.same(gw.sink.lines('logging'), [
    `blob,dk_fingerprint=ci-host_1.84.1,host=ci-host,remote_ip=127.0.0.1,service=blob,status=info message="raw bytes",` +
      `payload="3q2+7w==",schema_url="",scope_name="b",service_name="blob",span_id="0",trace_id="0" ${tsAt(0)}`,
  ]);

  // The OTel JS JSON serializer (otlp-transformer 0.203) JSON.stringify()s a Uint8Array, which gives an object of
  // index → byte instead of the base64 string protojson requires (open-telemetry/opentelemetry-js#6190, fixed after
  // 0.203). The gateway rejects such a request as a whole with 400 and a google.rpc.Status naming the field.
  const json = new HttpJsonLogExporter({ url: `${gw.url}/otel/v1/logs` });
  t.teardown(() => json.shutdown());
  await t.rejects(exportWith(json, blob), {
    code: 400,
    data: '{"code":3,"message":"resourceLogs[0].scopeLogs[0].logRecords[0].body.bytesValue: expected a base64 string, got an object"}',
  });
  t.equal(gw.sink.batches.length, 1, 'nothing stored from the rejected request');
});
