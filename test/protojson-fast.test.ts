/**
 * protojson.ts writes its JSON by appending to strings, with a shortcut for the usual attribute (a key and a string
 * needing no escapes). For the shapes below Go's protojson output is exactly what JSON.stringify makes of the same
 * object (keys in declaration order, strings escaped alike: `"`, `\`, controls, lone surrogates), so it is the oracle.
 */
import t from 'tap';
import { arrayValueJson, kvListJson, spanMessageJson } from '../src/datakit/protojson.js';
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
