/**
 * Sinks write a batch as UTF-8 buffers of whole lines, at most 64 KiB each (issue 8), never as one text or buffer of
 * the whole batch: the chunk edges (multi-byte characters right at 64 KiB, a line longer than 64 KiB), and that the
 * file, stdout and dataway sinks still put exactly the same bytes on disk and on the wire, size rotation and
 * DataKit's 1 MiB request split included.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import t, { type Test } from 'tap';
import type { DatawaySinkConfig } from '../src/config/types.js';
import { LineBuffers, MAX_CHUNK_BYTES } from '../src/datakit/line-buffers.js';
import { strField, tag, type Category, type Point, type PointBatch } from '../src/datakit/point.js';
import { DatawayTransport, MAX_RAW_BODY_BYTES } from '../src/sinks/dataway-sink.js';
import { FileSink, unwritten } from '../src/sinks/file-sink.js';
import { BatchEncoder, formatBatch, formatBatchBuffers, WRITE_PART_BYTES } from '../src/sinks/json-lines.js';
import { StdoutSink } from '../src/sinks/stdout-sink.js';
import { DEFAULT_DELIVERY } from './helpers/config-build.js';
import { CapturedStream } from './helpers/captured-stream.js';

const ALL = new Set<Category>(['tracing', 'metric', 'logging']);

/** `m s="<text>" <time>`: 9 bytes around the text, newline included, for a one-digit time. */
const LINE_OVERHEAD = 9;
const pt = (text: string, time = 1n): Point => ({ measurement: 'm', kvs: [strField('s', text)], time });

/** A point whose line protocol line, newline included, is exactly `bytes` bytes: `unit` repeated, then ASCII. */
function pointOfBytes(bytes: number, unit: string, time = 1n): Point {
  const textBytes = bytes - LINE_OVERHEAD;
  const units = Math.floor(textBytes / Buffer.byteLength(unit));
  const point = pt(unit.repeat(units) + 'a'.repeat(textBytes - units * Buffer.byteLength(unit)), time);
  if (Buffer.byteLength(formatBatch('line-protocol', { category: 'metric', points: [point] })) !== bytes) throw new Error('bad test point');
  return point;
}

const batchOf = (points: Point[], category: Category = 'metric'): PointBatch => ({ category, points });

/** Every chunk must hold whole lines: end in a newline and decode back to exactly its bytes (no character split). */
function checkChunks(t: Test, chunks: Buffer[]): void {
  for (const [i, chunk] of chunks.entries()) {
    t.equal(chunk[chunk.length - 1], 0x0a, `chunk ${i} ends at a line`);
    t.equal(Buffer.byteLength(chunk.toString('utf8')), chunk.length, `chunk ${i} ends between characters`);
  }
}

t.test('a multi-byte line that exactly fills 64 KiB stays in the chunk; one byte more starts the next', async (t) => {
  t.equal(MAX_CHUNK_BYTES, 65536);
  const first = pointOfBytes(MAX_CHUNK_BYTES - 22, 'é'); // 2-byte characters up to the edge
  for (const [lastBytes, sizes] of [
    [22, [65536]],
    [23, [65514, 23]],
  ] as const) {
    // Its UTF-16 length × 3 is over the room left: the line is measured, not guessed.
    const last = pointOfBytes(lastBytes, '😀', 2n);
    const batch = batchOf([first, last]);
    const chunks = formatBatchBuffers('line-protocol', batch);
    t.same(chunks.map((c) => c.length), sizes);
    checkChunks(t, chunks);
    t.ok(Buffer.concat(chunks).equals(Buffer.from(formatBatch('line-protocol', batch))));
  }
});

t.test('a line longer than 64 KiB gets a buffer of its own, between the lines before and after it', async (t) => {
  const small = pointOfBytes(20, 'x');
  const huge = pointOfBytes(70_000 + 1, '中'); // 3-byte characters
  const batch = batchOf([small, huge, small, small]);
  const chunks = formatBatchBuffers('line-protocol', batch);
  t.same(chunks.map((c) => c.length), [20, 70_001, 40]);
  checkChunks(t, chunks);
  t.ok(Buffer.concat(chunks).equals(Buffer.from(formatBatch('line-protocol', batch))));

  const json = formatBatchBuffers('json-lines', batch);
  t.same(json.map((c) => c.length), [90, 70_071, 180]);
  t.ok(Buffer.concat(json).equals(Buffer.from(formatBatch('json-lines', batch))));
});

