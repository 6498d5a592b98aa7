/**
 * Hostile and broken input (receiver checklist 40, issue 7): over every route × content type × content coding,
 * random bytes, mutated real requests, malformed JSON, empty bodies, gzip bombs and lying Content-Lengths are answered
 * 200 or 4xx with a `google.rpc.Status` that decodes in the request's encoding: never a 5xx, never a crash. Good
 * requests interleaved with them come out exactly, and memory stays bounded.
 *
 * test/corpus/ holds the nastiest cases found, replayed every run on their own route, identity and gzip: see CORPUS.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import t, { type Test } from 'tap';
import { loadConfig } from '../src/config/index.js';
import { startGateway } from '../src/gateway.js';
import type { Signal } from '../src/otlp/model.js';
import { otlpProtoTypes } from '../src/otlp/proto.js';
import { CollectingSink } from './helpers/collecting-sink.js';
import { fixtureToml, PATH } from './helpers/gateway.js';
import { deepJson, deepProtobufAttribute, mutatedBytes, mutatedJson, TOP_KEY } from './helpers/hostile-bodies.js';
import { request, type Response } from './helpers/http.js';
import { logsRequest, metricsRequest, tracesRequest, type EncodedRequest } from './helpers/otlp-build.js';

type Encoding = 'protobuf' | 'json';
type Coding = 'identity' | 'gzip';
const SIGNALS: readonly Signal[] = ['traces', 'metrics', 'logs'];
const MEDIA_TYPE: Readonly<Record<Encoding, string>> = { protobuf: 'application/x-protobuf', json: 'application/json' };

const MAX_REQUEST_BYTES = 1024 * 1024;
const MAX_DECOMPRESSED_BYTES = 4 * 1024 * 1024;
/** The body-read timeout, short so that a Content-Length larger than the body is answered quickly. */
const REQUEST_TIMEOUT_MS = 300;

const sink = new CollectingSink();
const gw = await startGateway({
  config: loadConfig({ text: fixtureToml('', `max_request_bytes = ${MAX_REQUEST_BYTES}\nmax_decompressed_bytes = ${MAX_DECOMPRESSED_BYTES}`), env: {} }),
  sinks: [sink],
  listen: { host: '127.0.0.1', port: 0 },
  // DataKit's timestamp correction uses the clock: a fixed one makes the good requests' points reproducible.
  now: () => 1_700_000_100_000_000_000n,
  timeouts: { headersMs: REQUEST_TIMEOUT_MS, requestMs: REQUEST_TIMEOUT_MS, checkIntervalMs: 20 },
});
t.teardown(gw.close);

const REAL: Readonly<Record<Signal, EncodedRequest>> = { traces: await tracesRequest(), metrics: await metricsRequest(), logs: await logsRequest() };

interface Hostile {
  signal: Signal;
  encoding: Encoding;
  coding: Coding;
  body: Uint8Array;
  /** Sent as `Content-Length` instead of the body's size. */
  contentLength?: number;
}

const describeCase = (h: Hostile): string =>
  `${h.signal} ${h.encoding} ${h.coding} ${h.body.length} B${h.contentLength === undefined ? '' : ` (Content-Length ${h.contentLength})`}`;

function send(h: Hostile): Promise<Response> {
  const headers: Record<string, string | number> = { 'content-type': MEDIA_TYPE[h.encoding] };
  if (h.coding === 'gzip') headers['content-encoding'] = 'gzip';
  if (h.contentLength !== undefined) headers['content-length'] = h.contentLength;
  return request(gw.url + PATH[h.signal], { headers, body: Buffer.from(h.coding === 'gzip' ? gzipSync(h.body) : h.body) });
}

/** Null when `res` is a well-formed answer to `h`, else what is wrong with it. */
function answerProblem(h: Hostile, res: Response): string | null {
  if (res.status !== 200 && (res.status < 400 || res.status > 499)) return `status ${res.status}: ${res.body.toString()}`;
  // Answers from Node's HTTP parser (a timeout) cannot know the encoding: JSON (checklist 14).
  const encoding: Encoding = res.status === 408 ? 'json' : h.encoding;
  if (res.headers['content-type'] !== MEDIA_TYPE[encoding]) return `Content-Type ${res.headers['content-type']} for a ${encoding} request`;
  const types = otlpProtoTypes();
  if (res.status === 200) {
    if (encoding === 'json') return res.body.toString() === '{}' ? null : `200 body ${res.body.toString()}`;
    return res.body.length === 0 ? null : `200 body of ${res.body.length} bytes`;
  }
  try {
    const status =
      encoding === 'json'
        ? (JSON.parse(res.body.toString('utf8')) as Record<string, unknown>)
        : (types.Status.toObject(types.Status.decode(res.body)) as Record<string, unknown>);
    const keys = Object.keys(status).sort().join(',');
    if (keys !== 'code,message' || typeof status.code !== 'number' || typeof status.message !== 'string' || status.code === 0) {
      return `${res.status} body is not a google.rpc.Status with a code and a message: ${res.body.toString('hex')}`;
    }
  } catch (err) {
    return `${res.status} body does not decode as google.rpc.Status: ${(err as Error).message}`;
  }
  return null;
}

