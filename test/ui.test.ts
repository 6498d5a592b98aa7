/**
 * The web UI at /ui (issue 6) in a real headless Chromium: real OTLP from the OpenTelemetry JS SDK goes into the
 * running gateway, and the test reads what a person would see: the waterfall, the attribute account, the LLM table,
 * the histogram buckets, the logs and their trace links, a live update, the filters, resets (one session, all) and
 * the token hand-over under `auth_token`. Screenshots: test-output/ui/ (kept out of git by .gitignore).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SpanKind, SpanStatusCode, TraceFlags, context, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import Fastify from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import t, { type Test } from 'tap';
import { loadConfig } from '../src/config/index.js';
import { startGateway, type RunningGateway } from '../src/gateway.js';
import { registerUiRoutes } from '../src/ui/routes.js';
import { fixtureToml } from './helpers/gateway.js';
import { request } from './helpers/http.js';
import { exportWith, loggerSetup, meterSetup, tracerSetup } from './helpers/otel-sdk.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('../test-output/ui/', import.meta.url));
const SESSION = 'ui-test';
const TRACE_ID = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1';
const CHAT_SPAN_ID = 'bbbbbbbbbbbbbbb2';
/** 2023-11-14T22:13:20Z, in [seconds, nanoseconds] as the SDK takes times. */
const T0 = 1_700_000_000;
const at = (ms: number): [number, number] => [T0 + Math.floor(ms / 1000), (ms % 1000) * 1_000_000];

async function startUiGateway(t: Test, gatewayToml = ''): Promise<RunningGateway> {
  const text = `${fixtureToml('customer_tags = ["gen_ai.request.model", "gen_ai.system"]', gatewayToml)}\n[[sinks.sink]]\ntarget = "memory"\n`;
  const gw = await startGateway({ config: loadConfig({ text, env: {} }), listen: { host: '127.0.0.1', port: 0 } });
  t.teardown(() => gw.close());
  return gw;
}

const exportOptions = (gw: RunningGateway, signal: string) => ({ url: `${gw.otelUrl}/v1/${signal}`, headers: { 'x-gateway-session': SESSION } });

/**
 * A Traceloop-style trace: a workflow with an `openai.chat` child in the older OpenLLMetry keys and a `chat gpt-4o`
 * child in the current GenAI keys (gen_ai.input/output.messages JSON). Returns the SDK to add a span later.
 */
async function sendLlmTrace(gw: RunningGateway) {
  const sdk = tracerSetup({ 'service.name': 'llm-app' });
  const workflow = sdk.tracer.startSpan('joke_workflow.workflow', {
    kind: SpanKind.INTERNAL,
    startTime: at(0),
    attributes: { 'traceloop.span.kind': 'workflow', 'traceloop.workflow.name': 'joke_workflow' },
  });
  const parent = trace.setSpan(context.active(), workflow);
  const chat = sdk.tracer.startSpan(
    'openai.chat',
    {
      kind: SpanKind.CLIENT,
      startTime: at(1),
      attributes: {
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.prompt.0.role': 'user',
        'gen_ai.prompt.0.content': 'Tell me a joke about <b>spans</b>',
        'gen_ai.completion.0.role': 'assistant',
        'gen_ai.completion.0.content': 'Why did the span cross the road?',
        'gen_ai.usage.prompt_tokens': 123,
        'gen_ai.usage.completion_tokens': 45,
        'app.user_tier': 'gold',
      },
    },
    parent,
  );
  chat.setStatus({ code: SpanStatusCode.OK });
  chat.end(at(251));
  const current = sdk.tracer.startSpan(
    'chat gpt-4o',
    {
      kind: SpanKind.CLIENT,
      startTime: at(260),
      attributes: {
        'gen_ai.provider.name': 'openai',
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'Say hi' }] }]),
        'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'Hi!' }], finish_reason: 'stop' }]),
        'gen_ai.usage.input_tokens': 10,
        'gen_ai.usage.output_tokens': 5,
        'gen_ai.server.time_to_first_token': 0.012,
      },
    },
    parent,
  );
  current.end(at(290));
  workflow.end(at(300));
  const exporter = new OTLPTraceExporter(exportOptions(gw, 'traces'));
  await exportWith(exporter, sdk.spans());
  return { sdk, parent, exporter };
}

