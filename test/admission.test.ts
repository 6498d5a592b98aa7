/**
 * Admission control under concurrency (issue 8, src/otlp/admission.ts): the queue on an injected clock, then the
 * receiver over real HTTP: held requests occupy every slot, the next one waits and is served when one finishes, the
 * one after a full queue gets 503 + Retry-After + Status before its body is read. No sleeps: every step waits for
 * the event that makes it true (the admission queue is watched through the receiver's observer hook).
 */
import http from 'node:http';
import Fastify from 'fastify';
import t, { type Test } from 'tap';
import { loadConfig } from '../src/config/index.js';
import { GatewayMetrics } from '../src/metrics.js';
import { AdmissionControl, type AdmissionClock, type AdmissionStats, type Ticket } from '../src/otlp/admission.js';
import { otlpReceiver, type ReceivedRequest } from '../src/otlp/receiver.js';
import { statusBody } from '../src/otlp/responses.js';
import { input } from './helpers/config-build.js';
import { fixtureToml } from './helpers/gateway.js';
import { tracesRequest } from './helpers/otlp-build.js';

/** A clock whose time moves only when the test says, and whose one timer the test fires. */
class ManualClock implements AdmissionClock {
  time = 0;
  timer: { fn: () => void; at: number } | null = null;
  now = () => this.time;
  setTimeout = (fn: () => void, ms: number) => (this.timer = { fn, at: this.time + ms });
  clearTimeout = (handle: unknown) => {
    if (handle === this.timer) this.timer = null;
  };
  /** Moves to `time` and fires the timer if it is due by then. */
  advance(time: number): void {
    this.time = time;
    const due = this.timer;
    if (due && due.at <= time) {
      this.timer = null;
      due.fn();
    }
  }
}

const stats = (active: number, waiting: number, refusedQueueFull = 0, refusedWaitExpired = 0): AdmissionStats => ({ active, waiting, refusedQueueFull, refusedWaitExpired });

t.test('slots, then a FIFO queue, then refusal; a slot that frees goes to the oldest waiting request', async (t) => {
  const clock = new ManualClock();
  const q = new AdmissionControl({ maxConcurrent: 2, maxQueued: 2, queueWaitMs: 100 }, clock);
  const turns: string[] = [];
  const enter = (name: string) => q.enter((admitted) => turns.push(`${name}:${admitted}`));
  const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map(enter) as [Ticket, Ticket, Ticket, Ticket, Ticket];
  t.same([a, b, c, d, e].map((x) => x.state), ['active', 'active', 'waiting', 'waiting', 'refused']);
  t.same(q.stats(), stats(2, 2, 1));
  t.same(turns, [], 'nobody is told anything before a slot frees');

  q.leave(a);
  t.same(turns, ['c:true']);
  t.equal(c.state, 'active');
  t.same(q.stats(), stats(2, 1, 1));
  q.leave(a); // again: nothing more is freed
  q.leave(e); // a refused ticket holds nothing
  t.same(q.stats(), stats(2, 1, 1));

  q.leave(d); // its client hung up while it waited
  t.equal(d.state, 'left');
  t.same(q.stats(), stats(2, 0, 1));
  t.equal(clock.timer, null, 'nothing waits: no timer');
  q.leave(b);
  q.leave(c);
  t.same(turns, ['c:true'], 'the request that left the queue is never admitted');
  t.same(q.stats(), stats(0, 0, 1));
  t.equal(enter('f').state, 'active', 'an empty queue admits at once again');
});

t.test('a request that waits queueWaitMs without a slot is refused; the timer follows the next deadline', async (t) => {
  const clock = new ManualClock();
  const q = new AdmissionControl({ maxConcurrent: 1, maxQueued: 5, queueWaitMs: 100 }, clock);
  const turns: string[] = [];
  const enter = (name: string) => q.enter((admitted) => turns.push(`${name}:${admitted}@${clock.time}`));
  const holder = enter('holder');
  const first = enter('first');
  clock.advance(30);
  const second = enter('second');
  t.same(clock.timer?.at, 100, 'one timer, for the oldest deadline');
  clock.advance(99);
  t.same(turns, []);
  clock.advance(100);
  t.same(turns, ['first:false@100']);
  t.equal(first.state, 'expired');
  t.same(clock.timer?.at, 130, 'then for the next one');
  q.leave(first); // its 503 was answered: nothing to free
  t.same(q.stats(), stats(1, 1, 0, 1));
  q.leave(holder);
  t.same(turns, ['first:false@100', 'second:true@100']);
  t.equal(second.state, 'active');
  t.equal(clock.timer, null);
  t.same(q.stats(), stats(1, 0, 0, 1));
});

