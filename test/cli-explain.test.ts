/**
 * `datakit-otel-gateway explain` as a user runs it (a child process): an OTLP payload file made by the OpenTelemetry
 * SDK and `@opentelemetry/otlp-transformer` (protobuf, JSON, gzip), the points the config makes of it, the account.
 * And the gateway's console output for a person, with `--lines` switching it back to line protocol.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SpanKind } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import t from 'tap';
import { ExplainError, explainPayload, formatExplanation } from '../src/commands/explain.js';
import { loadConfig } from '../src/config/index.js';
import type { Signal } from '../src/otlp/model.js';
import { logMessage, runCli, RunningCli, spawnCli, tempDir, writeConfig } from './helpers/cli.js';
import { request } from './helpers/http.js';
import { logsRequest } from './helpers/otlp-build.js';
import { tracerSetup } from './helpers/otel-sdk.js';

const CONFIG = `
[environments]
  ENV_HOSTNAME = "gw-01"
[io]
  auto_timestamp_correction = false
[[inputs.opentelemetry]]
  customer_tags = ["reg:^gen_ai\\\\.request\\\\.", "user.id"]
  [inputs.opentelemetry.http]
`;

/** One LLM client span, 2023-11-14T22:13:20Z, 820 ms. */
async function llmTrace(): Promise<{ protobuf: Uint8Array; json: Uint8Array }> {
  const sdk = tracerSetup({ 'service.name': 'llm-app', 'telemetry.sdk.language': 'nodejs' });
  const s = sdk.tracer.startSpan('chat gpt-4o-mini', {
    kind: SpanKind.CLIENT,
    startTime: [1_700_000_000, 0],
    attributes: {
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 123,
      'user.id': 'u-7',
      'http.request.method': 'POST',
    },
  });
  s.end([1_700_000_000, 820_000_000]);
  const spans = sdk.spans();
  await sdk.shutdown();
  return { protobuf: ProtobufTraceSerializer.serializeRequest(spans)!, json: JsonTraceSerializer.serializeRequest(spans)! };
}

const POINT =
  'opentelemetry,dk_fingerprint=gw-01_1.84.1,host=gw-01,remote_ip=127.0.0.1,service=llm-app,source=opentelemetry,source_type=custom,span_kind=client,span_type=entry,status=ok ' +
  'duration=820000i,gen_ai_request_model="gpt-4o-mini",http_method="POST",' +
  'message="{\\"attributes\\":[{\\"key\\":\\"telemetry.sdk.language\\",\\"value\\":{\\"stringValue\\":\\"nodejs\\"}},{\\"key\\":\\"gen_ai.provider.name\\",\\"value\\":{\\"stringValue\\":\\"openai\\"}},{\\"key\\":\\"gen_ai.usage.input_tokens\\",\\"value\\":{\\"intValue\\":\\"123\\"}},{\\"key\\":\\"trace_id\\",\\"value\\":{\\"stringValue\\":\\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1\\"}}]}",' +
  'parent_id="0",resource="chat gpt-4o-mini",span_id="bbbbbbbbbbbbbbb1",start=1700000000000000i,trace_id="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1",user_id="u-7" 1700000000000000000';

const ACCOUNT = [
  '  resource  service.name               llm-app      consumed  → service               service.name → service tag',
  '  resource  telemetry.sdk.language     nodejs       message                           not in customer_tags: kept in message',
  '  span      gen_ai.provider.name       openai       message                           not in customer_tags: kept in message',
  '  span      gen_ai.request.model       gpt-4o-mini  lifted    → gen_ai_request_model  customer_tags "reg:^gen_ai\\.request\\."',
  '  span      gen_ai.usage.input_tokens  123          message                           not in customer_tags: kept in message',
  '  span      user.id                    u-7          lifted    → user_id               customer_tags "user.id"',
  "  span      http.request.method        POST         lifted    → http_method           DataKit's built-in key map",
].join('\n');

const explanation = (source: string): string => `traces (${source}): 1 span(s) → 1 point(s)\n\n${POINT}\n${ACCOUNT}\n`;

t.test('explain: protobuf, JSON and gzip payloads give the same points and account', async (t) => {
  const config = await writeConfig(t, CONFIG);
  const dir = await tempDir(t);
  const { protobuf, json } = await llmTrace();
  const files = { pb: join(dir, 'trace.pb'), json: join(dir, 'trace.json'), gz: join(dir, 'trace.json.gz') };
  await writeFile(files.pb, protobuf);
  await writeFile(files.json, json);
  await writeFile(files.gz, gzipSync(json));
  t.strictSame(await runCli(['explain', '--config', config, files.pb]), { code: 0, stdout: explanation('OTLP/protobuf'), stderr: '' });
  t.strictSame(await runCli(['explain', '--config', config, files.json]), { code: 0, stdout: explanation('OTLP/json'), stderr: '' });
  t.strictSame(await runCli(['explain', '--config', config, files.gz]), { code: 0, stdout: explanation('OTLP/json, gzip'), stderr: '' });
});

