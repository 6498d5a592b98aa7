/**
 * The request body reader (src/otlp/body-reader.ts) on its own, fed by a stream: the receiver tests cover it over
 * HTTP (413 by Content-Length and by counting, lying Content-Lengths, slow clients); these pin what HTTP cannot easily
 * show: copies rather than views, one answer per body, and the cases Node's parser never produces.
 */
import { PassThrough } from 'node:stream';
import t from 'tap';
import { readBody } from '../src/otlp/body-reader.js';
import { HttpError } from '../src/otlp/http-errors.js';

interface Answer {
  err: (Error & { statusCode?: number }) | null;
  body?: Buffer;
}

/** Starts reading `stream`; resolves with the first answer and records how many were given. */
function read(stream: PassThrough, contentLength: string | undefined, max: number): { answer: Promise<Answer>; count: () => number } {
  let calls = 0;
  const answer = new Promise<Answer>((resolve) =>
    readBody(stream, contentLength, max, (err, body) => {
      calls++;
      resolve({ err, body });
    }),
  );
  return { answer, count: () => calls };
}

t.test('with a Content-Length: the chunks copied into one buffer of that size', async (t) => {
  const stream = new PassThrough();
  const r = read(stream, '10', 100);
  const first = Buffer.from('hello');
  stream.write(first);
  stream.write(Buffer.from(' you!'));
  first.fill(0x21); // a socket reuses its read buffer: the body must not see it
  stream.end();
  const { err, body } = await r.answer;
  t.equal(err, null);
  t.equal(body!.toString(), 'hello you!');
  t.equal(r.count(), 1);
});

t.test('a chunked body: joined, counted against the limit', async (t) => {
  const stream = new PassThrough();
  const r = read(stream, undefined, 8);
  stream.write(Buffer.from('1234'));
  stream.end(Buffer.from('5678'));
  const ok = await r.answer;
  t.equal(ok.err, null);
  t.equal(ok.body!.toString(), '12345678');

  const over = new PassThrough();
  const r2 = read(over, undefined, 8);
  over.write(Buffer.from('12345'));
  over.write(Buffer.from('6789'));
  over.end(Buffer.from('more'));
  const refused = await r2.answer;
  t.ok(refused.err instanceof HttpError);
  t.equal(refused.err!.statusCode, 413);
  t.equal(refused.err!.message, 'request body exceeds max_request_bytes (8 bytes)');
  t.equal(refused.body, undefined);
  t.equal(r2.count(), 1, 'answered once, whatever arrives after');
});

t.test('a Content-Length over the limit is refused before anything is read', async (t) => {
  const stream = new PassThrough();
  const r = read(stream, '9', 8);
  const { err } = await r.answer;
  t.equal(err!.statusCode, 413);
  t.equal(stream.listenerCount('data'), 0, 'the reader did not start');
});

t.test('an empty body with Content-Length 0', async (t) => {
  const stream = new PassThrough();
  const r = read(stream, '0', 8);
  stream.end();
  const { err, body } = await r.answer;
  t.equal(err, null);
  t.equal(body!.length, 0);
});

t.test('fewer or more bytes than announced → 400 (Node parses HTTP framing; a custom stream may not)', async (t) => {
  const short = new PassThrough();
  const r1 = read(short, '10', 100);
  short.end(Buffer.from('12345'));
  const a1 = await r1.answer;
  t.equal(a1.err!.statusCode, 400);
  t.equal(a1.err!.message, 'Request body size did not match Content-Length');

  const long = new PassThrough();
  const r2 = read(long, '4', 100);
  long.end(Buffer.from('12345'));
  const a2 = await r2.answer;
  t.equal(a2.err!.statusCode, 400);
  t.equal(a2.body, undefined);
  t.equal(r2.count(), 1);
});

t.test('a stream error (the client went away) → 400 unless it carries a 4xx status of its own', async (t) => {
  const gone = new PassThrough();
  const r1 = read(gone, '10', 100);
  gone.write(Buffer.from('12'));
  gone.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
  const a1 = await r1.answer;
  t.equal(a1.err!.message, 'aborted');
  t.equal(a1.err!.statusCode, 400);

  const timedOut = new PassThrough();
  const r2 = read(timedOut, undefined, 100);
  timedOut.destroy(Object.assign(new Error('request timeout'), { statusCode: 408 }));
  t.equal((await r2.answer).err!.statusCode, 408);
});
