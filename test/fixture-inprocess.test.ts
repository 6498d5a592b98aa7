/**
 * The in-process fixture API (issue 5) exactly as a user's test uses it: `startGateway()` from the package entry,
 * an app instrumented with the OpenTelemetry SDK exporting to `gw.otelUrl` with its session header, then
 * points / waitFor / reset / llmCalls / snapshot.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind, context, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import t from 'tap';
import { loadConfig, MemorySink, SnapshotError, startGateway, WaitTimeoutError, type RunningGateway } from '../src/index.js';
import { fixtureToml } from './helpers/gateway.js';

/** A tiny instrumented app: `handle` makes a server span with an LLM client span under it, exported at once. */
function instrumentedApp(gw: RunningGateway, session: string) {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': `app-${session}` }),
    // The session pattern for parallel tests: each test's exporter sends its own session label.
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${gw.otelUrl}/v1/traces`, headers: { 'x-gateway-session': session } }))],
  });
  const tracer = provider.getTracer('app');
  return {
    handle(question: string): void {
      const root = tracer.startSpan('POST /ask', { kind: SpanKind.SERVER });
      const llm = tracer.startSpan(
        'openai.chat',
        {
          kind: SpanKind.CLIENT,
          attributes: { 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.prompt.0.role': 'user', 'gen_ai.prompt.0.content': question, 'gen_ai.usage.prompt_tokens': 7 },
        },
        trace.setSpan(context.active(), root),
      );
      llm.end();
      root.end();
    },
    shutdown: () => provider.shutdown(),
  };
}

t.test('startGateway() with no arguments: the default inputs, only a memory sink, any free local port', async (t) => {
  const gw = await startGateway();
  t.teardown(() => gw.close());
  t.strictSame(
    gw.sinks.map((s) => s.name),
    ['memory'],
    'nothing printed: no stdout sink',
  );
  t.ok(gw.store instanceof MemorySink);
  t.match(gw.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.equal(gw.otelUrl, `${gw.url}/otel`);
  t.strictSame(gw.config.inputs[0].customerTags.slice(0, 2), ['llm.request.type', 'traceloop.entity.path'], 'the embedded config’s input');
});

t.test('waitFor is woken by the export; points, llmCalls and reset see the session’s data only', async (t) => {
  const gw = await startGateway();
  t.teardown(() => gw.close());
  const app = instrumentedApp(gw, 'checkout-test');
  t.teardown(app.shutdown);

  // Started before anything is sent: resolved by the writes, not by polling.
  const waited = gw.waitFor({ session: 'checkout-test', category: 'tracing' }, 2, 10_000);
  t.equal(gw.store.count({ session: 'checkout-test' }), 0);
  app.handle('What is OpenTelemetry?');
  // Each span is its own export (SimpleSpanProcessor): they may arrive in either order.
  const spans = await waited;
  const byName = (name: string) => spans.find((p) => p.fields.resource === name)!;
  const [llm, server] = [byName('openai.chat'), byName('POST /ask')];
  t.strictSame(
    [llm, server].map((p) => [p.tags.service, p.tags.span_kind]),
    [
      ['app-checkout-test', 'client'],
      ['app-checkout-test', 'server'],
    ],
  );
  t.equal(llm.fields.parent_id, server.fields.span_id, 'the LLM span is the server span’s child');
  // The embedded config lifts OpenLLMetry's keys (customer_tags), the others stay in `message`.
  t.equal(llm.fields.gen_ai_request_model, 'gpt-4o');
  t.equal(llm.fields.gen_ai_system, 'openai');
  t.equal(llm.llm?.model, 'gpt-4o');

  t.strictSame(
    gw.points({ session: 'checkout-test', tags: { span_kind: 'client' }, origin: true }).map((p) => p.origin?.signal),
    ['traces'],
  );
  t.strictSame(gw.points({ session: 'checkout-test', limit: 1, order: 'desc' }), [spans[1]], 'the newest');
  const calls = gw.llmCalls({ session: 'checkout-test' });
  t.strictSame(
    calls.map((c) => [c.name, c.model, c.inputTokens, c.input]),
    [['openai.chat', 'gpt-4o', 7, [{ role: 'user', content: 'What is OpenTelemetry?' }]]],
  );

  t.equal(gw.reset('other-test'), 0);
  t.equal(gw.reset('checkout-test'), 2);
  t.strictSame(gw.points(), []);
});

t.test('parallel tests with their own sessions do not see each other', async (t) => {
  const gw = await startGateway();
  t.teardown(() => gw.close());
  const oneTest = async (session: string, questions: number) => {
    const app = instrumentedApp(gw, session);
    const done = gw.waitFor({ session }, questions * 2);
    for (let i = 0; i < questions; i++) app.handle(`question ${i}`);
    const points = await done;
    await app.shutdown();
    return points;
  };
  const [a, b] = await Promise.all([oneTest('test-a', 2), oneTest('test-b', 3)]);
  t.strictSame(new Set(a.map((p) => p.tags.service)), new Set(['app-test-a']));
  t.strictSame(new Set(b.map((p) => p.tags.service)), new Set(['app-test-b']));
  t.equal(a.length, 4);
  t.equal(b.length, 6);
});

t.test('waitFor rejects with what it saw when the points do not come', async (t) => {
  const gw = await startGateway();
  t.teardown(() => gw.close());
  const app = instrumentedApp(gw, 'slow-test');
  t.teardown(app.shutdown);
  app.handle('hi');
  await gw.waitFor({ session: 'slow-test' }, 2);
  const err = await gw.waitFor({ session: 'slow-test', tags: { span_kind: 'client' } }, 3, 20).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof WaitTimeoutError);
  const timeout = err as WaitTimeoutError;
  t.equal(timeout.message, 'timed out after 20 ms waiting for 3 point(s) matching session=slow-test tag.span_kind=client; saw 1');
  t.equal(timeout.seen, 1);
  t.strictSame(
    timeout.points.map((p) => p.fields.resource),
    ['openai.chat'],
  );
  t.strictSame(timeout.points, gw.points({ session: 'slow-test', tags: { span_kind: 'client' } }));
  await t.rejects(gw.waitFor({ since: 'soon' }, 1), { message: 'since: expected nanoseconds since the epoch or an ISO-8601 time, got "soon"' });
});

t.test('snapshot: written, matched, and a mismatch or (CI) a missing file rejects with the diff', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'otelgw-inproc-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const gatewayWith = async (ci: boolean) => {
    const toml = `${fixtureToml('customer_tags = ["gen_ai.request.model"]')}\n[[sinks.sink]]\ntarget = "memory"\nsnapshot_dir = ${JSON.stringify(dir)}\nsnapshot_ci = ${ci}\n`;
    const gw = await startGateway({ config: loadConfig({ text: toml, env: {} }), listen: { host: '127.0.0.1', port: 0 } });
    t.teardown(() => gw.close());
    return gw;
  };
  const gw = await gatewayWith(false);
  const app = instrumentedApp(gw, 'snap');
  t.teardown(app.shutdown);
  app.handle('Tell me a joke');
  await gw.waitFor({ session: 'snap' }, 2);
  t.strictSame(await gw.snapshot('joke', { session: 'snap' }), { status: 'written', file: join(dir, 'joke.snap') });
  t.strictSame(await gw.snapshot('joke', { session: 'snap' }), { status: 'match', file: join(dir, 'joke.snap') });

  // The same request again: ids and times differ, but the snapshot only changes by the two new spans.
  gw.reset('snap');
  app.handle('Tell me a joke');
  await gw.waitFor({ session: 'snap' }, 2);
  t.strictSame(await gw.snapshot('joke', { session: 'snap' }), { status: 'match', file: join(dir, 'joke.snap') }, 'other ids and times, same snapshot');
  app.handle('Tell me another one');
  await gw.waitFor({ session: 'snap' }, 4);
  const mismatch = await gw.snapshot('joke', { session: 'snap' }).catch((e: unknown) => e);
  t.ok(mismatch instanceof SnapshotError);
  const { result, message } = mismatch as SnapshotError;
  t.equal(result.status, 'mismatch');
  t.match(result.diff, /^--- .*joke\.snap\n\+\+\+ current points\n@@ /);
  t.equal(message, `snapshot ${join(dir, 'joke.snap')} does not match the current points (pass { update: true } to accept them):\n${result.diff}`);
  t.ok(result.diff!.includes('Tell me another one'), 'the diff shows the new request');

  const ci = await gatewayWith(true);
  await t.rejects(ci.snapshot('never-written'), {
    name: 'SnapshotError',
    message: `snapshot ${join(dir, 'never-written.snap')} is missing, and CI mode does not write it (snapshot_ci, or env CI): run once without CI to write it`,
  });
});

t.test('a gateway without a memory sink says how to get one', async (t) => {
  const toml = `${fixtureToml()}\n[[sinks.sink]]\ntarget = "file"\npath = "/dev/null"\n`;
  const gw = await startGateway({ config: loadConfig({ text: toml, env: {} }), listen: { host: '127.0.0.1', port: 0 } });
  t.teardown(() => gw.close());
  const message = 'this gateway has no memory sink: add [[sinks.sink]] with target = "memory", or call startGateway() without a config';
  t.throws(() => gw.points(), { message });
  t.throws(() => gw.reset(), { message });
  t.throws(() => gw.store, { message });
  await t.rejects(gw.waitFor({}, 1), { message });
});
