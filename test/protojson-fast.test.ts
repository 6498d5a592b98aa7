/**
 * protojson.ts writes its JSON by appending to strings, with a shortcut for the usual attribute (a key and a string
 * needing no escapes). For the shapes below Go's protojson output is exactly what JSON.stringify makes of the same
 * object (keys in declaration order, strings escaped alike: `"`, `\`, controls, lone surrogates), so it is the oracle.
 */
import t from 'tap';
import { arrayValueJson, kvListJson, spanMessageJson, spanMessageWithLp } from '../src/datakit/protojson.js';
import type { KeyValue, Span } from '../src/otlp/model.js';

const TEXTS = [
  '',
  'plain',
  'quote " and backslash \\',
  'newline \n tab \t nul \u0000 unit-separator \u001f',
  'emoji 😀 and é 中文',
  'lone high \ud83d',
  '\ude00 lone low',
  'reversed \ude00\ud83d',
  // The edges of NEEDS_ESCAPE's safe ranges: space ! # [ ] ~ DEL, the last units before and after the surrogates.
  ' !#[]~\u007f \u2028 \ud7ff \ue000 \uffff',
  'x'.repeat(70_000) + '"',
];

t.test('string attributes: every key/value escaping combination', async (t) => {
  for (const key of TEXTS) {
    for (const value of TEXTS) {
      const kv: KeyValue = { key, value: { kind: 'string', value } };
      const expected = JSON.stringify({ values: [key === '' ? { value: { stringValue: value } } : { key, value: { stringValue: value } }] });
      if (kvListJson([kv]) !== expected) t.fail(`key ${JSON.stringify(key.slice(0, 20))}, value ${JSON.stringify(value.slice(0, 20))}`);
    }
  }
  t.pass('all combinations match');
});

t.test('attribute shapes: empty key, no value, empty value, nested values', async (t) => {
  const kvs: KeyValue[] = [
    { key: 'no value', value: undefined },
    { key: '', value: undefined },
    { key: 'empty', value: { kind: 'empty' } },
    { key: 'q"', value: { kind: 'int', value: -5n } },
    { key: 'b', value: { kind: 'bool', value: false } },
    { key: 'arr', value: { kind: 'array', values: [{ kind: 'string', value: 'a"' }, { kind: 'double', value: 1.5 }] } },
    { key: 'kv', value: { kind: 'kvlist', values: [{ key: 'in"ner', value: { kind: 'bytes', value: Uint8Array.of(1, 2, 255) } }] } },
  ];
  t.equal(
    kvListJson(kvs),
    '{"values":[{"key":"no value"},{},{"key":"empty","value":{}},{"key":"q\\"","value":{"intValue":"-5"}},' +
      '{"key":"b","value":{"boolValue":false}},' +
      '{"key":"arr","value":{"arrayValue":{"values":[{"stringValue":"a\\""},{"doubleValue":1.5}]}}},' +
      '{"key":"kv","value":{"kvlistValue":{"values":[{"key":"in\\"ner","value":{"bytesValue":"AQL/"}}]}}}]}',
  );
  t.equal(kvListJson([]), '{}');
  t.equal(arrayValueJson([]), '{}');
});

