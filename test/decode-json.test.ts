/**
 * OTLP/JSON → model (src/otlp/decode-json.ts): receiver §1.8 J1–J6, checklist 27–33, and DataKit's own reading in
 * strictDatakit mode (datakit reference §3.5, Q1, Q2). The protobuf/JSON equivalence on real SDK requests lives in
 * decode-protobuf.test.ts.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { DecodeError } from '../src/otlp/decode-error.js';
import { decodeLogsJson, decodeMetricsJson, decodeTracesJson, type JsonDecodeOptions } from '../src/otlp/decode-json.js';
import { quoteBigIntegers } from '../src/otlp/json-text.js';
import { decodeRequest } from '../src/otlp/decode.js';
import type { AnyValue, Span } from '../src/otlp/model.js';
import { EMPTY_BYTES, EMPTY_LOG_RECORD, EMPTY_SPAN, firstSpan, iv, kv, sv } from './helpers/model-build.js';

const SPEC: JsonDecodeOptions = { strictDatakit: false, maxDepth: 100 };
const STRICT: JsonDecodeOptions = { strictDatakit: true, maxDepth: 100 };
const b = (h: string): Buffer => Buffer.from(h, 'hex');
const text = (s: string): Buffer => Buffer.from(s, 'utf8');
const example = (name: string): Buffer => readFileSync(new URL(`./fixtures/otlp-examples/${name}`, import.meta.url));

/** A traces request with one span given as JSON text (and optional extra ResourceSpans keys). */
const spanJson = (span: string, resourceSpans = ''): Buffer =>
  text(`{"resourceSpans":[{${resourceSpans}"scopeSpans":[{"spans":[${span}]}]}]}`);
const decodeSpan = (span: string, opts = SPEC): Span => firstSpan(decodeTracesJson(spanJson(span), opts));
const attrJson = (value: string): string => `{"attributes":[{"key":"a","value":${value}}]}`;
const decodeAttr = (value: string, opts = SPEC): AnyValue | undefined => decodeSpan(attrJson(value), opts).attributes[0].value;

const MY_SERVICE = { attributes: [kv('service.name', sv('my.service'))], droppedAttributesCount: 0 };
const MY_LIBRARY = { name: 'my.library', version: '1.0.0', attributes: [kv('my.scope.attribute', sv('some scope attribute'))], droppedAttributesCount: 0 };

