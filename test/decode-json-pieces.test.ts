/**
 * Big JSON bodies (≥ 64 KiB) are parsed in pieces (decode-json.ts, PiecewiseJson) rather than as one string: the
 * model must be the one a whole-text parse gives, and every refusal must read as the whole-text JSON.parse words it.
 * Reference: the small body (parsed whole) with its items repeated, built the same way as the big body.
 */
import t from 'tap';
import { DecodeError } from '../src/otlp/decode-error.js';
import { decodeLogsJson, decodeMetricsJson, decodeTracesJson, type JsonDecodeOptions } from '../src/otlp/decode-json.js';
import { logsRequest, metricsRequest, tracesRequest } from './helpers/otlp-build.js';

const SPEC: JsonDecodeOptions = { strictDatakit: false, maxDepth: 32 };
const COPIES = 400;

type Json = Record<string, any>;
const parse = (body: Uint8Array): Json => JSON.parse(Buffer.from(body).toString('utf8'));

/** The request with the items of its first scope repeated COPIES times (in JSON and in the model alike). */
function repeated<T>(list: T[]): T[] {
  return Array.from({ length: COPIES }, () => list).flat();
}

t.test('big bodies decode to the model of the small body, items repeated, whatever the whitespace', async (t) => {
  const cases = [
    { name: 'traces', req: await tracesRequest(), decode: decodeTracesJson, path: ['resourceSpans', 'scopeSpans', 'spans'] },
    { name: 'metrics', req: await metricsRequest(), decode: decodeMetricsJson, path: ['resourceMetrics', 'scopeMetrics', 'metrics'] },
    { name: 'logs', req: await logsRequest(), decode: decodeLogsJson, path: ['resourceLogs', 'scopeLogs', 'logRecords'] },
  ] as const;
  for (const c of cases) {
    const [r, s, items] = c.path;
    const json = parse(c.req.json);
    json[r][0][s][0][items] = repeated(json[r][0][s][0][items]);
    const expected = c.decode(c.req.json, SPEC) as Json;
    const modelKeys = Object.keys(expected);
    const rKey = modelKeys[0]!;
    const first = expected[rKey][0];
    const sKey = Object.keys(first).find((k) => Array.isArray(first[k]))!;
    const scope = first[sKey][0];
    const iKey = Object.keys(scope).find((k) => Array.isArray(scope[k]))!;
    scope[iKey] = repeated(scope[iKey]);
    for (const indent of [undefined, 2, '\t']) {
      const body = Buffer.from(JSON.stringify(json, null, indent));
      t.ok(body.length >= 64 * 1024, `${c.name}: ${body.length} bytes, parsed in pieces`);
      t.same(c.decode(body, SPEC), expected, `${c.name}, indent ${JSON.stringify(indent)}`);
    }
  }
});

/** A big traces body: the test request's spans repeated. */
async function bigTracesText(): Promise<string> {
  const json = parse((await tracesRequest()).json);
  json.resourceSpans[0].scopeSpans[0].spans = repeated(json.resourceSpans[0].scopeSpans[0].spans);
  return JSON.stringify(json);
}

t.test('what the envelope holds reads as in a whole-text parse', async (t) => {
  const text = await bigTracesText();
  const whole = decodeTracesJson(Buffer.from(text), SPEC);
  // A duplicate key (the last wins), an escaped key, a BOM, and a 64-bit integer outside the pieces.
  const dup = `{"resourceSpans":[],${text.slice(1)}`;
  t.same(decodeTracesJson(Buffer.from(dup), SPEC), whole, 'duplicate key: the last wins');
  const escaped = text.replace('"resourceSpans"', '"resource\\u0053pans"');
  t.same(decodeTracesJson(Buffer.from(escaped), SPEC), whole, 'escaped key');
  t.same(decodeTracesJson(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), SPEC), whole, 'BOM skipped');
  const tooBig = (s: string) => s.replace('"droppedAttributesCount":0', '"droppedAttributesCount":18446744073709551615') // the resource's;
  const small = tooBig(Buffer.from((await tracesRequest()).json).toString('utf8'));
  t.throws(() => decodeTracesJson(Buffer.from(small), SPEC), { message: /integer "18446744073709551615" out of range/ }, 'parsed whole');
  t.throws(() => decodeTracesJson(Buffer.from(tooBig(text)), SPEC), { message: /integer "18446744073709551615" out of range/ }, 'in pieces');
});

t.test('refusals of big bodies carry the whole-text JSON.parse message', async (t) => {
  const text = await bigTracesText();
  const bodies = {
    'a broken piece': text.replace('"name":', '"name" '),
    'a trailing comma in the envelope': text.replace(/\]\}\]\}$/, '],}]}'),
    'text after the value': `${text} x`,
    'a control character in a key': text.replace('"resourceSpans"', '"resource\nSpans"'),
    'a __proto__ key': `{"__proto__":{"x":1},${text.slice(1)}`,
  };
  for (const [name, body] of Object.entries(bodies)) {
    let expected: Error | undefined;
    try {
      JSON.parse(body);
    } catch (err) {
      expected = new DecodeError(`invalid JSON ExportTraceServiceRequest: ${(err as Error).message}`);
    }
    if (expected) t.throws(() => decodeTracesJson(Buffer.from(body), SPEC), expected, name);
    else t.same(decodeTracesJson(Buffer.from(body), SPEC), decodeTracesJson(Buffer.from(text), SPEC), `${name}: accepted, as JSON.parse does`);
  }
});