/** The line protocol each real request produces, taken from its first delivery; JSON and protobuf must agree (checklist 34). */
const expectedLines = new Map<Signal, string[]>();

/** Sends a real request and checks that exactly its points, and nothing else, reached the sink. */
async function sendGood(t: Test, signal: Signal, encoding: Encoding, coding: Coding): Promise<void> {
  sink.batches.length = 0;
  const res = await send({ signal, encoding, coding, body: REAL[signal][encoding] });
  const lines = sink.lines();
  sink.batches.length = 0; // keeps the sink from growing over the run, so memory growth means a leak elsewhere
  t.equal(res.status, 200, `good ${signal} ${encoding} ${coding}`);
  const expected = expectedLines.get(signal);
  if (expected === undefined) {
    t.ok(lines.length > 0, `the first good ${signal} request produced points`);
    expectedLines.set(signal, lines);
  } else if (lines.length !== expected.length || lines.some((l, i) => l !== expected[i])) {
    t.same(lines, expected, `good ${signal} ${encoding} ${coding} after hostile input: exactly its points`);
  }
}

t.test('real requests set the expected points, the same for JSON and protobuf', async (t) => {
  for (const signal of SIGNALS) for (const encoding of ['protobuf', 'json'] as const) for (const coding of ['identity', 'gzip'] as const) await sendGood(t, signal, encoding, coding);
  t.same([...expectedLines.keys()], SIGNALS);
});

const signalArb = fc.constantFrom(...SIGNALS);
const codingArb = fc.constantFrom<Coding>('identity', 'gzip');
/** Mostly the route's own request, sometimes another signal's. */
const basesFor = (signal: Signal, encoding: Encoding): fc.Arbitrary<readonly Uint8Array[]> =>
  fc.oneof({ weight: 3, arbitrary: fc.constant([REAL[signal][encoding]]) }, { weight: 1, arbitrary: fc.constant(SIGNALS.map((s) => REAL[s][encoding])) });
const hostileArb: fc.Arbitrary<Hostile> = fc
  .record({ signal: signalArb, encoding: fc.constantFrom<Encoding>('protobuf', 'json'), coding: codingArb, kind: fc.constantFrom('random', 'bytes', 'json', 'json') })
  .chain(({ signal, encoding, coding, kind }) => {
    const body =
      kind === 'random'
        ? fc.uint8Array({ maxLength: 2048 })
        : basesFor(signal, encoding).chain((real) => (kind === 'json' && encoding === 'json' ? mutatedJson(real) : mutatedBytes(real)));
    return body.map((body): Hostile => ({ signal, encoding, coding, body }));
  });

/** fast-check runs; with a good request after every GOOD_EVERY of them. About 2–5 ms each on loopback. */
const RUNS = 6000;
const GOOD_EVERY = 25;

let heapBefore = 0;
const forceGc: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

t.test('random and mutated bodies: 200 or 4xx with a Status, good requests unharmed', async (t) => {
  forceGc();
  heapBefore = process.memoryUsage().heapUsed;
  let n = 0;
  await fc.assert(
    fc.asyncProperty(hostileArb, async (h) => {
      const res = await send(h);
      const problem = answerProblem(h, res);
      if (problem !== null) throw new Error(`${describeCase(h)}: ${problem}`);
      if (++n % GOOD_EVERY === 0) {
        const signal = SIGNALS[(n / GOOD_EVERY) % 3];
        await sendGood(t, signal, n % 2 === 0 ? 'json' : 'protobuf', n % 3 === 0 ? 'gzip' : 'identity');
      }
    }),
    { numRuns: RUNS },
  );
  t.pass(`${n} hostile requests answered well`);
});

/** Hand-made nasties for one route, with the status each must get. */
function handMade(signal: Signal): { what: string; encoding: Encoding; body: Uint8Array; status: number }[] {
  const top = TOP_KEY[signal];
  return [
    { what: 'empty protobuf body (an empty request, checklist 9)', encoding: 'protobuf', body: new Uint8Array(0), status: 200 },
    { what: 'empty JSON body (not JSON)', encoding: 'json', body: new Uint8Array(0), status: 400 },
    { what: 'arrays 10^5 deep', encoding: 'json', body: deepJson(top, 100_000, 'array'), status: 400 },
    { what: 'objects 10^5 deep under an ignored key', encoding: 'json', body: deepJson(top, 100_000, 'unknown-key'), status: 200 },
    { what: 'an attribute 2·10^4 kvlists deep', encoding: 'json', body: deepJson(top, 20_000, 'any-value'), status: 400 },
    { what: 'a 200000-digit number for an array', encoding: 'json', body: Buffer.from(`{"${top}":${'1'.repeat(200_000)}}`), status: 400 },
    { what: 'a duplicate key, the last of the wrong type', encoding: 'json', body: Buffer.from(`{"${top}":[],"${top}":{}}`), status: 400 },
    { what: 'an attribute 5000 kvlists deep', encoding: 'protobuf', body: deepProtobufAttribute(5_000), status: 400 },
    { what: 'field 1 length 10, 20000 times', encoding: 'protobuf', body: Buffer.alloc(20_000, 0x0a), status: 400 },
  ];
}