/** A histogram with bounds 0.5, 1, 2.5 and the values 0.3, 0.8, 0.9, 3: per bucket 1, 2, 0, 1. */
async function sendHistogram(gw: RunningGateway): Promise<void> {
  const sdk = meterSetup({ 'service.name': 'llm-app' });
  const histogram = sdk.meter('openllmetry', '0.1.0').createHistogram('gen_ai.client.operation.duration', {
    unit: 's',
    advice: { explicitBucketBoundaries: [0.5, 1, 2.5] },
  });
  for (const v of [0.3, 0.8, 0.9, 3]) histogram.record(v, { 'gen_ai.system': 'openai' });
  const exporter = new OTLPMetricExporter(exportOptions(gw, 'metrics'));
  await exportWith(exporter, await sdk.collect());
  await exporter.shutdown();
  await sdk.shutdown();
}

/** Two logs: one on its own, one inside the chat span (trace and span ids set). */
async function sendLogs(gw: RunningGateway): Promise<void> {
  const sdk = loggerSetup({ 'service.name': 'llm-app' });
  const logger = sdk.logger('app', '1.0.0');
  logger.emit({ timestamp: at(0), severityNumber: SeverityNumber.INFO, body: 'user asked for a joke' });
  const inChat = trace.setSpanContext(context.active(), { traceId: TRACE_ID, spanId: CHAT_SPAN_ID, traceFlags: TraceFlags.SAMPLED });
  logger.emit({ timestamp: at(250), severityNumber: SeverityNumber.ERROR, body: 'model answer was not funny', context: inChat });
  const exporter = new OTLPLogExporter(exportOptions(gw, 'logs'));
  await exportWith(exporter, sdk.records());
  await exporter.shutdown();
  await sdk.shutdown();
}

const OTHER_SESSION = 'other-test';
const OTHER_TRACE_ID = 'cccccccccccccccccccccccccccccccc';