t.test('the opentelemetry-proto examples decode (checklist 33)', async (t) => {
  t.test('trace.json: uppercase hex ids, int64 literals', async (t) => {
    t.strictSame(decodeTracesJson(example('trace.json'), SPEC), {
      resourceSpans: [
        {
          resource: MY_SERVICE,
          scopeSpans: [
            {
              scope: MY_LIBRARY,
              spans: [
                {
                  ...EMPTY_SPAN,
                  traceId: b('5b8efff798038103d269b633813fc60c'),
                  spanId: b('eee19b7ec3c1b174'),
                  parentSpanId: b('eee19b7ec3c1b173'),
                  name: "I'm a server span",
                  kind: 2,
                  startTimeUnixNano: 1544712660000000000n,
                  endTimeUnixNano: 1544712661000000000n,
                  attributes: [kv('my.span.attr', sv('some value'))],
                },
              ],
              schemaUrl: '',
            },
          ],
          schemaUrl: '',
        },
      ],
    });
  });

  t.test('metrics.json', async (t) => {
    const T = 1544712660300000000n;
    const attr = (name: string) => [kv(`my.${name}.attr`, sv('some value'))];
    t.strictSame(decodeMetricsJson(example('metrics.json'), SPEC), {
      resourceMetrics: [
        {
          resource: MY_SERVICE,
          scopeMetrics: [
            {
              scope: MY_LIBRARY,
              metrics: [
                {
                  name: 'my.counter',
                  description: 'I am a Counter',
                  unit: '1',
                  data: {
                    type: 'sum',
                    dataPoints: [
                      { attributes: attr('counter'), startTimeUnixNano: T, timeUnixNano: T, value: { kind: 'double', value: 5 }, exemplars: [], flags: 0 },
                    ],
                    aggregationTemporality: 1,
                    isMonotonic: true,
                  },
                  metadata: [],
                },
                {
                  name: 'my.gauge',
                  description: 'I am a Gauge',
                  unit: '1',
                  data: {
                    type: 'gauge',
                    dataPoints: [
                      { attributes: attr('gauge'), startTimeUnixNano: 0n, timeUnixNano: T, value: { kind: 'double', value: 10 }, exemplars: [], flags: 0 },
                    ],
                  },
                  metadata: [],
                },
                {
                  name: 'my.histogram',
                  description: 'I am a Histogram',
                  unit: '1',
                  data: {
                    type: 'histogram',
                    dataPoints: [
                      {
                        attributes: attr('histogram'),
                        startTimeUnixNano: T,
                        timeUnixNano: T,
                        count: 2n,
                        sum: 2,
                        bucketCounts: [1n, 1n],
                        explicitBounds: [1],
                        exemplars: [],
                        flags: 0,
                        min: 0,
                        max: 2,
                      },
                    ],
                    aggregationTemporality: 1,
                  },
                  metadata: [],
                },
              ],
              schemaUrl: '',
            },
          ],
          schemaUrl: '',
        },
      ],
    });
  });

  t.test('logs.json: every AnyValue kind', async (t) => {
    const logs = decodeLogsJson(example('logs.json'), SPEC);
    t.strictSame(logs.resourceLogs[0].resource, MY_SERVICE);
    t.strictSame(logs.resourceLogs[0].scopeLogs[0].logRecords, [
      {
        ...EMPTY_LOG_RECORD,
        timeUnixNano: 1544712660300000000n,
        observedTimeUnixNano: 1544712660300000000n,
        severityText: 'Information',
        body: sv('Example log record'),
        attributes: [
          kv('string.attribute', sv('some string')),
          kv('boolean.attribute', { kind: 'bool', value: true }),
          kv('int.attribute', iv(10n)),
          kv('double.attribute', { kind: 'double', value: 637.704 }),
          kv('array.attribute', { kind: 'array', values: [sv('many'), sv('values')] }),
          kv('map.attribute', { kind: 'kvlist', values: [kv('some.map.key', sv('some value'))] }),
        ],
        traceId: b('5b8efff798038103d269b633813fc60c'),
        spanId: b('eee19b7ec3c1b174'),
      },
    ]);
  });

  t.test('events.json: eventName, kvlist body, int64 strings', async (t) => {
    const logs = decodeLogsJson(example('events.json'), SPEC);
    t.strictSame(logs.resourceLogs[0].scopeLogs[0].logRecords, [
      {
        ...EMPTY_LOG_RECORD,
        timeUnixNano: 1544712660300000000n,
        observedTimeUnixNano: 1544712660300000000n,
        severityNumber: 9,
        severityText: 'test severity text',
        body: {
          kind: 'kvlist',
          values: [
            kv('type', iv(0n)),
            kv('url', sv('https://www.guidgenerator.com/online-guid-generator.aspx')),
            kv('referrer', sv('https://wwww.google.com')),
            kv('title', sv('Free Online GUID Generator')),
          ],
        },
        attributes: [kv('event.attribute', sv('some event attribute'))],
        eventName: 'browser.page_view',
      },
    ]);
  });
});