t.test('hand-made nasties on every route, content type and coding', async (t) => {
  for (const signal of SIGNALS) {
    for (const { what, encoding, body, status } of handMade(signal)) {
      for (const coding of ['identity', 'gzip'] as const) {
        const h: Hostile = { signal, encoding, coding, body };
        const res = await send(h);
        t.equal(res.status, status, `${signal} ${coding}: ${what}`);
        t.equal(answerProblem(h, res), null);
      }
    }
    await sendGood(t, signal, 'protobuf', 'identity');
  }
});

t.test('gzip bombs are refused with 413 and a Status', async (t) => {
  const bomb = gzipSync(Buffer.alloc(MAX_DECOMPRESSED_BYTES + 1));
  t.ok(bomb.length < MAX_REQUEST_BYTES, 'the bomb itself is within max_request_bytes');
  for (const signal of SIGNALS) {
    for (const encoding of ['protobuf', 'json'] as const) {
      const res = await request(gw.url + PATH[signal], { headers: { 'content-type': MEDIA_TYPE[encoding], 'content-encoding': 'gzip' }, body: bomb });
      t.equal(res.status, 413, `${signal} ${encoding}`);
      t.equal(answerProblem({ signal, encoding, coding: 'gzip', body: bomb }, res), null);
    }
    await sendGood(t, signal, 'json', 'gzip');
  }
});

t.test('a Content-Length larger than the body is answered 408 with a Status once the body timeout passes', async (t) => {
  for (const signal of SIGNALS) {
    for (const encoding of ['protobuf', 'json'] as const) {
      const body = REAL[signal][encoding];
      const h: Hostile = { signal, encoding, coding: 'identity', body, contentLength: body.length + 100 };
      const res = await send(h);
      t.equal(res.status, 408, describeCase(h));
      t.equal(answerProblem(h, res), null);
    }
    await sendGood(t, signal, 'protobuf', 'gzip');
  }
});

const CORPUS_DIR = new URL('./corpus/', import.meta.url);
/** Every file in test/corpus/ (`<signal>.<json|pb>.<name>`): what it is and the status it gets. */
const CORPUS: Readonly<Record<string, { what: string; status: number }>> = {
  'traces.pb.huge-length': { what: 'a length-delimited field claiming 2^35 bytes inside a real request', status: 400 },
  // protobufjs does not check the wire type of a known field (Go's protobuf refuses it): accepted as it was before.
  'traces.pb.group-wire-type': { what: 'a real request whose first tag says wire type 3 (start group)', status: 200 },
  'metrics.pb.truncated-varint': { what: 'a real request cut inside a varint', status: 400 },
  // protobufjs decodes invalid UTF-8 in a string to U+FFFD (Go's protobuf refuses it): accepted.
  'logs.pb.bad-utf8-string': { what: 'a log body string_value with the bytes ff c0', status: 200 },
  'traces.json.duplicate-keys': { what: '`resourceSpans` twice, the last an object', status: 400 },
  'metrics.json.huge-numbers': { what: '30-digit timeUnixNano, asDouble 1e400, asInt 2^64', status: 400 },
  'logs.json.bad-utf8': { what: 'an encoded surrogate (ed a0 80) inside a string', status: 400 },
  'traces.json.numbers-for-objects': { what: 'numbers where Resource and a Span go', status: 400 },
  'metrics.json.wrong-types': { what: 'booleans, strings and arrays for every field of a data point', status: 400 },
};

t.test('the corpus of past nasties', async (t) => {
  t.same(readdirSync(CORPUS_DIR).sort(), Object.keys(CORPUS).sort(), 'every corpus file is described, every description has a file');
  for (const [file, { what, status }] of Object.entries(CORPUS)) {
    const [signal, enc] = file.split('.');
    const body = readFileSync(new URL(file, CORPUS_DIR));
    for (const coding of ['identity', 'gzip'] as const) {
      const h: Hostile = { signal: signal as Signal, encoding: enc === 'pb' ? 'protobuf' : 'json', coding, body };
      const res = await send(h);
      t.equal(res.status, status, `${file} ${coding}: ${what}`);
      t.equal(answerProblem(h, res), null);
    }
  }
  for (const signal of SIGNALS) await sendGood(t, signal, 'json', 'identity');
});

t.test('memory stays bounded over the run', async (t) => {
  forceGc();
  const growth = process.memoryUsage().heapUsed - heapBefore;
  t.ok(growth < 32 * 1024 * 1024, `heap grew by ${(growth / 1024 / 1024).toFixed(1)} MiB`);
});
