/**
 * Attribute value → text for metric tags and log fields (datakit-opentelemetry.md §6.3), and the attribute maps built
 * from them (§6.2 removed keys, `.` → `_`, Q44).
 */
import t from 'tap';
import { arrayText, attrText, attributeMap, kvListText, mergeFirstWins, sharedKVs, withOwnKVs } from '../src/datakit/attr-text.js';
import { tag } from '../src/datakit/point.js';
import type { AnyValue } from '../src/otlp/model.js';
import { attrs, bv, dv, iv, sv } from './helpers/model-build.js';

const bytes = (...b: number[]): AnyValue => ({ kind: 'bytes', value: Uint8Array.from(b) });
const arr = (...values: AnyValue[]): AnyValue => ({ kind: 'array', values });
const EMPTY: AnyValue = { kind: 'empty' };

t.test('scalars', async (t) => {
  t.equal(attrText(sv('a b'), false), 'a b');
  t.equal(attrText(sv(''), false), '');
  t.equal(attrText(iv(-42n), false), '-42');
  t.equal(attrText(iv(9223372036854775807n), false), '9223372036854775807');
  t.equal(attrText(bv(true), false), 'true');
  t.equal(attrText(bv(false), false), 'false');
});

t.test('doubles: Go %.3f (Q21), not toFixed', async (t) => {
  const cases: Array<[number, string]> = [
    [3.14159, '3.142'],
    [2, '2.000'],
    [0.0625, '0.062'], // exact halfway: half to even (toFixed gives 0.063)
    [0.1875, '0.188'],
    [-0, '-0.000'],
    [1e21, '1000000000000000000000.000'],
    [-1.5e-7, '-0.000'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [NaN, 'NaN'],
  ];
  for (const [n, want] of cases) t.equal(attrText(dv(n), false), want, String(n));
});

t.test('bytes: base64 by default, "" in strict mode (Q20)', async (t) => {
  t.equal(attrText(bytes(0xde, 0xad, 0xbe, 0xef, 0x01), false), '3q2+7wE=');
  t.equal(attrText(bytes(0xde, 0xad), true), '');
  const sub = new Uint8Array([9, 0x68, 0x69, 9]).subarray(1, 3); // a view: only its own bytes count
  t.equal(attrText({ kind: 'bytes', value: sub }, false), 'aGk=');
});

t.test('no value object or an empty AnyValue: the key is left out', async (t) => {
  t.equal(attrText(undefined, false), undefined);
  t.equal(attrText(EMPTY, true), undefined);
});

t.test('strings are cut to 32 KiB, on a character boundary', async (t) => {
  t.equal(attrText(sv('x'.repeat(40000)), false), 'x'.repeat(32768));
  // 'é' is 2 bytes: 'a' + 16384 × 'é' = 32769 bytes; the byte cut would split the last 'é', so it goes entirely.
  t.equal(attrText(sv('a' + 'é'.repeat(16384)), false), 'a' + 'é'.repeat(16383));
  const exact = 'é'.repeat(16384); // exactly 32768 bytes: kept
  t.equal(attrText(sv(exact), false), exact);
});

t.test('arrays and kvlists: Go protobuf one-line text form (Q22)', async (t) => {
  t.equal(attrText(arr(sv('a'), iv(1)), false), 'values:{string_value:"a"} values:{int_value:1}');
  t.equal(
    attrText({ kind: 'kvlist', values: attrs({ k: 'v', n: 2n }) }, false),
    'values:{key:"k" value:{string_value:"v"}} values:{key:"n" value:{int_value:2}}',
  );
  t.equal(attrText(arr(), false), '');
  t.equal(attrText(arr(bv(false), dv(0), iv(0), sv('')), false), 'values:{bool_value:false} values:{double_value:0} values:{int_value:0} values:{string_value:""}');
  t.equal(
    attrText(arr(arr(iv(1), arr()), { kind: 'kvlist', values: [] }, EMPTY), false),
    'values:{array_value:{values:{int_value:1} values:{array_value:{}}}} values:{kvlist_value:{}} values:{}',
  );
  // A KeyValue without a value object, an empty key, and an empty AnyValue value.
  t.equal(
    kvListText([{ key: 'k', value: undefined }, { key: '', value: sv('v') }, { key: 'e', value: EMPTY }]),
    'values:{key:"k"} values:{value:{string_value:"v"}} values:{key:"e" value:{}}',
  );
});

t.test('text form: doubles use strconv g formatting, nan/inf', async (t) => {
  t.equal(
    arrayText([dv(1.5), dv(-2), dv(1e21), dv(1234567), dv(123456), dv(0.0001), dv(0.00001), dv(-0), dv(NaN), dv(Infinity), dv(-Infinity)]),
    'values:{double_value:1.5} values:{double_value:-2} values:{double_value:1e+21} values:{double_value:1.234567e+06} ' +
      'values:{double_value:123456} values:{double_value:0.0001} values:{double_value:1e-05} values:{double_value:-0} ' +
      'values:{double_value:nan} values:{double_value:inf} values:{double_value:-inf}',
  );
});

t.test('text form: string escaping as protobuf-go writes it', async (t) => {
  t.equal(arrayText([sv('q"b\\n\nr\rt\t')]), 'values:{string_value:"q\\"b\\\\n\\nr\\rt\\t"}');
  t.equal(arrayText([sv('\u0000\u0001\u001f\u007f\u0080\u009f')]), 'values:{string_value:"\\x00\\x01\\x1f\\x7f\\u0080\\u009f"}');
  t.equal(arrayText([sv('é中😀\u00a0')]), 'values:{string_value:"é中😀\u00a0"}');
  t.equal(kvListText(attrs({ 'a"b': 'x' })), 'values:{key:"a\\"b" value:{string_value:"x"}}');
});

t.test('text form: bytes are written raw where valid UTF-8, else \\xNN per byte', async (t) => {
  // "hé" + 0xff + a truncated 3-byte sequence (e2 82) + "A" + newline + U+0085 (c2 85)
  t.equal(
    arrayText([bytes(0x68, 0xc3, 0xa9, 0xff, 0xe2, 0x82, 0x41, 0x0a, 0xc2, 0x85)]),
    'values:{bytes_value:"hé\\xff\\xe2\\x82A\\n\\u0085"}',
  );
  // Overlong encoding and an encoded surrogate are invalid in Go too.
  t.equal(arrayText([bytes(0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xf0, 0x9f, 0x98, 0x80)]), 'values:{bytes_value:"\\xc0\\xaf\\xed\\xa0\\x80😀"}');
});

t.test('attributeMap: removed keys, dots → underscores, later same-list key wins (Q44)', async (t) => {
  const map = attributeMap(
    attrs({
      'telemetry.sdk.name': 'opentelemetry',
      'telemetry.sdk.language': 'nodejs',
      'telemetry.sdk.version': '2.0.1',
      'process.command_line': 'node app.js',
      'process.runtime.name': 'nodejs',
      'telemetry_sdk_name': 'kept', // only the key as sent is matched
      'service.name': 'shop',
      'a.b': 'first',
      'a_b': 'second',
      nothing: undefined,
      empty: { kind: 'empty' },
      ratio: 0.5,
    }),
    false,
  );
  t.strictSame([...map], [
    ['telemetry_sdk_name', 'kept'],
    ['service_name', 'shop'],
    ['a_b', 'second'],
    ['ratio', '0.500'],
  ]);
});

t.test('mergeFirstWins and withOwnKVs: earlier maps win; each list is fresh', async (t) => {
  const resource = new Map([['a', 'r'], ['b', 'r']]);
  const scope = new Map([['b', 's'], ['c', 's']]);
  t.strictSame([...mergeFirstWins(resource, scope)], [['a', 'r'], ['b', 'r'], ['c', 's']]);
  const shared = sharedKVs(resource, tag);
  const first = withOwnKVs(shared, new Map([['c', 'p'], ['a', 'p']]), tag);
  t.strictSame(first, [tag('a', 'r'), tag('b', 'r'), tag('c', 'p')]);
  t.not(first, shared.kvs);
  t.strictSame(withOwnKVs(shared, new Map(), tag), [tag('a', 'r'), tag('b', 'r')]);
});
