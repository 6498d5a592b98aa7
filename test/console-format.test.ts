/** The stdout sink's `console` format: exact lines for spans (with an LLM summary), metric points and logs. */
import { PassThrough } from 'node:stream';
import t from 'tap';
import { convertLogs } from '../src/datakit/logs.js';
import { convertMetrics } from '../src/datakit/metrics.js';
import type { PointOrigins } from '../src/datakit/origin.js';
import type { PointBatch } from '../src/datakit/point.js';
import { convertTraces } from '../src/datakit/trace.js';
import { formatConsoleBatch } from '../src/sinks/console-format.js';
import { StdoutSink } from '../src/sinks/stdout-sink.js';
import { convertContext, input } from './helpers/config-build.js';
import { attrs, histogram, histogramDp, logRecord, metricsReq, resourceLogs, resourceMetrics, resourceSpans, span, sv, T0, traces } from './helpers/model-build.js';

const MS = 1_000_000n;

function traceBatch(): PointBatch {
  const origins: PointOrigins = new Map();
  const req = traces(
    resourceSpans(attrs({ 'service.name': 'llm-app' }), [
      span({ name: 'GET /chat', endTimeUnixNano: T0 + 1_520_000n }),
      span({
        name: 'chat gpt-4o-mini',
        spanId: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]),
        status: { message: 'rate limited', code: 2 },
        endTimeUnixNano: T0 + 820n * MS,
        attributes: attrs({
          'gen_ai.provider.name': 'openai',
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.usage.input_tokens': 123n,
          'gen_ai.usage.output_tokens': 45n,
          'gen_ai.response.time_to_first_chunk': 0.21,
        }),
      }),
    ]),
  );
  const points = convertTraces(req, convertContext(input(), { origins }));
  return { category: 'tracing', points, origins };
}

t.test('spans: time, service, name, duration, status; LLM calls summarised', async (t) => {
  t.equal(
    formatConsoleBatch(traceBatch(), false),
    '22:13:20.000 span    llm-app  GET /chat  1.5 ms  ok\n' +
      '22:13:20.000 span    llm-app  chat gpt-4o-mini  820 ms  error  llm: openai chat gpt-4o-mini 123→45 tok (168) 820 ms ttft 210 ms\n',
  );
});

t.test('spans without origins: no LLM summary', async (t) => {
  const { points } = traceBatch();
  t.equal(formatConsoleBatch({ category: 'tracing', points: points.slice(1) }, false), '22:13:20.000 span    llm-app  chat gpt-4o-mini  820 ms  error\n');
});

t.test('metric points: the fields, then le and unit', async (t) => {
  const req = metricsReq(
    resourceMetrics(attrs({ 'service.name': 'llm-app' }), [
      histogram('gen_ai.client.token.usage', [histogramDp({ count: 2n, sum: 168, min: 45, max: 123, bucketCounts: [1n, 1n], explicitBounds: [100] })], '{token}'),
    ]),
  );
  const points = convertMetrics(req, convertContext(input()));
  t.equal(
    formatConsoleBatch({ category: 'metric', points }, false),
    '22:13:20.000 metric  llm-app  gen_ai.client.token.usage_min=45 gen_ai.client.token.usage_max=123 gen_ai.client.token.usage_count=2 gen_ai.client.token.usage_sum=168 unit={token}\n' +
      '22:13:20.000 metric  llm-app  gen_ai.client.token.usage_bucket=1 le=100 unit={token}\n' +
      '22:13:20.000 metric  llm-app  gen_ai.client.token.usage_bucket=2 le=+Inf unit={token}\n',
  );
});

t.test('logs: service, status, the first line of the message', async (t) => {
  const req = {
    resourceLogs: [
      resourceLogs(attrs({ 'service.name': 'llm-app' }), [
        logRecord({ severityNumber: 17, body: sv('connection refused\n  at connect()') }),
        logRecord({ severityNumber: 13, body: sv('x'.repeat(210)) }),
      ]),
    ],
  };
  const points = convertLogs(req, convertContext(input()));
  t.equal(
    formatConsoleBatch({ category: 'logging', points }, false),
    '22:13:20.000 log     llm-app  error  connection refused …\n' + `22:13:20.000 log     llm-app  warn  ${'x'.repeat(200)}…\n`,
  );
});

t.test('colour: dim time, cyan service, status by severity, magenta LLM summary', async (t) => {
  const batch = traceBatch();
  batch.points = [batch.points[1]];
  t.equal(
    formatConsoleBatch(batch, true),
    '\x1b[2m22:13:20.000\x1b[0m span    \x1b[36mllm-app\x1b[0m  chat gpt-4o-mini  820 ms  \x1b[31merror\x1b[0m  ' +
      '\x1b[35mllm: openai chat gpt-4o-mini 123→45 tok (168) 820 ms ttft 210 ms\x1b[0m\n',
  );
});

t.test('the stdout sink: console asks for origins and writes console lines; line-protocol does not', async (t) => {
  const out = new PassThrough();
  let written = '';
  out.on('data', (b: Buffer) => (written += b.toString()));
  const sink = new StdoutSink(new Set(['tracing']), out, 'console');
  t.equal(sink.wantsOrigins, true);
  await sink.write(traceBatch());
  t.equal(written.split('\n')[0], '22:13:20.000 span    llm-app  GET /chat  1.5 ms  ok');
  t.equal(new StdoutSink(new Set(['tracing']), out, 'line-protocol').wantsOrigins, false);
});
