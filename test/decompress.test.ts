import zlib from 'node:zlib';
import t from 'tap';
import {
  ACCEPTED_CODINGS,
  contentCodingOf,
  dataKitContentCodingOf,
  decompress,
  DecompressedTooLarge,
  INFLATE_CHUNK_BYTES,
  inflateChunkBytes,
  MAX_CONCURRENT_INFLATES,
  MAX_INFLATE_CHUNK_BYTES,
} from '../src/otlp/decompress.js';
import { HttpError } from '../src/otlp/http-errors.js';

const MiB = 1024 * 1024;
const PAYLOAD = Buffer.from('{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"ünïcode span"}]}]}]}');

t.test('spec-mode Content-Encoding tokens (checklist 22, 23)', async (t) => {
  const cases: Array<[string | undefined, string | undefined]> = [
    [undefined, 'identity'],
    ['', 'identity'],
    ['   ', 'identity'],
    ['identity', 'identity'],
    ['IDENTITY', 'identity'],
    ['gzip', 'gzip'],
    ['GZIP', 'gzip'],
    [' gzip ', 'gzip'],
    ['x-gzip', 'gzip'],
    ['X-Gzip', 'gzip'],
    ['deflate', 'deflate'],
    ['Deflate', 'deflate'],
    ['br', undefined],
    ['zstd', undefined],
    ['compress', undefined],
    ['gzip, identity', undefined],
    ['gzip;q=1', undefined],
  ];
  for (const [header, coding] of cases) t.equal(contentCodingOf(header), coding, JSON.stringify(header));
  t.equal(ACCEPTED_CODINGS, 'gzip, deflate');
});

t.test('DataKit decompresses only a trimmed, case-insensitive gzip (Q9)', async (t) => {
  const cases: Array<[string | undefined, string]> = [
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip', 'gzip'],
    [' GZip ', 'gzip'],
    ['x-gzip', 'identity'],
    ['deflate', 'identity'],
    ['br', 'identity'],
    ['identity', 'identity'],
  ];
  for (const [header, coding] of cases) t.equal(dataKitContentCodingOf(header), coding, JSON.stringify(header));
});

t.test('identity passes the very same buffer, bounded by the limit', async (t) => {
  t.equal(await decompress(PAYLOAD, 'identity', PAYLOAD.length), PAYLOAD);
  const err = await decompress(PAYLOAD, 'identity', PAYLOAD.length - 1).catch((e: unknown) => e);
  t.ok(err instanceof DecompressedTooLarge);
  t.has(err, { statusCode: 413, producedBytes: PAYLOAD.length, message: `decompressed request body exceeds max_decompressed_bytes (${PAYLOAD.length - 1} bytes)` });
});

t.test('gzip, zlib-wrapped deflate and raw deflate come out byte for byte', async (t) => {
  t.same(await decompress(zlib.gzipSync(PAYLOAD), 'gzip', 1024), PAYLOAD);
  t.same(await decompress(zlib.deflateSync(PAYLOAD), 'deflate', 1024), PAYLOAD);
  t.same(await decompress(zlib.deflateRawSync(PAYLOAD), 'deflate', 1024), PAYLOAD);
  // Concatenated gzip members are one body (RFC 1952 §2.2), as Go's gzip.Reader reads them.
  t.same(await decompress(Buffer.concat([zlib.gzipSync(PAYLOAD), zlib.gzipSync(PAYLOAD)]), 'gzip', 1024), Buffer.concat([PAYLOAD, PAYLOAD]));
  // An empty body that is validly compressed.
  t.same(await decompress(zlib.gzipSync(Buffer.alloc(0)), 'gzip', 0), Buffer.alloc(0));
});

t.test('the limit is inclusive: exactly maxBytes passes, one more byte is 413', async (t) => {
  const body = Buffer.alloc(300_000, 7);
  const gz = zlib.gzipSync(body);
  t.same(await decompress(gz, 'gzip', body.length), body);
  const err = await decompress(gz, 'gzip', body.length - 1).catch((e: unknown) => e);
  t.ok(err instanceof DecompressedTooLarge);
  t.has(err, { statusCode: 413 });
});

t.test('invalid compressed bodies are a 400 HttpError, never a crash (checklist 24, 25; Q8 not reproduced)', async (t) => {
  const cases: Array<[Buffer, 'gzip' | 'deflate', string]> = [
    [PAYLOAD, 'gzip', 'invalid gzip body: incorrect header check'],
    [Buffer.alloc(0), 'gzip', 'invalid gzip body: unexpected end of file'],
    [zlib.gzipSync(PAYLOAD).subarray(0, 20), 'gzip', 'invalid gzip body: unexpected end of file'],
    [Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff]), 'gzip', 'invalid gzip body: invalid block type'],
    [Buffer.from([0xff, 0xff, 0xff, 0xff]), 'deflate', 'invalid deflate body: invalid block type'],
  ];
  for (const [body, coding, message] of cases) {
    const err = await decompress(body, coding, MiB).catch((e: unknown) => e);
    t.ok(err instanceof HttpError && !(err instanceof DecompressedTooLarge), message);
    t.has(err, { statusCode: 400, message });
  }
});

t.test('a gzip bomb (1 MiB → 1 GiB) is stopped one chunk past the limit (checklist 21, CVE-2024-36129)', async (t) => {
  // 64 concatenated members of 16 MiB of zeros each: ~1 MiB on the wire, 1 GiB inflated.
  const member = zlib.gzipSync(Buffer.alloc(16 * MiB), { level: 9 });
  const bomb = Buffer.concat(Array.from({ length: 64 }, () => member));
  t.ok(bomb.length < 1.2 * MiB, `bomb is ${bomb.length} bytes`);
  const limit = 8 * MiB;
  const rssBefore = process.memoryUsage().rss;
  const err = await decompress(bomb, 'gzip', limit).catch((e: unknown) => e);
  const rssGrowth = process.memoryUsage().rss - rssBefore;
  t.ok(err instanceof DecompressedTooLarge);
  const produced = (err as DecompressedTooLarge).producedBytes;
  t.ok(produced > limit && produced <= limit + MAX_INFLATE_CHUNK_BYTES, `inflated ${produced} bytes before stopping`);
  t.ok(rssGrowth < 128 * MiB, `RSS grew by ${rssGrowth} bytes`);
});

t.test('inflate chunks grow with the compressed size, between 64 KiB and 1 MiB', async (t) => {
  t.equal(inflateChunkBytes(0), INFLATE_CHUNK_BYTES);
  t.equal(inflateChunkBytes(2 * 1024), INFLATE_CHUNK_BYTES, 'a small body: 64 KiB');
  t.equal(inflateChunkBytes(20 * 1024), 512 * 1024);
  t.equal(inflateChunkBytes(1024 * 1024), MAX_INFLATE_CHUNK_BYTES, 'capped at 1 MiB');
});

t.test('concurrent bombs inflate at most MAX_CONCURRENT_INFLATES at a time, and all get their 413', async (t) => {
  const bomb = zlib.gzipSync(Buffer.alloc(4 * MiB));
  const results = await Promise.all(Array.from({ length: 2 * MAX_CONCURRENT_INFLATES + 1 }, () => decompress(bomb, 'gzip', MiB).catch((e: unknown) => e)));
  t.ok(results.every((e) => e instanceof DecompressedTooLarge), 'every one refused');
  const ok = await decompress(zlib.gzipSync(Buffer.from('after')), 'gzip', MiB);
  t.equal(ok.toString(), 'after', 'slots are released: later bodies still inflate');
});