t.test('span message: every member, in declaration order, zero values left out', async (t) => {
  const span: Span = {
    traceId: Uint8Array.of(1, 2),
    spanId: Uint8Array.of(3),
    traceState: 'ts"',
    parentSpanId: new Uint8Array(0),
    flags: 1,
    name: 'op',
    kind: 2,
    startTimeUnixNano: 10n,
    endTimeUnixNano: 0n,
    attributes: [],
    droppedAttributesCount: 1,
    events: [
      { timeUnixNano: 5n, name: 'exception', attributes: [], droppedAttributesCount: 0 },
      { timeUnixNano: 0n, name: '', attributes: [{ key: 'e', value: { kind: 'string', value: 'v' } }], droppedAttributesCount: 2 },
    ],
    droppedEventsCount: 0,
    links: [{ traceId: new Uint8Array(0), spanId: Uint8Array.of(9), traceState: '', attributes: [], droppedAttributesCount: 0, flags: 0 }],
    droppedLinksCount: 3,
    status: { message: '', code: 7 },
  };
  const attributes: KeyValue[] = [{ key: 'a', value: { kind: 'string', value: 'x' } }];
  t.equal(
    spanMessageJson(span, { clean: false, attributes, consumedEvent: 0 }),
    '{"traceId":"AQI=","spanId":"Aw==","traceState":"ts\\"","name":"op","kind":"SPAN_KIND_SERVER","startTimeUnixNano":"10",' +
      '"attributes":[{"key":"a","value":{"stringValue":"x"}}],"droppedAttributesCount":1,' +
      '"events":[{},{"attributes":[{"key":"e","value":{"stringValue":"v"}}],"droppedAttributesCount":2}],' +
      '"links":[{"spanId":"CQ=="}],"droppedLinksCount":3,"status":{"code":7}}',
  );
  t.equal(
    spanMessageJson(span, { clean: true, attributes: [], consumedEvent: -1 }),
    '{"traceState":"ts\\"","droppedAttributesCount":1,' +
      '"events":[{"timeUnixNano":"5","name":"exception"},{"attributes":[{"key":"e","value":{"stringValue":"v"}}],"droppedAttributesCount":2}],' +
      '"links":[{"spanId":"CQ=="}],"droppedLinksCount":3}',
  );
});

/** §9.2 string field escaping, the plain way, as the oracle of the message's ready-made line-protocol form. */
const lpOf = (json: string): string => '"' + json.replaceAll('\\', '\\\\').replaceAll('"', '\\"') + '"';

t.test('span message with its line-protocol form: the same JSON, and exactly its §9.2 escaping', async (t) => {
  const anyValues = (text: string) => [
    { kind: 'string' as const, value: text },
    { kind: 'int' as const, value: -9007199254740993n },
    { kind: 'double' as const, value: Number.NaN },
    { kind: 'double' as const, value: -Infinity },
    { kind: 'double' as const, value: 1e-7 },
    { kind: 'bool' as const, value: true },
    { kind: 'bytes' as const, value: Uint8Array.of(0, 255) },
    { kind: 'empty' as const },
    { kind: 'array' as const, values: [{ kind: 'string' as const, value: text }] },
    { kind: 'kvlist' as const, values: [{ key: text, value: { kind: 'string' as const, value: text } }, { key: text, value: undefined }] },
  ];
  let checked = 0;
  for (const text of TEXTS.map((s) => s.slice(0, 200))) {
    const attributes: KeyValue[] = anyValues(text).map((value, i) => ({ key: i % 2 ? text : `k${i}`, value }));
    const span: Span = {
      traceId: Uint8Array.of(1, 2, 3),
      spanId: Uint8Array.of(4),
      traceState: text,
      parentSpanId: Uint8Array.of(5),
      flags: 0,
      name: text,
      kind: text.length % 9, // unknown kinds (> 5) are numbers
      startTimeUnixNano: 1n,
      endTimeUnixNano: 2n,
      attributes: [],
      droppedAttributesCount: 3,
      events: [
        { timeUnixNano: 7n, name: text, attributes, droppedAttributesCount: 1 },
        { timeUnixNano: 8n, name: 'exception', attributes: [], droppedAttributesCount: 0 },
      ],
      droppedEventsCount: 4,
      links: [{ traceId: Uint8Array.of(6), spanId: new Uint8Array(0), traceState: text, attributes, droppedAttributesCount: 2, flags: 0 }],
      droppedLinksCount: 5,
      status: { message: text, code: text.length % 4 },
    };
    for (const opts of [
      { clean: false, attributes, consumedEvent: 1 },
      { clean: true, attributes: [], consumedEvent: -1 },
    ]) {
      const json = spanMessageJson(span, opts);
      const both = spanMessageWithLp(span, opts);
      if (both.json !== json) t.fail(`json differs for ${JSON.stringify(text.slice(0, 20))}`);
      if (both.lp !== lpOf(json)) t.fail(`lp differs for ${JSON.stringify(text.slice(0, 20))}`);
      JSON.parse(json); // well-formed
      checked++;
    }
  }
  t.equal(checked, TEXTS.length * 2);
});
