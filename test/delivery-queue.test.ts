/**
 * QueuedSink (src/sinks/queue.ts) with an in-process Transport whose sends the test answers: order, one send in
 * flight, backoff exactly as the injected random and sleep dictate, Retry-After, permanent failures, expiry, queue
 * limits, flush and close with their deadline; and through the running gateway, admission: 503 + Retry-After before
 * the body is read.
 */
import t from 'tap';
import { loadConfig } from '../src/config/index.js';
import { startGateway } from '../src/gateway.js';
import { QueuedSink, QueueFullError } from '../src/sinks/queue.js';
import { DeliveryError } from '../src/sinks/transport.js';
import { acceptSends, batch, delivery, FakeTime, FakeTransport, LogLines, settle, sinkContext } from './fixtures/sinks/fake-transport.js';
import { fixtureToml } from './helpers/gateway.js';
import { request } from './helpers/http.js';

function setup(over: Parameters<typeof delivery>[0] = {}, pointsPerEnvelope = Infinity) {
  const transport = new FakeTransport(pointsPerEnvelope);
  const time = new FakeTime();
  const log = new LogLines();
  const sink = new QueuedSink(transport, delivery(over), sinkContext(log), time.deps);
  return { transport, time, log, sink };
}

const unavailable = (retryAfterMs?: number) => new DeliveryError('HTTP 503', { retryable: true, status: 503, retryAfterMs });

t.test('write resolves on enqueue; envelopes go out in order, one in flight', async (t) => {
  const { transport, sink } = setup();
  await sink.write(batch('tracing', 'a1', 'a2'));
  await sink.write(batch('metric', 'b'));
  await sink.write(batch('logging', 'c'));
  t.same(sink.stats(), { queuedItems: 4, queuedBytes: 7, sent: 0, retries: 0, droppedPermanent: 0, droppedExpired: 0, droppedSpoolFull: 0, spooledBytes: 0 });

  const first = await transport.sends.take();
  t.same([first.envelope.route, first.text, first.envelope.items], ['/v1/write/tracing', 'a1\na2', 2]);
  await settle();
  t.equal(transport.sends.size, 0, 'nothing else is sent while the first is in flight');
  first.accept();
  const second = await transport.sends.take();
  t.same([second.envelope.route, second.text], ['/v1/write/metric', 'b']);
  second.accept();
  const third = await transport.sends.take();
  t.same([third.envelope.route, third.text], ['/v1/write/logging', 'c']);
  third.accept();
  await sink.flush();
  t.same(sink.stats(), { queuedItems: 0, queuedBytes: 0, sent: 4, retries: 0, droppedPermanent: 0, droppedExpired: 0, droppedSpoolFull: 0, spooledBytes: 0 });
  await sink.close();
});

t.test('retryable failures: full-jitter backoff from the injected random, capped at retry_max_ms; Retry-After wins', async (t) => {
  const { transport, time, log, sink } = setup({ retryInitialMs: 500, retryMaxMs: 1500 });
  time.randomValue = 0.5;
  await sink.write(batch('tracing', 'x'));
  const waits: number[] = [];
  for (let attempt = 0; attempt < 4; attempt++) {
    (await transport.sends.take()).fail(unavailable());
    const sleep = await time.sleeps.take();
    waits.push(sleep.ms);
    sleep.end();
  }
  t.same(waits, [250, 500, 750, 750], '0.5 × min(1500, 500 × 2^n)');
  (await transport.sends.take()).fail(new Error('socket hang up')); // not a DeliveryError: retryable
  const afterPlainError = await time.sleeps.take();
  t.equal(afterPlainError.ms, 750);
  afterPlainError.end();
  (await transport.sends.take()).fail(unavailable(7000));
  const retryAfter = await time.sleeps.take();
  t.equal(retryAfter.ms, 7000, "the backend's Retry-After, in full (beyond retry_max_ms)");
  time.nowMs = 1000;
  t.equal(sink.retryAfterSeconds(), 6, 'a 503 meanwhile tells clients when the next attempt is');
  retryAfter.end();
  const last = await transport.sends.take();
  t.equal(last.text, 'x', 'the same envelope');
  last.accept();
  await sink.flush();
  t.match(sink.stats(), { sent: 1, retries: 6, droppedPermanent: 0, droppedExpired: 0 });
  t.same(log.lines.slice(0, 2), [
    'warn: fake:http://backend: /v1/write/tracing: attempt 1 failed, retrying in 250 ms: HTTP 503',
    'warn: fake:http://backend: /v1/write/tracing: attempt 2 failed, retrying in 500 ms: HTTP 503',
  ]);
  await sink.close();
});