t.test('explain --json: the same explanation for a program', async (t) => {
  const config = await writeConfig(t, CONFIG);
  const file = join(await tempDir(t), 'trace.pb');
  await writeFile(file, (await llmTrace()).protobuf);
  const run = await runCli(['explain', '--config', config, '--json', file]);
  t.equal(run.code, 0);
  const parsed = JSON.parse(run.stdout) as { signal: string; encoding: string; gzip: boolean; items: number; points: Array<{ line: string; account: unknown[] }> };
  t.strictSame({ ...parsed, points: parsed.points.map((p) => ({ line: p.line, accounted: p.account.length })) }, {
    signal: 'traces',
    encoding: 'protobuf',
    gzip: false,
    items: 1,
    points: [{ line: POINT, accounted: 7 }],
  });
  t.strictSame(parsed.points[0].account[3], {
    where: 'span',
    key: 'gen_ai.request.model',
    value: 'gpt-4o-mini',
    fate: 'lifted',
    to: 'gen_ai_request_model',
    why: 'customer_tags "reg:^gen_ai\\.request\\."',
  });
});

t.test('explain: the signal of a protobuf payload is detected (gzip logs), or given', async (t) => {
  const config = await writeConfig(t, CONFIG);
  const file = join(await tempDir(t), 'logs.pb.gz');
  const logs = gzipSync((await logsRequest()).protobuf);
  await writeFile(file, logs);
  const detected = await runCli(['explain', '--config', config, file]);
  t.equal(detected.code, 0);
  t.equal(detected.stdout.split('\n')[0], 'logs (OTLP/protobuf, gzip): 3 log record(s) → 3 point(s)');
  t.equal(detected.stdout.split('\n')[3], '  resource  service.name  checkout  kept  → service_name  resource attribute → field (also the service tag, §7.1)');
  // In process from here on: a child process per case would only repeat what the CLI runs above show.
  const gateway = loadConfig({ file: config });
  t.equal(formatExplanation(explainPayload(gateway, logs, 'logs')), detected.stdout);
});

t.test('explain: a bad payload exits 2 with a message', async (t) => {
  const config = await writeConfig(t, CONFIG);
  const garbage = join(await tempDir(t), 'garbage.bin');
  await writeFile(garbage, 'not otlp at all');
  t.strictSame(await runCli(['explain', '--config', config, garbage]), {
    code: 2,
    stdout: '',
    stderr: `explain: ${garbage}: cannot tell which OTLP/protobuf request this is: give --signal traces|metrics|logs\n`,
  });
});

t.test('explain: what makes a payload bad', async (t) => {
  const gateway = loadConfig({ file: await writeConfig(t, CONFIG) });
  const explain = (payload: string | Buffer, signal?: Signal) => () => explainPayload(gateway, Buffer.from(payload), signal);
  t.throws(explain(Buffer.from([0x1f, 0x8b, 1, 2, 3])), new ExplainError('the payload starts like gzip but does not decompress: unknown compression method'));
  t.throws(explain(' {"hello": 1}'), new ExplainError('the JSON payload has none of resourceSpans, resourceMetrics, resourceLogs: give --signal traces|metrics|logs'));
  t.throws(explain('{"resourceSpans": '), new ExplainError('the payload is not valid JSON: Unexpected end of JSON input'));
  t.throws(explain('{"resourceSpans": 3}', 'traces'), new ExplainError('not an OTLP/json traces request: resourceSpans: expected an array, got 3'));
  t.throws(() => explainPayload({ ...gateway, inputs: [] }, Buffer.from('{}')), new ExplainError('the config has no [[inputs.opentelemetry]] table to explain with'));
});

t.test('run: a console stdout sink prints readable lines; --lines prints line protocol', async (t) => {
  const config = await writeConfig(t, `${CONFIG}\n[[sinks.sink]]\n  target = "stdout"\n  format = "console"\n`);
  const { protobuf } = await llmTrace();
  const printed = async (args: string[], match: (line: string) => boolean): Promise<string> => {
    const cli = new RunningCli(spawnCli(['--config', config, '--listen', '127.0.0.1:0', ...args]));
    t.teardown(() => {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    });
    const listening = logMessage(await cli.waitForLine((l) => /listening on http:/.test(logMessage(l) ?? ''), 'listening'))!;
    const res = await request(`${listening.slice('listening on '.length)}/otel/v1/traces`, { headers: { 'content-type': 'application/x-protobuf' }, body: Buffer.from(protobuf) });
    t.equal(res.status, 200);
    const line = await cli.waitForLine(match, 'the point');
    cli.child.kill('SIGTERM');
    t.equal(await cli.exited, 0);
    return line;
  };
  t.equal(
    await printed([], (l) => l.includes(' span ')),
    '22:13:20.000 span    llm-app  chat gpt-4o-mini  820 ms  ok  llm: openai gpt-4o-mini 123→? tok 820 ms',
  );
  t.equal(await printed(['--lines'], (l) => l.startsWith('opentelemetry,')), POINT);
});
