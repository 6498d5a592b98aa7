/**
 * The json-lines sink format: exact lines for tricky points (escapes, unicode, integer-like keys, big and negative
 * ints, uints, floats, bools), the same points and key order as line protocol, and what `formatBatch` writes.
 */
import t from 'tap';
import { encodePoint, encodePoints } from '../src/datakit/line-protocol.js';
import { boolField, floatField, intField, strField, tag, uintField, type KV, type Point } from '../src/datakit/point.js';
import { encodeJsonLine, encodeJsonLines, formatBatch } from '../src/sinks/json-lines.js';

const pt = (measurement: string, kvs: KV[], time = 1700000000000000000n): Point => ({ measurement, kvs, time });

t.test('shape: category, measurement, sorted tags, sorted fields, time as a string of ns', async (t) => {
  const line = encodeJsonLine(
    'tracing',
    pt('otel', [strField('z', 'last'), tag('svc', 'shop'), intField('a', 1n), tag('host', 'gw'), floatField('b', 2.5)]),
  );
  t.equal(
    line,
    '{"category":"tracing","measurement":"otel","tags":{"host":"gw","svc":"shop"},' +
      '"fields":{"a":1,"b":2.5,"z":"last"},"time":"1700000000000000000"}',
  );
});

t.test('empty-valued tags are left out, as in line protocol; no tags at all gives "tags":{}', async (t) => {
  t.equal(
    encodeJsonLine('metric', pt('m', [tag('a', ''), tag('b', 'x'), intField('v', 1n)], 0n)),
    '{"category":"metric","measurement":"m","tags":{"b":"x"},"fields":{"v":1},"time":"0"}',
  );
  t.equal(
    encodeJsonLine('logging', pt('m', [tag('only', ''), boolField('v', false)], -5n)),
    '{"category":"logging","measurement":"m","tags":{},"fields":{"v":false},"time":"-5"}',
  );
});

t.test('integers: JSON numbers up to ±(2^53−1), strings beyond; uint the same; floats as shortest JSON numbers', async (t) => {
  const line = encodeJsonLine(
    'metric',
    pt('m', [
      intField('i1', 9007199254740991n),
      intField('i2', 9007199254740992n),
      intField('i3', -9007199254740991n),
      intField('i4', -9007199254740992n),
      intField('i5', -9223372036854775808n),
      uintField('u1', 0n),
      uintField('u2', 18446744073709551615n),
      floatField('f1', 3),
      floatField('f2', 0.1),
      floatField('f3', 1e21),
      floatField('f4', 1e-7),
      floatField('f5', -0),
      floatField('f6', -1.5),
      boolField('t', true),
    ]),
  );
  t.equal(
    line,
    '{"category":"metric","measurement":"m","tags":{},"fields":{' +
      '"f1":3,"f2":0.1,"f3":1e+21,"f4":1e-7,"f5":0,"f6":-1.5,' +
      '"i1":9007199254740991,"i2":"9007199254740992","i3":-9007199254740991,"i4":"-9007199254740992",' +
      '"i5":"-9223372036854775808","t":true,"u1":0,"u2":"18446744073709551615"},"time":"1700000000000000000"}',
  );
  // Valid JSON, and no reader loses a digit: the unsafe ones arrive as strings.
  t.same(JSON.parse(line!).fields, {
    f1: 3, f2: 0.1, f3: 1e21, f4: 1e-7, f5: 0, f6: -1.5,
    i1: 9007199254740991, i2: '9007199254740992', i3: -9007199254740991, i4: '-9007199254740992',
    i5: '-9223372036854775808', t: true, u1: 0, u2: '18446744073709551615',
  });
});