t.test('ids (J1, checklist 27)', async (t) => {
  t.strictSame(
    decodeSpan('{"traceId":"5b8efff798038103D269B633813FC60C","spanId":"eee19b7ec3c1b174","parentSpanId":""}'),
    { ...EMPTY_SPAN, traceId: b('5b8efff798038103d269b633813fc60c'), spanId: b('eee19b7ec3c1b174') },
    'mixed case hex; "" is an absent id',
  );
  t.strictSame(decodeSpan('{"traceId":null}').traceId, EMPTY_BYTES, 'null is absent');
  t.throws(
    () => decodeSpan('{"traceId":"5b8efff798038103d269b633813fc6"}'),
    new DecodeError('resourceSpans[0].scopeSpans[0].spans[0].traceId: expected 32 hex digits, got 30'),
  );
  t.throws(
    () => decodeTracesJson(spanJson('{}, {"links":[{"spanId":"eee19b7ec3c1b17g"}]}'), SPEC),
    new DecodeError('resourceSpans[0].scopeSpans[0].spans[1].links[0].spanId: expected 16 hex digits, got non-hex characters'),
  );
  t.throws(
    () => decodeSpan('{"parentSpanId":"W47/l4A4EDTSabYzgT/GDA=="}'),
    new DecodeError('resourceSpans[0].scopeSpans[0].spans[0].parentSpanId: expected 16 hex digits, got 24'),
    'base64 ids are refused (Collector #8720)',
  );
  t.throws(() => decodeSpan('{"spanId":5}'), new DecodeError('resourceSpans[0].scopeSpans[0].spans[0].spanId: expected a hex string, got 5'));
  const logs = decodeLogsJson(text('{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"0AF7651916CD43DD8448EB211C80319C","spanId":"B7AD6B7169203331"}]}]}]}'), SPEC);
  t.strictSame(
    [logs.resourceLogs[0].scopeLogs[0].logRecords[0].traceId, logs.resourceLogs[0].scopeLogs[0].logRecords[0].spanId],
    [b('0af7651916cd43dd8448eb211c80319c'), b('b7ad6b7169203331')],
  );
  const metrics = decodeMetricsJson(
    text('{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{"dataPoints":[{"exemplars":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","asInt":"7"}]}]}}]}]}]}'),
    SPEC,
  );
  const data = metrics.resourceMetrics[0].scopeMetrics[0].metrics[0].data;
  if (data?.type !== 'gauge') throw new Error('gauge expected');
  t.strictSame(data.dataPoints[0].exemplars, [
    { filteredAttributes: [], timeUnixNano: 0n, value: { kind: 'int', value: 7n }, spanId: b('b7ad6b7169203331'), traceId: b('0af7651916cd43dd8448eb211c80319c') },
  ]);
});

t.test('snake_case keys decode like lowerCamelCase (J4)', async (t) => {
  const camel =
    '{"resourceSpans":[{"schemaUrl":"s","resource":{"droppedAttributesCount":1},"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c",' +
    '"parentSpanId":"eee19b7ec3c1b174","traceState":"a=b","startTimeUnixNano":"1","endTimeUnixNano":"2","droppedEventsCount":3,' +
    '"attributes":[{"key":"k","value":{"kvlistValue":{"values":[{"key":"x","value":{"stringValue":"y","boolValue":true}}]}}},' +
    '{"key":"a","value":{"arrayValue":{"values":[{"intValue":"1"},{"doubleValue":2.5},{"bytesValue":"AQ=="}]}}}],' +
    '"events":[{"timeUnixNano":"3","droppedAttributesCount":4}],"links":[{"spanId":"eee19b7ec3c1b174","droppedAttributesCount":5}]}]}]}]}';
  const snake = camel.replace(/"([a-z]+)([A-Z][A-Za-z]*)":/g, (_m, head: string, rest: string) => `"${head}${rest.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}":`);
  t.not(snake, camel);
  t.match(snake, /"resource_spans":.*"trace_id":.*"start_time_unix_nano":.*"kvlist_value":.*"string_value":/);
  const decoded = decodeTracesJson(text(snake), SPEC);
  t.strictSame(decoded, decodeTracesJson(text(camel), SPEC));
  t.strictSame(firstSpan(decoded).attributes[0], kv('k', { kind: 'kvlist', values: [kv('x', { kind: 'bool', value: true })] }), 'the oneof member set last wins');
});

t.test('enums: integers or names (J2)', async (t) => {
  t.strictSame(
    [decodeSpan('{"kind":"SPAN_KIND_SERVER","status":{"code":"STATUS_CODE_ERROR"}}'), decodeSpan('{"kind":"3","status":{"code":2}}')].map((s) => [s.kind, s.status]),
    [
      [2, { message: '', code: 2 }],
      [3, { message: '', code: 2 }],
    ],
  );
  t.equal(decodeSpan('{"kind":42}').kind, 42, 'an unknown number passes (open enum)');
  t.throws(() => decodeSpan('{"kind":"SERVER"}'), new DecodeError('resourceSpans[0].scopeSpans[0].spans[0].kind: unknown enum value "SERVER"'));
  const logs = decodeLogsJson(text('{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":"SEVERITY_NUMBER_WARN"}]}]}]}'), SPEC);
  t.equal(logs.resourceLogs[0].scopeLogs[0].logRecords[0].severityNumber, 13);
  const metrics = decodeMetricsJson(text('{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_CUMULATIVE"}}]}]}]}'), SPEC);
  t.strictSame(metrics.resourceMetrics[0].scopeMetrics[0].metrics[0].data, { type: 'sum', dataPoints: [], aggregationTemporality: 2, isMonotonic: false });
});

