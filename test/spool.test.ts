/**
 * The on-disk spool (src/sinks/spool.ts) behind a QueuedSink: what was accepted while the backend was down is sent
 * after a restart, in order and exactly once; the size cap evicts the oldest segments (counted, logged); a torn last
 * record (crash mid-write) is cut off, never a crash.
 */
import { appendFile, copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { DeliveryConfig } from '../src/config/types.js';
import { QueuedSink } from '../src/sinks/queue.js';
import { DeliveryError } from '../src/sinks/transport.js';
import { acceptSends, batch, delivery, FakeTime, FakeTransport, LogLines, settle, sinkContext } from './fixtures/sinks/fake-transport.js';

async function spoolDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dk-spool-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A sink on `dir` whose drain deadline passes at once by default (close() leaves everything not yet sent in the
 * spool); sinks that flush() get a deadline (a fake timer, cancelled as soon as the queue is empty).
 */
const DRAINS = { drainTimeoutMs: 5000 };
function spooled(dir: string, over: Partial<DeliveryConfig> = {}, pointsPerEnvelope = Infinity) {
  const transport = new FakeTransport(pointsPerEnvelope);
  const log = new LogLines();
  const time = new FakeTime();
  const sink = new QueuedSink(transport, delivery({ spoolDir: dir, drainTimeoutMs: 0, ...over }), sinkContext(log), time.deps);
  return { transport, log, time, sink };
}

const down = () => new DeliveryError('connect ECONNREFUSED', { retryable: true });

t.test('backend down, restart, backend back: every envelope once, in order; a third start sends nothing', async (t) => {
  const dir = await spoolDir(t);
  const first = spooled(dir);
  await first.sink.ready();
  await first.sink.write(batch('tracing', 't1', 't2'));
  await first.sink.write(batch('metric', 'm1'));
  await first.sink.write(batch('logging', 'l1'));
  t.equal(first.sink.hasRoom(), true, 'a spool always has room (its cap evicts)');
  (await first.transport.sends.take()).fail(down());
  await first.sink.close();
  t.match(first.sink.stats(), { queuedItems: 4, sent: 0, droppedExpired: 0 });
  t.same(first.log.lines, [
    'warn: fake:http://backend: /v1/write/tracing: attempt 1 failed, retrying in 250 ms: connect ECONNREFUSED',
    'info: fake:http://backend: 4 points stay in the spool for the next start',
  ]);

  const second = spooled(dir, DRAINS);
  await second.sink.ready();
  t.same(second.log.lines, [`info: fake:http://backend: 4 undelivered points in the spool ${dir} are sent first`]);
  const replayed = await second.transport.sends.take();
  t.same(
    { route: replayed.envelope.route, category: replayed.envelope.category, items: replayed.envelope.items, headers: replayed.envelope.headers, text: replayed.text },
    { route: '/v1/write/tracing', category: 'tracing', items: 2, headers: { 'x-points': '2' }, text: 't1\nt2' },
    'the envelope comes back exactly as it was queued',
  );
  replayed.accept();
  await second.sink.write(batch('metric', 'm2'));
  t.same(await acceptSends(second.transport, 3), ['m1', 'l1', 'm2'], 'spooled first, then the new one');
  await second.sink.flush();
  t.match(second.sink.stats(), { queuedItems: 0, queuedBytes: 0, sent: 5 });
  await second.sink.close();

  const third = spooled(dir);
  await third.sink.ready();
  await settle();
  t.equal(third.transport.sends.size, 0, 'nothing is sent twice');
  t.match(third.sink.stats(), { queuedItems: 0 });
  await third.sink.close();
});

/** Bytes of one record here: 16 (prefix) + 87 (JSON header) + 8 (body `point-0n`). */
const RECORD = 111;
/** Room for 4 records; segments are ⌈cap / 4⌉ = 112 bytes: one record each. */
const CAP = 4 * RECORD + 3;

t.test('the cap evicts whole oldest segments; the undelivered points in them are counted and logged', async (t) => {
  const dir = await spoolDir(t);
  const { transport, log, time, sink } = spooled(dir, { spoolMaxBytes: CAP });
  await sink.ready();
  for (let i = 1; i <= 6; i++) await sink.write(batch('tracing', `point-0${i}`));
  t.same((await readdir(dir)).sort(), ['3.spool', '4.spool', '5.spool', '6.spool', 'ack.json'], 'segments 1 and 2 evicted');
  t.match(sink.stats(), { droppedSpoolFull: 2, queuedItems: 4, spooledBytes: 4 * RECORD });
  const evicted = `error: fake:http://backend: spool ${dir} reached spool_max_bytes (${CAP}): 1 undelivered points in the 1 oldest segment(s) dropped`;
  t.same(log.lines, [evicted, evicted]);

  const evictedInFlight = await transport.sends.take();
  t.equal(evictedInFlight.text, 'point-01', 'was already in flight when evicted');
  evictedInFlight.fail(down());
  (await time.sleeps.take()).end();
  t.same(await acceptSends(transport, 4), ['point-03', 'point-04', 'point-05', 'point-06'], 'an evicted envelope is not retried');
  await settle();
  t.match(sink.stats(), { droppedSpoolFull: 2, sent: 4, retries: 1 });
  await sink.close();
});

t.test('a torn last record (crash mid-write) is cut off and logged; the records before it are sent, appends go on', async (t) => {
  const dir = await spoolDir(t);
  const first = spooled(dir);
  await first.sink.ready();
  await first.sink.write(batch('logging', 'kept-1'));
  await first.sink.write(batch('logging', 'kept-2'));
  (await first.transport.sends.take()).fail(down());
  await first.sink.close();
  const segment = join(dir, '1.spool');
  const whole = (await readFile(segment)).length;
  await appendFile(segment, Buffer.from([0x44, 0x4b, 0x53, 0x31, 0, 0, 0, 60, 0, 0])); // a record prefix, cut short

  const second = spooled(dir);
  await second.sink.ready();
  t.same(second.log.lines, [
    `warn: fake:http://backend: spool ${segment}: 10 bytes of a torn or corrupt record at offset ${whole} are ignored`,
    `info: fake:http://backend: 2 undelivered points in the spool ${dir} are sent first`,
  ]);
  t.equal((await readFile(segment)).length, whole, 'the torn tail is truncated');
  await second.sink.write(batch('logging', 'after'));
  t.same(await acceptSends(second.transport, 3), ['kept-1', 'kept-2', 'after']);
  await second.sink.close();
});

t.test('the cursor survives restarts: delivered records are not sent again, nor a segment a crash left behind', async (t) => {
  const dir = await spoolDir(t);
  const first = spooled(dir, { spoolMaxBytes: CAP, ...DRAINS });
  await first.sink.ready();
  await first.sink.write(batch('tracing', 'point-01'));
  await first.sink.write(batch('tracing', 'point-02'));
  t.same(await acceptSends(first.transport, 2), ['point-01', 'point-02']);
  await first.sink.flush();
  await first.sink.close();
  t.same(JSON.parse(await readFile(join(dir, 'ack.json'), 'utf8')), { segment: 2, offset: RECORD }, 'the cursor: segment 2, after its record');
  t.same((await readdir(dir)).sort(), ['2.spool', 'ack.json'], 'segment 1, delivered, is deleted');
  // A crash between writing ack.json and deleting a delivered segment leaves it behind.
  await copyFile(join(dir, '2.spool'), join(dir, '1.spool'));

  const second = spooled(dir, { spoolMaxBytes: CAP });
  await second.sink.ready();
  t.same(second.log.lines, [], 'nothing left to send');
  t.same((await readdir(dir)).sort(), ['2.spool', 'ack.json'], 'the leftover segment is deleted at startup');
  await second.sink.write(batch('tracing', 'point-03'));
  t.same(await acceptSends(second.transport, 1), ['point-03'], 'only the new record, from the next segment');
  await second.sink.close();
});

t.test('a batch of several envelopes is spooled whole, and replayed in order after a restart', async (t) => {
  const dir = await spoolDir(t);
  const first = spooled(dir, {}, 2);
  await first.sink.ready();
  await first.sink.write(batch('logging', 'a', 'b', 'c', 'd', 'e'));
  t.match(first.sink.stats(), { queuedItems: 5 }, 'written: all three envelopes are on disk');
  (await first.transport.sends.take()).fail(down());
  await first.sink.close();

  const second = spooled(dir, DRAINS);
  await second.sink.ready();
  t.same(await acceptSends(second.transport, 3), ['a\nb', 'c\nd', 'e']);
  await second.sink.flush();
  await second.sink.close();
});

t.test('a spool_dir that cannot be created fails ready() (createSinks awaits it: startup fails), naming it', async (t) => {
  const dir = await spoolDir(t);
  await writeFile(join(dir, 'a-file'), 'x');
  const { sink, log } = spooled(join(dir, 'a-file', 'spool'));
  await t.rejects(sink.ready(), { message: new RegExp(`^fake:http://backend: spool_dir ${join(dir, 'a-file', 'spool')}: ENOTDIR`) });
  await sink.close();
  t.match(log.lines, [/^error: fake:http:\/\/backend: spool_dir .*: ENOTDIR/]);
});