t.test('a permanent failure is logged with status and body, counted, and delivery moves on', async (t) => {
  const { transport, log, sink } = setup();
  await sink.write(batch('metric', 'bad1', 'bad2'));
  await sink.write(batch('metric', 'good'));
  (await transport.sends.take()).fail(new DeliveryError('HTTP 400', { retryable: false, status: 400, responseBody: '{"error_code":"datakit.invalidLine"}' }));
  const next = await transport.sends.take();
  t.equal(next.text, 'good');
  next.accept();
  await sink.flush();
  t.match(sink.stats(), { sent: 1, retries: 0, droppedPermanent: 2 });
  t.same(log.lines, [
    'error: fake:http://backend: /v1/write/metric: 2 points refused (HTTP 400), dropped: HTTP 400; response: {"error_code":"datakit.invalidLine"}',
  ]);
  await sink.close();
});

t.test('without a spool, an envelope is given up after retry_max_elapsed_ms (dropped, counted, logged)', async (t) => {
  const { transport, time, log, sink } = setup({ retryMaxElapsedMs: 1000, retryInitialMs: 800 });
  time.randomValue = 1;
  await sink.write(batch('logging', 'old'));
  await sink.write(batch('logging', 'new'));
  (await transport.sends.take()).fail(unavailable());
  const first = await time.sleeps.take();
  t.equal(first.ms, 800);
  time.nowMs = 800;
  first.end();
  (await transport.sends.take()).fail(unavailable());
  const second = await time.sleeps.take();
  t.equal(second.ms, 200, 'the wait is cut to the time left, so a last attempt happens at the deadline');
  time.nowMs = 1000;
  second.end();
  (await transport.sends.take()).fail(unavailable());
  const next = await transport.sends.take();
  t.equal(next.text, 'new', 'the next envelope starts with a fresh budget');
  next.accept();
  await sink.flush();
  t.match(sink.stats(), { sent: 1, retries: 2, droppedExpired: 1 });
  t.equal(log.lines.at(-1), 'error: fake:http://backend: /v1/write/logging: 1 points dropped after 3 attempts in 1000 ms: HTTP 503');
  await sink.close();
});

t.test('queue limits: points and bytes; full → write throws QueueFullError and hasRoom() is false', async (t) => {
  const byPoints = setup({ queueMaxPoints: 3 });
  await byPoints.sink.write(batch('tracing', 'a', 'b'));
  t.equal(byPoints.sink.hasRoom(), true);
  await byPoints.sink.write(batch('tracing', 'c'));
  t.equal(byPoints.sink.hasRoom(), false, '3 of 3 points queued (one batch in flight counts)');
  await t.rejects(byPoints.sink.write(batch('tracing', 'd')), new QueueFullError('fake:http://backend: queue full (3 points, 4 bytes waiting)', 1));
  (await byPoints.transport.sends.take()).accept();
  await settle();
  t.equal(byPoints.sink.hasRoom(), true, 'room again once delivered');
  await byPoints.sink.write(batch('tracing', 'd'));
  (await byPoints.transport.sends.take()).accept();
  (await byPoints.transport.sends.take()).accept();
  await byPoints.sink.close();

  const byBytes = setup({ queueMaxBytes: 10 });
  await byBytes.sink.write(batch('tracing', 'aaaaaaaaaaaaaaaaaaaa'));
  t.equal(byBytes.sink.hasRoom(), false, 'an empty queue takes one envelope even past the limit');
  await t.rejects(byBytes.sink.write(batch('tracing', 'b')), { name: 'QueueFullError', message: 'fake:http://backend: queue full (1 points, 20 bytes waiting)' });
  (await byBytes.transport.sends.take()).accept();
  await byBytes.sink.close();
});

t.test('a batch that encodes to several envelopes is queued whole or not at all', async (t) => {
  const { transport, sink } = setup({ queueMaxPoints: 4 }, 2);
  await sink.write(batch('tracing', 'a', 'b', 'c', 'd', 'e'));
  t.same(sink.stats().queuedItems, 5, 'an empty queue takes a whole batch, past the limit');
  t.same(await acceptSends(transport, 3), ['a\nb', 'c\nd', 'e']);
  await sink.flush();

  await sink.write(batch('metric', 'f'));
  // 1 + 2 + 2 points: the first envelope would fit, the whole batch does not.
  await t.rejects(sink.write(batch('metric', 'g', 'h', 'i', 'j')), { name: 'QueueFullError' });
  t.same([sink.stats().queuedItems, sink.stats().queuedBytes], [1, 1], 'no part of the refused batch is queued');
  await sink.write(batch('metric', 'g', 'h', 'i'));
  t.same(await acceptSends(transport, 3), ['f', 'g\nh', 'i']);
  await sink.close();
});