t.test('64-bit integers: string or number, exact (J5, checklist 28)', async (t) => {
  t.strictSame(decodeAttr('{"intValue":"9223372036854775807"}'), iv(9223372036854775807n), 'string: exact');
  t.strictSame(decodeAttr('{"intValue":9007199254740993}'), iv(9007199254740993n), 'big literal: exact thanks to the pre-scan');
  t.strictSame(decodeAttr('{"intValue":-9223372036854775808}'), iv(-9223372036854775808n));
  t.strictSame(decodeAttr('{"intValue":42}'), iv(42n));
  t.strictSame(decodeAttr('{"intValue":1e3}'), iv(1000n), 'an integral number in exponent form');
  const span = decodeSpan('{"startTimeUnixNano":18446744073709551615,"endTimeUnixNano":"1700000000123456789"}');
  t.strictSame([span.startTimeUnixNano, span.endTimeUnixNano], [18446744073709551615n, 1700000000123456789n]);
  const path = 'resourceSpans[0].scopeSpans[0].spans[0]';
  t.throws(() => decodeSpan('{"startTimeUnixNano":"-1"}'), new DecodeError(`${path}.startTimeUnixNano: integer "-1" out of range [0, 18446744073709551615]`));
  t.throws(() => decodeSpan('{"startTimeUnixNano":18446744073709551616}'), new DecodeError(`${path}.startTimeUnixNano: integer "18446744073709551616" out of range [0, 18446744073709551615]`));
  t.throws(() => decodeAttr('{"intValue":"9223372036854775808"}'), new DecodeError(`${path}.attributes[0].value.intValue: integer "9223372036854775808" out of range [-9223372036854775808, 9223372036854775807]`));
  t.throws(() => decodeAttr('{"intValue":"1.5"}'), new DecodeError(`${path}.attributes[0].value.intValue: expected an integer, got "1.5"`));
  t.throws(() => decodeAttr('{"intValue":"0x10"}'), new DecodeError(`${path}.attributes[0].value.intValue: expected an integer, got "0x10"`));
  t.throws(() => decodeAttr('{"intValue":""}'), new DecodeError(`${path}.attributes[0].value.intValue: expected an integer, got ""`));
  t.throws(() => decodeAttr('{"intValue":true}'), new DecodeError(`${path}.attributes[0].value.intValue: expected an integer, got true`));
  const metrics = decodeMetricsJson(text('{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"histogram":{"dataPoints":[{"count":"3","bucketCounts":[1,"18446744073709551615",12345678901234567890]}]}}]}]}]}'), SPEC);
  const data = metrics.resourceMetrics[0].scopeMetrics[0].metrics[0].data;
  if (data?.type !== 'histogram') throw new Error('histogram expected');
  t.strictSame([data.dataPoints[0].count, data.dataPoints[0].bucketCounts], [3n, [1n, 18446744073709551615n, 12345678901234567890n]]);
});

t.test('32-bit integers: number or decimal string, range-checked (J6)', async (t) => {
  const span = decodeSpan('{"droppedAttributesCount":"4294967295","flags":257}');
  t.strictSame([span.droppedAttributesCount, span.flags], [4294967295, 257]);
  t.throws(() => decodeSpan('{"droppedLinksCount":-1}'), new DecodeError('resourceSpans[0].scopeSpans[0].spans[0].droppedLinksCount: integer -1 out of range [0, 4294967295]'));
  t.throws(() => decodeSpan('{"droppedLinksCount":1.5}'), new DecodeError('resourceSpans[0].scopeSpans[0].spans[0].droppedLinksCount: expected an integer, got 1.5'));
  const metrics = decodeMetricsJson(text('{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"exponentialHistogram":{"dataPoints":[{"scale":"-3","negative":{"offset":-7}}]}}]}]}]}'), SPEC);
  const data = metrics.resourceMetrics[0].scopeMetrics[0].metrics[0].data;
  if (data?.type !== 'exponentialHistogram') throw new Error('exponentialHistogram expected');
  t.strictSame([data.dataPoints[0].scale, data.dataPoints[0].negative], [-3, { offset: -7, bucketCounts: [] }]);
});

