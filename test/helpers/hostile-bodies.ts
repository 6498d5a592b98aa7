/**
 * fast-check arbitraries for hostile OTLP request bodies (receiver checklist 40): random bytes, mutations of real
 * requests at the byte level (protobuf) and at the text/tree level (JSON), and hand-made nasties (deep nesting,
 * huge numbers, invalid UTF-8, duplicate keys, huge declared lengths, bad wire types).
 */
import fc from 'fast-check';

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

/** Applies one byte-level edit at a position chosen as a fraction of the length, so it fits any body. */
type ByteMutation = (body: Uint8Array) => Uint8Array;

const at = (body: Uint8Array, fraction: number): number => Math.min(body.length, Math.floor(fraction * (body.length + 1)));
const insert = (body: Uint8Array, i: number, extra: Uint8Array): Uint8Array => Buffer.concat([body.subarray(0, i), extra, body.subarray(i)]);
const replaceByte = (body: Uint8Array, i: number, f: (b: number) => number): Uint8Array => {
  if (body.length === 0) return body;
  const copy = Uint8Array.from(body);
  const j = Math.min(i, body.length - 1);
  copy[j] = f(copy[j]) & 0xff;
  return copy;
};

/** A length-delimited field 1 (`0x0a`) that claims 2^35-ish bytes, or any length varint cut short. */
const HUGE_LENGTHS = [bytes('\x0a\xff\xff\xff\xff\x0f'), bytes('\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01'), bytes('\x0a\x80'), bytes('\x12\xff\xff\xff\x7f')];

const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ f: fc.double({ min: 0, max: 1, noNaN: true }), bit: fc.integer({ min: 0, max: 7 }) }).map(({ f, bit }): ByteMutation => (b) => replaceByte(b, at(b, f), (x) => x ^ (1 << bit))),
  fc.double({ min: 0, max: 1, noNaN: true }).map((f): ByteMutation => (b) => b.subarray(0, at(b, f))),
  fc.record({ f: fc.double({ min: 0, max: 1, noNaN: true }), extra: fc.uint8Array({ minLength: 1, maxLength: 16 }) }).map(({ f, extra }): ByteMutation => (b) => insert(b, at(b, f), extra)),
  fc.record({ f: fc.double({ min: 0, max: 1, noNaN: true }), huge: fc.constantFrom(...HUGE_LENGTHS) }).map(({ f, huge }): ByteMutation => (b) => insert(b, at(b, f), huge)),
  // Wire types 3, 4 (groups), 6 and 7 (invalid) where a tag byte may be.
  fc.record({ f: fc.double({ min: 0, max: 1, noNaN: true }), wire: fc.integer({ min: 0, max: 7 }) }).map(({ f, wire }): ByteMutation => (b) => replaceByte(b, at(b, f), (x) => (x & ~7) | wire)),
);

/** A real body with 1–4 byte-level mutations. */
export function mutatedBytes(real: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.record({ base: fc.constantFrom(...real), edits: fc.array(byteMutation, { minLength: 1, maxLength: 4 }) }).map(({ base, edits }) => edits.reduce((b, edit) => edit(b), base));
}

/** Values that break numeric and structural expectations in OTLP/JSON. */
const NASTY_JSON_VALUES = [
  '1e400', '-1e400', '123456789012345678901234567890', '-9223372036854775809', '18446744073709551616', '1.5', '-0', '"NaN"',
  '"Infinity"', '"-1"', '"0x10"', '""', 'null', 'true', '[]', '{}', '[[[[[[]]]]]]', '"\\ud800"', '"\\u0000"', '0', '4294967296',
];