t.test('setLimits: more slots go to the waiting requests at once, in order', async (t) => {
  const clock = new ManualClock();
  const q = new AdmissionControl({ maxConcurrent: 1, maxQueued: 10, queueWaitMs: 100 }, clock);
  const turns: string[] = [];
  for (const name of ['a', 'b', 'c', 'd']) q.enter((admitted) => turns.push(`${name}:${admitted}`));
  q.setLimits({ maxConcurrent: 3, maxQueued: 10, queueWaitMs: 100 });
  t.same(turns, ['b:true', 'c:true']);
  t.same(q.stats(), stats(3, 1));
});

t.test('many requests through a small queue keep their order and every count balances', async (t) => {
  const clock = new ManualClock();
  const q = new AdmissionControl({ maxConcurrent: 3, maxQueued: 5000, queueWaitMs: 1000 }, clock);
  const order: number[] = [];
  const tickets = Array.from({ length: 3000 }, (_, i) => q.enter((admitted) => admitted && order.push(i)));
  // Every third waiting request's client hangs up.
  tickets.forEach((x, i) => i >= 3 && i % 3 === 0 && q.leave(x));
  for (let i = 0; i < tickets.length; i++) q.leave(tickets[i]!);
  const expected = Array.from({ length: 3000 }, (_, i) => i).filter((i) => i >= 3 && i % 3 !== 0);
  t.same(order, expected);
  t.same(q.stats(), stats(0, 0));
  t.equal(clock.timer, null);
});

// ---------------------------------------------------------------------------------------------------------------
// Over HTTP

const PB = 'application/x-protobuf';
const PATH = '/otel/v1/traces';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A request whose headers go out now and whose body goes out when `finish()` is called (or never: `abort()`). */
function heldRequest(url: string, body: Uint8Array) {
  const req = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': PB, 'content-length': body.length } });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
  });
  req.flushHeaders();
  return { answer, finish: () => req.end(body), abort: () => req.destroy() };
}