t.test('doubles: numbers, numeric strings, NaN and infinities (J6, checklist 31)', async (t) => {
  const values = ['0.25', '"NaN"', '"Infinity"', '"-Infinity"', '"-1.5e3"', '12345678901234567', '-0'].map((v) => decodeAttr(`{"doubleValue":${v}}`));
  t.strictSame(values, [0.25, NaN, Infinity, -Infinity, -1500, 12345678901234568, -0].map((value) => ({ kind: 'double', value })));
  t.throws(() => decodeAttr('{"doubleValue":"nan"}'), new DecodeError('resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.doubleValue: expected a number, got "nan"'));
  t.throws(() => decodeAttr('{"doubleValue":"toString"}'), DecodeError);
  t.throws(() => decodeAttr('{"doubleValue":""}'), DecodeError);
  const metrics = decodeMetricsJson(text('{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"histogram":{"dataPoints":[{"sum":"NaN","explicitBounds":["1",2.5,"Infinity"],"max":0}]}}]}]}]}'), SPEC);
  const data = metrics.resourceMetrics[0].scopeMetrics[0].metrics[0].data;
  if (data?.type !== 'histogram') throw new Error('histogram expected');
  const p = data.dataPoints[0];
  t.strictSame([p.sum, p.explicitBounds, p.min, p.max], [NaN, [1, 2.5, Infinity], undefined, 0], 'optional doubles: absent vs 0');
});

t.test('bytesValue is base64, standard or URL-safe, padded or not (checklist 32)', async (t) => {
  for (const encoded of ['AP+/', 'AP-_', 'AP8', 'AP8=']) {
    t.strictSame(decodeAttr(`{"bytesValue":"${encoded}"}`), { kind: 'bytes', value: b(encoded.startsWith('AP8') ? '00ff' : '00ffbf') }, encoded);
  }
  t.strictSame(decodeAttr('{"bytesValue":""}'), { kind: 'bytes', value: EMPTY_BYTES });
  const path = 'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.bytesValue';
  for (const bad of ['AP+_', 'A', 'AP8==', '00ff!', 'A===']) t.throws(() => decodeAttr(`{"bytesValue":"${bad}"}`), new DecodeError(`${path}: invalid base64 "${bad}"`), bad);
});

t.test('presence and null (J6)', async (t) => {
  const req = decodeTracesJson(text('{"resourceSpans":[{"scopeSpans":[{"spans":[{"status":null},{"status":{}}]},{"scope":{}}]},{"resource":null,"scopeSpans":null}]}'), SPEC);
  t.strictSame(req, {
    resourceSpans: [
      {
        resource: undefined,
        scopeSpans: [
          { scope: undefined, spans: [EMPTY_SPAN, { ...EMPTY_SPAN, status: { message: '', code: 0 } }], schemaUrl: '' },
          { scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 }, spans: [], schemaUrl: '' },
        ],
        schemaUrl: '',
      },
      { resource: undefined, scopeSpans: [], schemaUrl: '' },
    ],
  });
  t.strictSame(
    decodeSpan('{"attributes":[{"key":"none"},{"key":"null","value":null},{"key":"empty","value":{}},{"key":"nulls","value":{"stringValue":null}}]}').attributes,
    [kv('none', undefined), kv('null', undefined), kv('empty', { kind: 'empty' }), kv('nulls', { kind: 'empty' })],
  );
  const logs = decodeLogsJson(text('{"resourceLogs":[{"scopeLogs":[{"logRecords":[{},{"body":{}},{"body":null}]}]}]}'), SPEC);
  t.strictSame(logs.resourceLogs[0].scopeLogs[0].logRecords.map((r) => r.body), [undefined, { kind: 'empty' }, undefined]);
  t.strictSame(decodeTracesJson(text('{}'), SPEC), { resourceSpans: [] }, 'an empty request');
  t.throws(() => decodeTracesJson(text('{"resourceSpans":[null]}'), SPEC), new DecodeError('resourceSpans[0]: expected an object, got null'), 'null is no list element');
});