/** One span `other.request` (hand-written OTLP/JSON: its ids must differ from the SDK's counting ones). */
async function sendOtherSpan(gw: RunningGateway, headers: Record<string, string>): Promise<void> {
  const ns = (ms: number) => String(BigInt(T0) * 1_000_000_000n + BigInt(ms) * 1_000_000n);
  const body = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'other-app' } }] },
        scopeSpans: [
          {
            spans: [
              { traceId: OTHER_TRACE_ID, spanId: 'dddddddddddddddd', name: 'other.request', startTimeUnixNano: ns(10_000), endTimeUnixNano: ns(10_020) },
            ],
          },
        ],
      },
    ],
  };
  const res = await request(`${gw.otelUrl}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`OTLP/JSON export answered ${res.status}: ${res.body.toString()}`);
}

/** How many points the API holds per session and in all. */
async function totals(gw: RunningGateway): Promise<Record<string, number>> {
  const total = async (query: string) => {
    const res = await request(`${gw.url}/api/points${query}`, { method: 'GET' });
    return (JSON.parse(res.body.toString()) as { total: number }).total;
  };
  return { [SESSION]: await total(`?session=${SESSION}`), [OTHER_SESSION]: await total(`?session=${OTHER_SESSION}`), all: await total('') };
}

/** Headless, and nothing that reaches for the network (updates, sync, QUIC probes). */
/** The page may load only its own files and talk only to its own origin. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'";

const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The texts of `cell` within each element matching `rows`, row by row. */
function cells(page: Page, rows: string, cell: string): Promise<string[][]> {
  return page.$$eval(rows, (els, sel) => els.map((r) => [...r.querySelectorAll(sel)].map((c) => (c.textContent ?? '').trim())), cell);
}

t.test('/ui serves the page and its assets with their types, uncached', async (t) => {
  const gw = await startUiGateway(t);
  for (const [path, type, marker] of [
    ['/ui', 'text/html; charset=utf-8', '<script type="module" src="/ui/app.js">'],
    ['/ui/', 'text/html; charset=utf-8', '<script type="module" src="/ui/app.js">'],
    ['/ui/app.js', 'text/javascript; charset=utf-8', "from './traces.js'"],
    ['/ui/style.css', 'text/css; charset=utf-8', '[hidden] { display: none !important; }'],
  ] as const) {
    const res = await request(gw.url + path, { method: 'GET' });
    t.equal(res.status, 200, path);
    t.equal(res.headers['content-type'], type, `${path} content type`);
    t.equal(res.headers['cache-control'], 'no-cache', `${path} cache-control`);
    t.equal(res.headers['content-security-policy'], CSP, `${path} content security policy`);
    t.ok(res.body.toString().includes(marker), `${path} is the right file`);
  }
  t.equal((await request(`${gw.url}/ui/..%2Fpackage.json`, { method: 'GET' })).status, 404, 'only the page’s own files are served');
  t.equal((await request(`${gw.url}/ui/missing.js`, { method: 'GET' })).status, 404);
});

t.test('without its files the gateway still starts, and /ui says what is missing', async (t) => {
  const app = Fastify();
  t.teardown(() => app.close());
  registerUiRoutes(app, ['/nonexistent/a/', '/nonexistent/b/']);
  const res = await app.inject({ method: 'GET', url: '/ui' });
  t.equal(res.statusCode, 500);
  t.equal(res.body, "the web UI's files are missing (looked in /nonexistent/a/ and /nonexistent/b/)\n");
});

const NO_CHROMIUM = `${CHROMIUM} not found: install Debian's chromium package to run the browser test of /ui`;

t.test('the page in headless Chromium', { skip: existsSync(CHROMIUM) ? false : NO_CHROMIUM }, async (t) => {
  mkdirSync(SHOTS, { recursive: true });
  const gw = await startUiGateway(t);
  const { sdk, parent, exporter } = await sendLlmTrace(gw);
  t.teardown(async () => {
    await exporter.shutdown();
    await sdk.shutdown();
  });
  await sendHistogram(gw);
  await sendLogs(gw);

  // playwright's launch() gives the browser a fresh temporary profile (user-data-dir) and removes it on close.
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(10_000);
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console ${msg.type()}: ${msg.text()}`);
  });

  await page.goto(`${gw.url}/ui`);
  await page.locator('#live.on').waitFor();

  t.test('trace list, newest first, with the root span and counts', async (t) => {
    const row = `#trace-list tr[data-trace-id="${TRACE_ID}"]`;
    await page.locator(row).waitFor();
    t.same((await cells(page, row, 'td')).map((r) => r.slice(1, 7)), [['llm-app', 'joke_workflow.workflow', '300 ms', '3', '', '2']]);
    await page.locator(`#session option[value="${SESSION}"]`).waitFor({ state: 'attached' });
    t.same(await page.locator('#session option').allTextContents(), ['all sessions', SESSION], 'the session filter lists the session');
    await page.screenshot({ path: `${SHOTS}traces.png` });
  });

  t.test('waterfall: spans in tree order with their durations, bars scaled to the trace', async (t) => {
    await page.locator(`tr[data-trace-id="${TRACE_ID}"]`).click();
    await page.locator('.wf-row[data-span-id]').nth(2).waitFor();
    t.same(await cells(page, '.wf-row[data-span-id]', '.span-name, .span-duration'), [
      ['joke_workflow.workflow', '300 ms'],
      ['openai.chat', '250 ms'],
      ['chat gpt-4o', '30 ms'],
    ]);
    const styles = await page.$$eval('.wf-row[data-span-id] .wf-bar', (els) => els.map((e) => e.getAttribute('style') ?? ''));
    const percent = (style: string, prop: string) => Number(new RegExp(`${prop}: ([\\d.]+)%`).exec(style)?.[1]).toFixed(2);
    t.same(styles.map((s) => [percent(s, 'left'), percent(s, 'width')]), [
      ['0.00', '100.00'],
      ['0.33', '83.33'],
      ['86.67', '10.00'],
    ]);
  });

  t.test('span detail: OTLP attributes next to the DataKit point, attribute by attribute', async (t) => {
    await page.locator(`.wf-row[data-span-id="${CHAT_SPAN_ID}"]`).click();
    const account = (key: string) => cells(page, `#span-detail table.account tr[data-key="${key}"]`, '.where, .key, .value, .fate, .to');
    await page.locator('#span-detail table.account tr[data-key="gen_ai.request.model"]').waitFor();
    t.same(await account('gen_ai.request.model'), [['gen_ai.request.model', 'span', 'gpt-4o-mini', 'lifted', 'gen_ai_request_model']]);
    t.same(await account('app.user_tier'), [['app.user_tier', 'span', 'gold', 'message']]);
    t.same(await account('service.name'), [['service.name', 'resource', 'llm-app', 'consumed', 'service']]);
    const pointRow = (key: string) => cells(page, `#span-detail table.point tr[data-key="${key}"]`, 'td');
    t.same(await pointRow('gen_ai_request_model'), [['field', 'gen_ai_request_model', 'gpt-4o-mini']]);
    t.same(await pointRow('service'), [['tag', 'service', 'llm-app']]);
    t.equal(await page.locator('#span-detail b').count(), 0, 'attribute values are text, not markup');
    await page.screenshot({ path: `${SHOTS}span-detail.png`, fullPage: true });
  });

  t.test('live: a span sent while the waterfall is open appears in it', async (t) => {
    const late = sdk.tracer.startSpan('tool.lookup', { startTime: at(295), attributes: { 'tool.name': 'lookup' } }, parent);
    late.end(at(299));
    await exportWith(exporter, sdk.spans().filter((s) => s.name === 'tool.lookup'));
    await page.locator('.wf-row[data-span-id] .span-name', { hasText: 'tool.lookup' }).waitFor();
    t.same((await cells(page, '.wf-row[data-span-id]', '.span-name, .span-duration')).at(-1), ['tool.lookup', '4 ms']);
    t.equal(await page.locator('.wf-row.selected .span-name').textContent(), 'openai.chat', 'the selected span stays selected');
  });

  t.test('LLM calls: model, provider, tokens, duration and readable messages of both conventions', async (t) => {
    await page.locator('#tab-llm').click();
    await page.locator('#llm-list tr.call').nth(1).waitFor();
    const rows = await cells(page, '#llm-list tr.call', 'td');
    t.same(
      rows.map((r) => r.slice(2, 10)),
      [
        ['chat gpt-4o', 'openai', 'gpt-4o', '10', '5', '15', '30 ms', '12 ms'],
        ['openai.chat', 'openai', 'gpt-4o-mini', '123', '45', '168', '250 ms', ''],
      ],
    );
    t.equal(await page.locator('#llm-list .totals').textContent(), '2 calls · 133 tokens in · 50 out · 183 total · click a row for its messages');
    await page.locator(`#llm-list tr.call[data-span-id="${CHAT_SPAN_ID}"]`).click();
    const open = '#llm-list tr.messages:not([hidden])';
    await page.locator(open).waitFor();
    t.same(await cells(page, `${open} .message`, '.role, .content'), [
      ['user', 'Tell me a joke about <b>spans</b>'],
      ['assistant', 'Why did the span cross the road?'],
    ]);
    await page.locator('#llm-list tr.call').first().click();
    await page.locator(open).nth(1).waitFor();
    t.same(await cells(page, `${open} .message`, '.role, .content'), [
      ['user', 'Say hi'],
      ['assistant', 'Hi!'],
      ['user', 'Tell me a joke about <b>spans</b>'],
      ['assistant', 'Why did the span cross the road?'],
    ]);
    t.equal(await page.locator('#llm-list b').count(), 0, 'message text is not markup');
    await page.screenshot({ path: `${SHOTS}llm.png`, fullPage: true });
  });

  t.test('metrics: the histogram as buckets', async (t) => {
    await page.locator('#tab-metrics').click();
    const series = '#metric-list .series[data-name="gen_ai.client.operation.duration"]';
    await page.locator(`${series} .bucket`).first().waitFor();
    t.same(await cells(page, `${series} .bucket`, '.le, .count'), [
      ['≤ 0.5', '1'],
      ['≤ 1', '3'],
      ['≤ 2.5', '3'],
      ['≤ +Inf', '4'],
    ]);
    await page.screenshot({ path: `${SHOTS}metrics.png`, fullPage: true });
  });

  t.test('logs: status colours and a link to the trace', async (t) => {
    await page.locator('#tab-logs').click();
    await page.locator('#log-list tr.log').nth(1).waitFor();
    t.same((await cells(page, '#log-list tr.log', 'td')).map((r) => r.slice(1)), [
      ['error', 'llm-app', 'model answer was not funny', 'trace'],
      ['info', 'llm-app', 'user asked for a joke', ''],
    ]);
    const badges = await page.$$eval('#log-list tr.log .badge', (els) => els.map((e) => e.className));
    t.same(badges, ['badge status status-error', 'badge status status-info'], 'coloured by status');
    await page.screenshot({ path: `${SHOTS}logs.png`, fullPage: true });
    await page.locator('#log-list a.trace-link').click();
    await page.locator(`.wf-row[data-span-id="${CHAT_SPAN_ID}"]`).waitFor();
    t.equal(new URL(page.url()).hash, `#/traces/${TRACE_ID}`);
  });

  t.test('session filter, then reset of one session and of everything', async (t) => {
    await sendOtherSpan(gw, { 'x-gateway-session': OTHER_SESSION });
    await page.locator('#tab-traces').click();
    const rows = '#trace-list tr[data-trace-id]';
    await page.locator(`${rows}[data-trace-id="${OTHER_TRACE_ID}"]`).waitFor();
    t.same(await cells(page, rows, '.name'), [['other.request'], ['joke_workflow.workflow']], 'all sessions, newest first');
    await page.locator(`#session option[value="${OTHER_SESSION}"]`).waitFor({ state: 'attached' });
    t.same(await page.locator('#session option').allTextContents(), ['all sessions', OTHER_SESSION, SESSION]);
    await page.fill('#trace-service', 'other-app');
    await page.locator(`${rows}[data-trace-id="${TRACE_ID}"]`).waitFor({ state: 'detached' });
    t.same(await cells(page, rows, '.name'), [['other.request']], 'the service filter');
    await page.fill('#trace-service', '');
    await page.locator(`${rows}[data-trace-id="${TRACE_ID}"]`).waitFor();

    await page.selectOption('#session', SESSION);
    await page.locator(rows).nth(1).waitFor({ state: 'detached' });
    t.same(await cells(page, rows, '.name'), [['joke_workflow.workflow']], 'only the chosen session');
    await page.locator('#reset').click();
    await page.locator('#trace-list .notice').waitFor();
    t.equal(await page.locator('#trace-list').textContent(), 'No traces yet. Send OTLP to /otel/v1/traces.');
    t.same(await totals(gw), { [SESSION]: 0, [OTHER_SESSION]: 1, all: 1 }, 'the reset removed the chosen session only');

    await page.selectOption('#session', '');
    await page.locator(`${rows}[data-trace-id="${OTHER_TRACE_ID}"]`).waitFor();
    await page.locator('#reset').click();
    await page.locator('#trace-list .notice').waitFor();
    t.same(await totals(gw), { [SESSION]: 0, [OTHER_SESSION]: 0, all: 0 });
    await page.screenshot({ path: `${SHOTS}after-reset.png` });
  });

  t.test('nothing went wrong in the page', async (t) => {
    t.same(problems, []);
  });

  t.test('with [gateway] auth_token the page passes on the token it was opened with', async (t) => {
    const secured = await startUiGateway(t, 'auth_token = "s3cret"');
    await sendOtherSpan(secured, { authorization: 'Bearer s3cret' });
    const tokenPage = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    t.teardown(() => tokenPage.close());
    await tokenPage.goto(`${secured.url}/ui?token=s3cret`);
    await tokenPage.locator(`#trace-list tr[data-trace-id="${OTHER_TRACE_ID}"]`).waitFor();
    await tokenPage.locator('#live.on').waitFor();
    await tokenPage.goto(`${secured.url}/ui`);
    await tokenPage.locator('#error:not([hidden])').waitFor();
    t.equal(
      await tokenPage.locator('#error').textContent(),
      'missing token: send "Authorization: Bearer <token>" or ?token=<token> ([gateway] auth_token is set)',
      'without it, the API’s answer is shown',
    );
  });
});