t.test('escapes: quotes, backslashes, control characters; unicode kept as is; a lone surrogate stays valid JSON', async (t) => {
  const line = encodeJsonLine(
    'logging',
    pt('a "b"\\c', [
      tag('k"\\', 'v\n\t\u0001'),
      strField('message', 'say "hi"\\n\nnext\r\u001f é😀中文'),
      strField('lone', 'x\uD800y'),
    ]),
  );
  t.equal(
    line,
    '{"category":"logging","measurement":"a \\"b\\"\\\\c","tags":{"k\\"\\\\":"v\\n\\t\\u0001"},' +
      '"fields":{"lone":"x\\ud800y","message":"say \\"hi\\"\\\\n\\nnext\\r\\u001f é😀中文"},"time":"1700000000000000000"}',
  );
  t.same(JSON.parse(line!), {
    category: 'logging',
    measurement: 'a "b"\\c',
    tags: { 'k"\\': 'v\n\t\u0001' },
    fields: { lone: 'x\uD800y', message: 'say "hi"\\n\nnext\r\u001f é😀中文' },
    time: '1700000000000000000',
  });
});

t.test('key order is line protocol order: UTF-8 bytes (not UTF-16 units), integer-like keys as strings', async (t) => {
  // UTF-16 puts U+1F600 (D83D…) before U+FFFD; UTF-8 (F0… vs EF…) after. A JS object would put "10" and "2" first.
  const kvs = [
    tag('\u{1F600}', 'emoji'), tag('\uFFFD', 'repl'), tag('é', 'e'), tag('z', 'ascii'), tag('2', 'two'), tag('10', 'ten'),
    intField('\u{1F600}', 1n), intField('\uFFFD', 2n), intField('Z', 3n), intField('é', 4n), intField('2', 5n), intField('10', 6n),
  ];
  const line = encodeJsonLine('tracing', pt('m', kvs))!;
  t.equal(
    line,
    '{"category":"tracing","measurement":"m","tags":{"10":"ten","2":"two","z":"ascii","é":"e","\uFFFD":"repl","\u{1F600}":"emoji"},' +
      '"fields":{"10":6,"2":5,"Z":3,"é":4,"\uFFFD":2,"\u{1F600}":1},"time":"1700000000000000000"}',
  );
  const lpKeys = [...encodePoint(pt('m', kvs)).matchAll(/[, ]([^,= ]+)=/g)].map((m) => m[1]);
  const jsonKeys = [...line.matchAll(/"([^"]+)":(?=["0-9])/g)].map((m) => m[1]).filter((k) => k !== 'category' && k !== 'measurement' && k !== 'time');
  t.same(jsonKeys, lpKeys, 'the same keys in the same order as the line protocol line');
});

t.test('points line protocol leaves out are left out: no fields, NaN or ±Inf float', async (t) => {
  const good = pt('ok', [intField('v', 1n)]);
  const points = [pt('no-fields', [tag('a', 'b')]), good, pt('nan', [floatField('v', NaN)]), pt('inf', [intField('a', 1n), floatField('v', -Infinity)])];
  t.equal(encodeJsonLine('metric', points[0]), null);
  t.equal(encodeJsonLine('metric', points[2]), null);
  t.equal(encodeJsonLine('metric', points[3]), null);
  t.equal(encodeJsonLines('metric', points), '{"category":"metric","measurement":"ok","tags":{},"fields":{"v":1},"time":"1700000000000000000"}');
  t.equal(encodePoints(points), 'ok v=1i 1700000000000000000', 'the line protocol counterpart keeps the same single point');
});

t.test('formatBatch: one line per point, each ending in a newline; nothing at all when no point can be written', async (t) => {
  const points = [pt('a', [intField('v', 1n)], 1n), pt('b', [boolField('v', true)], 2n)];
  t.equal(formatBatch('line-protocol', { category: 'metric', points }), 'a v=1i 1\nb v=true 2\n');
  t.equal(
    formatBatch('json-lines', { category: 'metric', points }),
    '{"category":"metric","measurement":"a","tags":{},"fields":{"v":1},"time":"1"}\n' +
      '{"category":"metric","measurement":"b","tags":{},"fields":{"v":true},"time":"2"}\n',
  );
  for (const format of ['line-protocol', 'json-lines'] as const) {
    t.equal(formatBatch(format, { category: 'metric', points: [] }), '', `${format}: empty batch`);
    t.equal(formatBatch(format, { category: 'metric', points: [pt('x', [tag('a', 'b')])] }), '', `${format}: nothing encodable`);
  }
});