t.test('a large batch in both formats: many chunks of at most 64 KiB, joined the bytes of formatBatch', async (t) => {
  const texts = ['é'.repeat(700), 'x"\\'.repeat(300), '😀 lone \ud800 '.repeat(60), '中文\n'.repeat(400)];
  const points = Array.from({ length: 600 }, (_, i) => ({ ...pt(`${i}:${texts[i % 4]}`, BigInt(i)), kvs: [tag('t', `v${i}`), strField('s', texts[i % 4])] }));
  for (const format of ['line-protocol', 'json-lines'] as const) {
    const chunks = formatBatchBuffers(format, batchOf(points));
    t.ok(chunks.length > 10, `${format}: ${chunks.length} chunks`);
    t.same(chunks.filter((c) => c.length > MAX_CHUNK_BYTES), [], `${format}: none over 64 KiB`);
    checkChunks(t, chunks);
    t.ok(Buffer.concat(chunks).equals(Buffer.from(formatBatch(format, batchOf(points)))), `${format}: same bytes`);
  }
  t.same(formatBatchBuffers('line-protocol', batchOf([])), [], 'nothing to write: no chunk');
  t.same(formatBatchBuffers('json-lines', batchOf([{ measurement: 'm', kvs: [tag('a', 'b')], time: 1n }])), []);
});

t.test('LineBuffers: take hands over the lines since the last take and resets the counts', async (t) => {
  const lines = new LineBuffers(8);
  lines.add('ab');
  lines.add('é');
  t.same([lines.lines, lines.bytes], [2, 6]);
  t.same(lines.take().map(String), ['ab\né\n']);
  t.same([lines.lines, lines.bytes], [0, 0]);
  lines.add('c'); // goes in the rest of the same 8-byte buffer
  lines.add('defg'); // does not fit: a new buffer
  t.same(lines.take().map(String), ['c\n', 'defg\n']);
  t.same(lines.take(), []);
});

t.test('after a partial writev, the rest starts at the first byte not written', async (t) => {
  const chunks = ['abc', 'de', 'f'].map((s) => Buffer.from(s));
  const rest = (written: number) => unwritten(chunks, written).map(String);
  t.same(rest(0), ['abc', 'de', 'f']);
  t.same(rest(2), ['c', 'de', 'f']);
  t.same(rest(3), ['de', 'f']);
  t.same(rest(4), ['e', 'f']);
  t.same(rest(5), ['f']);
});

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dk-chunks-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test('FileSink: multi-chunk batches land whole, and size rotation still falls between two batches', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'out.lp');
  // Batches of 200 lines of 1,000 bytes (3-byte characters): 200,000 bytes, 4 chunks each.
  const batch = (from: number) => batchOf(Array.from({ length: 200 }, (_, i) => pointOfBytes(1000, '中', BigInt((from + i) % 10))));
  const [a, b, c] = [batch(0), batch(1), batch(2)];
  const text = (x: PointBatch) => formatBatch('line-protocol', x);
  const sink = new FileSink(path, ALL, { maxFileBytes: 400_000, maxFiles: 2 });
  await sink.open();
  t.teardown(() => sink.close());

  await Promise.all([sink.write(a), sink.write(b)]); // 400,000 bytes: at the limit, not past it
  t.same(await readdir(dir), ['out.lp']);
  t.equal(await readFile(path, 'utf8'), text(a) + text(b));
  await sink.write(c);
  t.same((await readdir(dir)).sort(), ['out.lp', 'out.lp.1']);
  t.equal(await readFile(path, 'utf8'), text(c));
  t.equal(await readFile(`${path}.1`, 'utf8'), text(a) + text(b));
});


/** Every non-empty part of a batch, `partBytes` at a time. */
function partsOf(format: 'line-protocol' | 'json-lines', batch: PointBatch, partBytes: number): Buffer[][] {
  const encoder = new BatchEncoder(format, batch);
  const parts: Buffer[][] = [];
  while (!encoder.done) {
    const part = encoder.part(partBytes);
    if (part.length > 0) parts.push(part);
  }
  return parts;
}

t.test('BatchEncoder: parts of whole lines, each closed once it holds partBytes; joined, formatBatch', async (t) => {
  const points = Array.from({ length: 50 }, (_, i) => pointOfBytes(1000 + (i % 7) * 333, i % 2 ? 'é' : '中', BigInt(i % 10)));
  for (const format of ['line-protocol', 'json-lines'] as const) {
    const parts = partsOf(format, batchOf(points), 10_000);
    const sizes = parts.map((chunks) => chunks.reduce((n, c) => n + c.length, 0));
    t.ok(parts.length > 4, `${format}: ${parts.length} parts`);
    t.same(sizes.slice(0, -1).filter((n) => n < 10_000), [], `${format}: every part but the last ≥ partBytes`);
    t.ok(sizes.at(-1)! > 0, `${format}: the last part not empty`);
    for (const chunks of parts) checkChunks(t, chunks);
    t.ok(Buffer.concat(parts.flat()).equals(Buffer.from(formatBatch(format, batchOf(points)))), `${format}: same bytes`);
  }
  t.same(partsOf('line-protocol', batchOf([]), 10), [], 'nothing to write: no part');
  // A batch whose last points have nothing to write: the encoder ends with an empty part.
  const encoder = new BatchEncoder('json-lines', batchOf([points[0]!, { measurement: 'm', kvs: [tag('a', 'b')], time: 1n }]));
  t.equal(encoder.part(1).length, 1);
  t.notOk(encoder.done);
  t.same(encoder.part(1), []);
  t.ok(encoder.done);
});