const jsonValueText: fc.Arbitrary<string> = fc.oneof(fc.constantFrom(...NASTY_JSON_VALUES), fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'));

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** `json` with the value at a pseudo-random path (chosen by `steps`) replaced by `replacement` (raw JSON text). */
function replaceAtPath(json: Json, steps: readonly number[], replacement: string): string {
  const MARK = '\u0000hostile-replacement\u0000';
  const walk = (v: Json, depth: number): Json => {
    if (depth >= steps.length || v === null || typeof v !== 'object') return MARK;
    const entries: [string | number, Json][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    if (entries.length === 0) return MARK;
    const pick = steps[depth] % entries.length;
    if (Array.isArray(v)) return v.map((x, i) => (i === pick ? walk(x, depth + 1) : x));
    return Object.fromEntries(entries.map(([k, x], i) => [k, i === pick ? walk(x, depth + 1) : x]));
  };
  return JSON.stringify(walk(json, 0)).replace(JSON.stringify(MARK), replacement);
}

/** A key that appears in `text`, duplicated at the start of the object that opens at a random `{`. */
function duplicateKey(text: string, f: number, value: string): string {
  const keys = [...text.matchAll(/"([A-Za-z_]+)":/g)].map((m) => m[1]);
  const opens = [...text.matchAll(/\{/g)].map((m) => m.index);
  if (keys.length === 0 || opens.length === 0) return text;
  const i = opens[Math.floor(f * opens.length)] + 1;
  return `${text.slice(0, i)}"${keys[Math.floor(f * keys.length)]}":${value},${text.slice(i)}`;
}

/** Bytes that are not UTF-8: a lone continuation, an overlong `/`, a surrogate, a truncated sequence, 0xff. */
const INVALID_UTF8 = [bytes('\x80'), bytes('\xc0\xaf'), bytes('\xed\xa0\x80'), bytes('\xe2\x82'), bytes('\xff')];

/** A real OTLP/JSON body made wrong at the tree, text or byte level. */
export function mutatedJson(real: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const base = fc.constantFrom(...real.map((b) => Buffer.from(b).toString('utf8')));
  const steps = fc.array(fc.nat(), { maxLength: 12 });
  const f = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
  return fc.oneof(
    fc.record({ text: base, steps, value: jsonValueText }).map(({ text, steps, value }) => replaceAtPath(JSON.parse(text) as Json, steps, value)),
    fc.record({ text: base, f, value: jsonValueText }).map(({ text, f, value }) => duplicateKey(text, f, value)),
    fc.record({ text: base, f }).map(({ text, f }) => text.slice(0, Math.floor(f * text.length))),
  ).chain((text) =>
    fc.oneof(
      { weight: 3, arbitrary: fc.constant(new Uint8Array(Buffer.from(text, 'utf8'))) },
      // Invalid UTF-8 just after a quote, i.e. inside a string.
      {
        weight: 1,
        arbitrary: fc.record({ f, bad: fc.constantFrom(...INVALID_UTF8) }).map(({ f, bad }) => {
          const body = Buffer.from(text, 'utf8');
          const quote = body.indexOf(0x22, Math.floor(f * body.length));
          return insert(body, quote < 0 ? body.length : quote + 1, bad);
        }),
      },
    ),
  );
}

/** The top-level key of each signal's request in OTLP/JSON. */
export const TOP_KEY = { traces: 'resourceSpans', metrics: 'resourceMetrics', logs: 'resourceLogs' } as const;
type TopKey = (typeof TOP_KEY)[keyof typeof TOP_KEY];

const KVLIST_OPEN = '{"kvlistValue":{"values":[{"key":"k","value":';
const KVLIST_CLOSE = '}]}}';

/**
 * `depth` levels of nesting, for the parser (JSON.parse) or the decoder's walk:
 * - `array`: arrays where the first resource object goes;
 * - `unknown-key`: objects under a key the decoder ignores, so only the parser sees them;
 * - `any-value`: a resource attribute nested `depth` kvlists deep, where `max_json_depth` applies.
 */
export function deepJson(top: TopKey, depth: number, shape: 'array' | 'unknown-key' | 'any-value'): Uint8Array {
  switch (shape) {
    case 'array':
      return bytes(`{"${top}":[${'['.repeat(depth)}${']'.repeat(depth)}]}`);
    case 'unknown-key':
      return bytes(`{"${top}":[{"resource":${'{"x":'.repeat(depth)}{}${'}'.repeat(depth)}}]}`);
    case 'any-value': {
      const value = `${KVLIST_OPEN.repeat(depth)}{"intValue":1}${KVLIST_CLOSE.repeat(depth)}`;
      return bytes(`{"${top}":[{"resource":{"attributes":[{"key":"a","value":${value}}]}}]}`);
    }
  }
}

function varint(n: number): Buffer {
  const out: number[] = [];
  for (; n > 0x7f; n = Math.floor(n / 128)) out.push((n & 0x7f) | 0x80);
  out.push(n);
  return Buffer.from(out);
}

/** A length-delimited field `field` holding `inner`. */
const message = (field: number, inner: Buffer): Buffer => Buffer.concat([varint((field << 3) | 2), varint(inner.length), inner]);

/**
 * A request whose resource has one attribute nested `depth` kvlists deep (protobuf). Valid for every signal:
 * `resource_*` (1) → `resource` (1) → `attributes` (1) have the same numbers in all three requests.
 */
export function deepProtobufAttribute(depth: number): Uint8Array {
  const key = message(1, Buffer.from('k')); // KeyValue.key = "k"
  let anyValue: Buffer = Buffer.from([0x18, 0x01]); // AnyValue{int_value: 1}
  for (let i = 0; i < depth; i++) anyValue = message(6, message(1, Buffer.concat([key, message(2, anyValue)]))); // kvlist_value → values
  return message(1, message(1, message(1, Buffer.concat([key, message(2, anyValue)]))));
}