t.test('unknown keys are ignored at every level (J3)', async (t) => {
  const withUnknown = text(
    '{"extra":{"deep":[[[1]]]},"resourceSpans":[{"x":1,"resource":{"entityRefs":[{"type":"t"}],"y":[]},"scopeSpans":[{"scope":{"z":null},' +
      '"spans":[{"flags":1,"__proto__":{"name":"polluted"},"name":"s","attributes":[{"key":"k","value":{"stringValue":"v","w":2},"v":3}],' +
      '"events":[{"name":"e","q":1}],"links":[{"flags":2,"r":1}],"status":{"s":1}}]}]}]}',
  );
  const plain = text('{"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{},"spans":[{"flags":1,"name":"s","attributes":[{"key":"k","value":{"stringValue":"v"}}],"events":[{"name":"e"}],"links":[{"flags":2}],"status":{}}]}]}]}');
  const decoded = decodeTracesJson(withUnknown, SPEC);
  t.strictSame(decoded, decodeTracesJson(plain, SPEC));
  t.strictSame([firstSpan(decoded).flags, firstSpan(decoded).links[0].flags, firstSpan(decoded).name], [1, 2, 's'], 'newer fields are read in spec mode');
  t.equal(({} as Record<string, unknown>).name, undefined, 'no prototype pollution');
});

t.test('wrong types are errors naming the path', async (t) => {
  const cases: Array<[string, string]> = [
    ['{"resourceSpans":5}', 'resourceSpans: expected an array, got 5'],
    ['{"resourceSpans":[{"scopeSpans":[{"spans":5}]}]}', 'resourceSpans[0].scopeSpans[0].spans: expected an array, got 5'],
    ['{"resourceSpans":[{"resource":{"attributes":"x"}}]}', 'resourceSpans[0].resource.attributes: expected an array, got "x"'],
    ['{"resourceSpans":[{"resource":[]}]}', 'resourceSpans[0].resource: expected an object, got an array'],
    ['{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":7}]}]}]}', 'resourceSpans[0].scopeSpans[0].spans[0].name: expected a string, got 7'],
    ['{"resource_spans":[{"scope_spans":[{"spans":[{"attributes":[{"key":"k","value":{"bool_value":"true"}}]}]}]}]}', 'resource_spans[0].scope_spans[0].spans[0].attributes[0].value.bool_value: expected true or false, got "true"'],
  ];
  for (const [json, message] of cases) t.throws(() => decodeTracesJson(text(json), SPEC), new DecodeError(message), json);
});

t.test('not JSON, not UTF-8, not an object', async (t) => {
  t.throws(() => decodeTracesJson(Buffer.from([0x7b, 0xff, 0x7d]), SPEC), new DecodeError('invalid JSON ExportTraceServiceRequest: the body is not valid UTF-8'));
  t.throws(() => decodeTracesJson(text('{"resourceSpans":[{'), SPEC), new DecodeError("invalid JSON ExportTraceServiceRequest: Expected property name or '}' in JSON at position 19"));
  t.throws(() => decodeMetricsJson(text('[]'), SPEC), new DecodeError('invalid JSON ExportMetricsServiceRequest: expected an object at the top level, got an array'));
  t.throws(() => decodeLogsJson(text('null'), SPEC), new DecodeError('invalid JSON ExportLogsServiceRequest: expected an object at the top level, got null'));
  t.throws(() => decodeLogsJson(new Uint8Array(0), SPEC), new DecodeError('invalid JSON ExportLogsServiceRequest: Unexpected end of JSON input'));
});