t.test('an envelope of 0 points is still pending: flush() waits for it', async (t) => {
  const { transport, time, sink } = setup();
  // An OTLP request whose points were all filtered out is still forwarded.
  const encode = transport.encode.bind(transport);
  transport.encode = (b) => encode(b).map((e) => ({ ...e, items: 0 }));
  await sink.write(batch('logging', 'filtered-out'));
  const send = await transport.sends.take();
  let flushed = false;
  const flushing = sink.flush().then(() => (flushed = true));
  const deadline = await time.deadlines.take();
  await settle();
  t.equal(flushed, false, 'not idle while the envelope is in flight');
  send.accept();
  await flushing;
  t.equal(deadline.signal.aborted, true);
  t.match(sink.stats(), { queuedItems: 0, sent: 0 });
  await sink.close();
});

t.test('backoff and the drain deadline are separate timers: instant backoff, and flush() still waits', async (t) => {
  const transport = new FakeTransport();
  const time = new FakeTime();
  const sink = new QueuedSink(transport, delivery(), sinkContext(new LogLines()), { ...time.deps, sleep: async () => {} });
  await sink.write(batch('tracing', 'x'));
  const flushing = sink.flush();
  (await transport.sends.take()).fail(unavailable());
  (await transport.sends.take()).accept();
  await flushing;
  t.equal(time.sleeps.size, 0, 'the backoff did not use the fake sleep');
  t.same([(await time.deadlines.take()).ms], [5000]);
  t.match(sink.stats(), { sent: 1, retries: 1 });
  await sink.close();
});

t.test('flush rejects after drain_timeout_ms; close() then does not wait again, aborts the send, drops and logs the rest', async (t) => {
  const { transport, time, log, sink } = setup({ drainTimeoutMs: 2000 });
  await sink.write(batch('tracing', 'a'));
  await sink.write(batch('tracing', 'b', 'c'));
  const inFlight = await transport.sends.take();
  const flushing = sink.flush();
  const deadline = await time.deadlines.take();
  t.equal(deadline.ms, 2000);
  deadline.end();
  await t.rejects(flushing, { message: 'fake:http://backend: 3 points still queued after 2000 ms' });

  await sink.close();
  t.equal(inFlight.signal.aborted, true, 'the send in flight is cancelled');
  t.equal(transport.closed, true);
  t.equal(time.deadlines.size, 0, 'no second drain wait');
  t.match(sink.stats(), { queuedItems: 3, sent: 0, droppedExpired: 3 });
  t.same(log.lines, ['error: fake:http://backend: 3 points not delivered by shutdown are dropped (no spool_dir)']);
  await t.rejects(sink.write(batch('tracing', 'late')), { message: 'fake:http://backend: the sink is closed' });
});

t.test('close() keeps delivering until the queue is empty, within the deadline', async (t) => {
  const { transport, time, log, sink } = setup();
  await sink.write(batch('metric', 'a'));
  await sink.write(batch('metric', 'b'));
  const closing = sink.close();
  (await transport.sends.take()).accept();
  (await transport.sends.take()).accept();
  await closing;
  t.equal((await time.deadlines.take()).signal.aborted, true, 'the deadline wait was cancelled once drained');
  t.match(sink.stats(), { queuedItems: 0, sent: 2, droppedExpired: 0 });
  t.same(log.lines, []);
  t.equal(transport.closed, true);
});

t.test('gateway admission: a full queue → 503 + Retry-After before the body is read; other signals still pass', async (t) => {
  const transport = new FakeTransport();
  const tracingOnly = Object.assign(transport, { categories: new Set(['tracing'] as const) });
  const sink = new QueuedSink(tracingOnly, delivery({ queueMaxPoints: 1 }), sinkContext(new LogLines()), new FakeTime().deps);
  const config = loadConfig({ text: fixtureToml(), env: {} });
  const gw = await startGateway({ config, sinks: [sink], listen: { host: '127.0.0.1', port: 0 } });
  t.teardown(async () => {
    (await transport.sends.take()).accept();
    await gw.close();
  });
  await sink.write(batch('tracing', 'fills-the-queue'));
  t.equal(sink.hasRoom(), false);

  const refused = await request(`${gw.url}/otel/v1/traces`, { headers: { 'content-type': 'application/x-protobuf', 'content-length': '100000' }, holdBody: true });
  t.equal(refused.status, 503);
  t.equal(refused.headers['retry-after'], '1');
  const metrics = await request(`${gw.url}/otel/v1/metrics`, { headers: { 'content-type': 'application/x-protobuf' }, body: Buffer.alloc(0) });
  t.equal(metrics.status, 200, 'metrics do not go to this sink: admitted');
});