/** The receiver with a recording handler and the admission queue watched: `entered()` resolves with each ticket. */
async function startReceiver(t: Test, limits: { maxConcurrentRequests: number; maxQueuedRequests: number; queueWaitMs: number }) {
  const app = Fastify();
  const handled: ReceivedRequest[] = [];
  const entries: Array<(x: Ticket) => void> = [];
  const left: Array<(after: AdmissionStats) => void> = [];
  let admission!: AdmissionControl;
  await otlpReceiver(app, {
    inputs: [input()],
    limits: { maxRequestBytes: 1 << 20, maxDecompressedBytes: 1 << 20, maxJsonDepth: 100, ...limits },
    datakitVersion: '1.84.1',
    hostname: 'h',
    handle: async (req) => {
      handled.push(req);
      return {};
    },
    observer: {
      answered() {},
      watchAdmission(a) {
        admission = a as AdmissionControl;
        // Spies: the test waits for the receiver to have decided, instead of sleeping.
        const { enter, leave } = admission;
        admission.enter = (onTurn) => {
          const ticket = enter.call(admission, onTurn);
          entries.shift()?.(ticket);
          return ticket;
        };
        admission.leave = (ticket) => {
          leave.call(admission, ticket);
          left.shift()?.(admission.stats());
        };
      },
    },
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  return {
    url: url + PATH,
    handled,
    stats: () => admission.stats(),
    /** Resolves with the ticket of the next request to reach admission (call before sending it). */
    entered: () => new Promise<Ticket>((resolve) => entries.push(resolve)),
    /** Resolves once the next request leaves admission (its response closed), with the stats right after. */
    left: () => new Promise<AdmissionStats>((resolve) => left.push(resolve)),
  };
}

const BUSY_FULL = 'the gateway is busy: too many traces requests waiting; retry the export later';
const BUSY_EXPIRED = 'the gateway is busy: no traces request slot freed up in time; retry the export later';

t.test('HTTP: full slots → the next request waits and is served when one finishes; a full queue → 503 before the body', async (t) => {
  const { protobuf } = await tracesRequest();
  const h = await startReceiver(t, { maxConcurrentRequests: 2, maxQueuedRequests: 1, queueWaitMs: 60_000 });
  const send = async (body: Uint8Array) => {
    const entered = h.entered();
    const r = heldRequest(h.url, body);
    return { ...r, ticket: await entered };
  };
  const held1 = await send(protobuf);
  const held2 = await send(protobuf);
  t.same([held1.ticket.state, held2.ticket.state], ['active', 'active'], 'the held requests occupy both slots');
  const waiting = await send(protobuf);
  waiting.finish(); // its body is sent, but not read until it has a slot
  t.equal(waiting.ticket.state, 'waiting');

  const refused = await send(protobuf); // body never sent: the answer must not need it
  t.equal(refused.ticket.state, 'refused');
  const answer = await refused.answer;
  t.equal(answer.status, 503);
  t.equal(answer.headers['retry-after'], '1');
  t.equal(answer.headers['content-type'], PB);
  t.same(answer.body, statusBody('protobuf', 503, BUSY_FULL));
  refused.abort();
  t.equal(h.handled.length, 0);

  const slotFreed = h.left();
  held1.finish();
  t.equal((await held1.answer).status, 200);
  t.same(await slotFreed, stats(2, 0, 1, 0), 'the freed slot went to the waiting request');
  t.equal((await waiting.answer).status, 200);
  held2.finish();
  t.equal((await held2.answer).status, 200);
  t.equal(h.handled.length, 3);
  t.same(h.stats(), stats(0, 0, 1, 0));
});

t.test('HTTP: a request whose wait expires gets 503 + Retry-After; an aborted request gives its slot back', async (t) => {
  const { protobuf } = await tracesRequest();
  const h = await startReceiver(t, { maxConcurrentRequests: 1, maxQueuedRequests: 1, queueWaitMs: 0 });
  const holderEntered = h.entered();
  const holder = heldRequest(h.url, protobuf);
  holder.answer.catch(() => {}); // aborted below: no answer
  t.equal((await holderEntered).state, 'active');
  const expiredEntered = h.entered();
  const expired = heldRequest(h.url, protobuf);
  t.equal((await expiredEntered).state, 'waiting');
  const answer = await expired.answer;
  t.equal(answer.status, 503);
  t.equal(answer.headers['retry-after'], '1');
  t.same(answer.body, statusBody('protobuf', 503, BUSY_EXPIRED));
  expired.abort();
  t.same(h.stats(), stats(1, 0, 0, 1));
  const gone = h.left();
  holder.abort();
  t.same(await gone, stats(0, 0, 0, 1), 'the aborted request gave its slot back');
});

t.test('HTTP: a waiting request whose client hangs up leaves the queue', async (t) => {
  const { protobuf } = await tracesRequest();
  const h = await startReceiver(t, { maxConcurrentRequests: 1, maxQueuedRequests: 1, queueWaitMs: 60_000 });
  const holderEntered = h.entered();
  const holder = heldRequest(h.url, protobuf);
  await holderEntered;
  const waiterEntered = h.entered();
  const waiter = heldRequest(h.url, protobuf);
  t.equal((await waiterEntered).state, 'waiting');
  waiter.answer.catch(() => {}); // the request is destroyed: its promise rejects
  const gone = h.left();
  waiter.abort();
  t.same(await gone, stats(1, 0));
  const done = h.left();
  holder.finish();
  t.equal((await holder.answer).status, 200);
  t.same(await done, stats(0, 0));
  t.equal(h.handled.length, 1);
});

// ---------------------------------------------------------------------------------------------------------------
// Configuration and self-metrics

t.test('[gateway] admission keys: defaults, values, and what is refused', async (t) => {
  const defaults = loadConfig({ text: fixtureToml(), env: {} });
  t.same(
    [defaults.limits.maxConcurrentRequests, defaults.limits.maxQueuedRequests, defaults.limits.queueWaitMs, defaults.workers],
    [4, 256, 200, 1],
  );
  const set = loadConfig({ text: fixtureToml('', 'max_concurrent_requests = 8\nmax_queued_requests = 0\nqueue_wait_ms = 50\nworkers = 0'), env: {} });
  t.same([set.limits.maxConcurrentRequests, set.limits.maxQueuedRequests, set.limits.queueWaitMs, set.workers], [8, 0, 50, 0]);
  t.throws(() => loadConfig({ text: fixtureToml('', 'max_concurrent_requests = 0\nqueue_wait_ms = -1\nworkers = 1.5'), env: {} }), {
    message: [
      'config text: gateway.max_concurrent_requests: expected an integer > 0, got 0',
      'config text: gateway.queue_wait_ms: expected a number >= 0, got -1',
      'config text: gateway.workers: expected an integer, got 1.5',
    ].join('\n'),
  });
});

t.test('/metrics: waiting and active requests, and the refusals by reason', async (t) => {
  const metrics = new GatewayMetrics([]);
  metrics.watchAdmission({ stats: () => stats(3, 7, 2, 5) });
  const { text } = await metrics.scrape();
  const lines = text.split('\n').filter((l) => /^otelgw_receiver_(queued|active|admission)/.test(l));
  t.same(lines, [
    'otelgw_receiver_queued_requests 7',
    'otelgw_receiver_active_requests 3',
    'otelgw_receiver_admission_refused_total{reason="queue_full"} 2',
    'otelgw_receiver_admission_refused_total{reason="wait_expired"} 5',
  ]);
});