t.test('AnyValue nesting is bounded by maxDepth (checklist 32)', async (t) => {
  const nested = (levels: number, via: 'array' | 'kvlist'): string => {
    let value = '{"stringValue":"leaf"}';
    for (let i = 1; i < levels; i++) value = via === 'array' ? `{"arrayValue":{"values":[${value}]}}` : `{"kvlistValue":{"values":[{"key":"k","value":${value}}]}}`;
    return value;
  };
  const attrPath = 'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value';
  const step = { array: '.arrayValue.values[0]', kvlist: '.kvlistValue.values[0].value' };
  for (const via of ['array', 'kvlist'] as const) {
    t.equal(decodeAttr(nested(100, via))?.kind, via, `${via}: 100 levels decode`);
    t.throws(
      () => decodeAttr(nested(101, via)),
      new DecodeError(`${attrPath}${step[via].repeat(100)}: AnyValue nested deeper than 100 levels (arrayValue/kvlistValue)`),
      `${via}: 101 refused`,
    );
  }
  t.throws(
    () => decodeAttr(nested(3, 'array'), { ...SPEC, maxDepth: 2 }),
    new DecodeError('resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.arrayValue.values[0].arrayValue.values[0]: AnyValue nested deeper than 2 levels (arrayValue/kvlistValue)'),
  );
  // A document far deeper than any limit: refused without exhausting the stack.
  const deep = `{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":${'{"arrayValue":{"values":['.repeat(200_000)}${']}}'.repeat(200_000)}}]}}]}`;
  t.throws(
    () => decodeTracesJson(text(deep), SPEC),
    new DecodeError(`resourceSpans[0].resource.attributes[0].value${step.array.repeat(100)}: AnyValue nested deeper than 100 levels (arrayValue/kvlistValue)`),
  );
  t.doesNotThrow(() => decodeTracesJson(text(`{"unknown":${'['.repeat(200_000)}${']'.repeat(200_000)}}`), SPEC), 'deep unknown JSON is skipped, not walked');
});

t.test('quoteBigIntegers: only unquoted integer literals of 16+ digits', async (t) => {
  t.equal(quoteBigIntegers('{"a":123456789012345}'), '{"a":123456789012345}', '15 digits: no scan');
  t.equal(
    quoteBigIntegers('{"a":1234567890123456,"b":[-12345678901234567890, 1.2345678901234567e5,12345678901234567.5,12345678901234567E2]}'),
    '{"a":"1234567890123456","b":["-12345678901234567890", 1.2345678901234567e5,12345678901234567.5,12345678901234567E2]}',
  );
  t.equal(
    quoteBigIntegers('{"s":"x\\":1234567890123456789","t":"\\\\","u":12345678901234567}'),
    '{"s":"x\\":1234567890123456789","t":"\\\\","u":"12345678901234567"}',
    'escaped quotes and backslashes inside strings',
  );
  t.equal(quoteBigIntegers('{"a" : \n 12345678901234567 }'), '{"a" : \n "12345678901234567" }');
});

t.test('strictDatakit: DataKit 1.84 reading (Q1, Q2)', async (t) => {
  t.test('ids are base64 (Q1)', async (t) => {
    const span = decodeSpan('{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":""}', STRICT);
    t.strictSame(
      [span.traceId, span.spanId, span.parentSpanId],
      [b('e5bf1e7df7fbf7cd37f35d37776ebd6fadf7f35ddf73ad1c'), b('79e7b5f5bede7377356f5ef8'), EMPTY_BYTES],
    );
    t.strictSame(decodeSpan('{"traceId":"W47_95gDgQPSabYzgT_GDA"}', STRICT).traceId, b('5b8efff798038103d269b633813fc60c'), 'URL-safe, unpadded');
    t.throws(() => decodeSpan('{"spanId":"eee19b7e!"}', STRICT), new DecodeError('resourceSpans[0].scopeSpans[0].spans[0].spanId: invalid base64 "eee19b7e!"'));
    const logs = decodeLogsJson(example('logs.json'), STRICT);
    t.strictSame(Buffer.from(logs.resourceLogs[0].scopeLogs[0].logRecords[0].spanId), Buffer.from('EEE19B7EC3C1B174', 'base64'));
  });

  t.test('unknown keys and newer fields are rejected (Q2)', async (t) => {
    t.throws(() => decodeSpan('{"flags":1}', STRICT), new DecodeError('resourceSpans[0].scopeSpans[0].spans[0]: unknown field "flags" in Span (not in DataKit 1.84\'s OTLP schema)'));
    t.throws(() => decodeSpan('{"links":[{"flags":0}]}', STRICT), new DecodeError('resourceSpans[0].scopeSpans[0].spans[0].links[0]: unknown field "flags" in Span.Link (not in DataKit 1.84\'s OTLP schema)'));
    t.throws(() => decodeSpan('{"name":"x","extra":1}', STRICT), new DecodeError('resourceSpans[0].scopeSpans[0].spans[0]: unknown field "extra" in Span'));
    t.throws(() => decodeTracesJson(text('{"resourceSpans":[],"x":null}'), STRICT), new DecodeError('unknown field "x" in ExportTraceServiceRequest'));
    t.throws(() => decodeLogsJson(example('events.json'), STRICT), new DecodeError('resourceLogs[0].scopeLogs[0].logRecords[0]: unknown field "eventName" in LogRecord (not in DataKit 1.84\'s OTLP schema)'));
    t.throws(
      () => decodeMetricsJson(text('{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"metadata":[]}]}]}]}'), STRICT),
      new DecodeError('resourceMetrics[0].scopeMetrics[0].metrics[0]: unknown field "metadata" in Metric (not in DataKit 1.84\'s OTLP schema)'),
    );
    t.throws(
      () => decodeMetricsJson(text('{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"exponentialHistogram":{"dataPoints":[{"zero_threshold":0}]}}]}]}]}'), STRICT),
      new DecodeError('resourceMetrics[0].scopeMetrics[0].metrics[0].exponentialHistogram.dataPoints[0]: unknown field "zero_threshold" in ExponentialHistogramDataPoint (not in DataKit 1.84\'s OTLP schema)'),
    );
    t.throws(() => decodeTracesJson(text('{"resourceSpans":[{"resource":{"entityRefs":[]}}]}'), STRICT), new DecodeError('resourceSpans[0].resource: unknown field "entityRefs" in Resource (not in DataKit 1.84\'s OTLP schema)'));
  });

  t.test('everything else reads the same as spec mode', async (t) => {
    const json = example('metrics.json');
    t.strictSame(decodeMetricsJson(json, STRICT), decodeMetricsJson(json, SPEC));
    const snakeEnums = spanJson('{"kind":"SPAN_KIND_CLIENT","start_time_unix_nano":12345678901234567890,"status":{"code":"STATUS_CODE_OK"}}');
    t.strictSame(decodeTracesJson(snakeEnums, STRICT), decodeTracesJson(snakeEnums, SPEC));
  });
});