t.test('FileSink without rotation: a batch of several parts is written whole and in order, batches never mixed', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'out.lp');
  // Lines of 1,000 bytes for 2.4 parts of WRITE_PART_BYTES.
  const count = Math.round((2.4 * WRITE_PART_BYTES) / 1000);
  const batch = (from: number) => batchOf(Array.from({ length: count }, (_, i) => pointOfBytes(1000, 'é', BigInt((from + i) % 10))));
  const [a, b] = [batch(0), batch(3)];
  t.equal(partsOf('line-protocol', a, WRITE_PART_BYTES).length, 3);
  const sink = new FileSink(path, ALL);
  await sink.open();
  t.teardown(() => sink.close());
  await Promise.all([sink.write(a), sink.write(b)]);
  t.equal(await readFile(path, 'utf8'), formatBatch('line-protocol', a) + formatBatch('line-protocol', b));
});

t.test('StdoutSink: two multi-chunk batches in flight come out one after the other, each whole', async (t) => {
  const out = new CapturedStream(1024);
  out.hold();
  const sink = new StdoutSink(ALL, out);
  const a = batchOf(Array.from({ length: 150 }, () => pointOfBytes(1000, 'é')));
  const b = batchOf(Array.from({ length: 150 }, () => pointOfBytes(1000, 'x', 2n)));
  let done = 0;
  const writing = [sink.write(a), sink.write(b)].map((w) => w.then(() => done++));
  await Promise.resolve();
  t.equal(done, 0, 'not accepted while the stream is full');
  out.release();
  await Promise.all(writing);
  t.equal(out.text, formatBatch('line-protocol', a) + formatBatch('line-protocol', b));
  t.equal(out.writes, 6, 'three 64 KiB-or-less chunks per batch');
});


function dataway(t: Test, gzip: boolean): DatawayTransport {
  const cfg: DatawaySinkConfig = { target: 'dataway', categories: ['logging'], url: 'http://127.0.0.1:9/?token=x', gzip, delivery: DEFAULT_DELIVERY };
  const tr = new DatawayTransport(cfg, 'test');
  t.teardown(() => tr.close());
  return tr;
}

t.test('dataway: the 1 MiB split counts UTF-8 bytes across chunks; bodies and X-Points exact, gzipped or not', async (t) => {
  // 2,500 lines of exactly 1,000 bytes (2-byte characters): 1,048 fit in 1 MiB (1,048,000 bytes with newlines).
  const points = Array.from({ length: 2500 }, (_, i) => pointOfBytes(1000, 'é', BigInt(i % 10)));
  const expected = [points.slice(0, 1048), points.slice(1048, 2096), points.slice(2096)].map((group) =>
    formatBatch('line-protocol', batchOf(group)).slice(0, -1),
  );
  t.equal(MAX_RAW_BODY_BYTES, 1 << 20);
  for (const gzip of [false, true]) {
    const envelopes = dataway(t, gzip).encode(batchOf(points, 'logging'));
    t.same(envelopes.map((e) => [e.items, e.headers['X-Points']]), [[1048, '1048'], [1048, '1048'], [404, '404']], `gzip ${gzip}`);
    const bodies = envelopes.map((e) => (gzip ? gunzipSync(e.body) : Buffer.from(e.body)).toString('utf8'));
    t.same(bodies, expected, `gzip ${gzip}: lines joined by \\n, none at the end`);
  }
});

t.test('dataway: a line longer than 64 KiB, and envelopes cut in the middle of a chunk', async (t) => {
  const small = pointOfBytes(100, 'x');
  const huge = pointOfBytes(100_000, '😀');
  const points = [small, small, huge, small];
  const envelopes = dataway(t, false).encode(batchOf(points, 'logging'), 100_050);
  const line = (p: Point) => formatBatch('line-protocol', batchOf([p])).slice(0, -1);
  t.same(
    envelopes.map((e) => Buffer.from(e.body).toString('utf8')),
    [`${line(small)}\n${line(small)}`, line(huge), line(small)],
  );
  t.same(envelopes.map((e) => e.items), [2, 1, 1]);
  // 200-byte cut-off: the next lines start inside the same 64 KiB buffer the previous envelope's lines came from.
  const cut = dataway(t, false).encode(batchOf([small, small, small, small, small], 'logging'), 200);
  t.same(cut.map((e) => Buffer.from(e.body).toString('utf8')), [`${line(small)}\n${line(small)}`, `${line(small)}\n${line(small)}`, line(small)]);
});