t.test('onDataKitDifference: once per reason per request, spec mode only', async (t) => {
  const reasonsFor = (json: Buffer, opts: JsonDecodeOptions = SPEC): string[] => {
    const reasons: string[] = [];
    decodeTracesJson(json, { ...opts, onDataKitDifference: (r) => reasons.push(r) });
    return reasons;
  };
  const json = spanJson(
    '{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","flags":1,"foo":1,"bar":2},{"flags":0,"parentSpanId":"","links":[{"flags":1}]}',
  );
  t.strictSame(reasonsFor(json), [
    'JSON ids are hex: DataKit 1.84 decodes them as base64',
    'unknown JSON field Span.flags: DataKit 1.84 rejects it',
    'unknown JSON field in Span: DataKit 1.84 rejects it',
    'unknown JSON field Span.Link.flags: DataKit 1.84 rejects it',
  ]);
  t.strictSame(reasonsFor(json), reasonsFor(json), 'again for the next request');
  t.strictSame(reasonsFor(example('trace.json')), ['JSON ids are hex: DataKit 1.84 decodes them as base64']);
  t.strictSame(reasonsFor(spanJson('{"name":"x","parentSpanId":""}')), [], 'empty ids read the same in DataKit');
  t.strictSame(reasonsFor(spanJson('{"traceId":"5b8efff798038103d269b633813fc60c"}'), STRICT), [], 'strict mode reads like DataKit');
});

t.test('decodeRequest dispatches by signal and encoding', async (t) => {
  t.strictSame(decodeRequest('traces', 'json', example('trace.json'), SPEC), decodeTracesJson(example('trace.json'), SPEC));
  t.strictSame(decodeRequest('logs', 'json', example('logs.json'), SPEC), decodeLogsJson(example('logs.json'), SPEC));
  t.strictSame(decodeRequest('metrics', 'json', example('metrics.json'), SPEC), decodeMetricsJson(example('metrics.json'), SPEC));
  t.strictSame(decodeRequest('metrics', 'protobuf', new Uint8Array(0), SPEC), { resourceMetrics: [] });
  t.throws(() => decodeRequest('traces', 'protobuf', Buffer.from([0x0a, 0x05]), SPEC), new DecodeError('invalid protobuf ExportTraceServiceRequest: index out of range: 2 + 10 > 2'));
  t.throws(() => decodeRequest('traces', 'protobuf', Buffer.from(JSON.stringify({ resourceSpans: [] })), SPEC), DecodeError, 'JSON is no protobuf');
});
