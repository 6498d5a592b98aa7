/**
 * Line protocol as DataKit writes it (datakit reference §9): ordering and omission (§9.1), escaping (§9.2) and
 * field value types (§9.3). Golden strings, byte for byte.
 */
import t from 'tap';
import { encodePoint, encodePoints } from '../src/datakit/line-protocol.js';
import { boolField, floatField, intField, strField, tag, uintField, type KV, type Point } from '../src/datakit/point.js';

const pt = (measurement: string, kvs: KV[], time = 1700000000000000000n): Point => ({ measurement, kvs, time });

t.test('one point: sorted tags then sorted fields, space-separated, time in ns (§9.1)', async (t) => {
  const line = encodePoint(
    pt('m', [strField('z', 'last'), tag('svc', 'shop'), intField('a', 1n), tag('host', 'gw'), floatField('b', 2.5)]),
  );
  t.equal(line, 'm,host=gw,svc=shop a=1i,b=2.5,z="last" 1700000000000000000');
});

t.test('no tags; time 0 is written as 0; negative time as is', async (t) => {
  t.equal(encodePoint(pt('m', [intField('v', 1n)], 0n)), 'm v=1i 0');
  t.equal(encodePoint(pt('m', [intField('v', 1n)], -5n)), 'm v=1i -5');
});

t.test('tags with an empty value are left out (§9.1)', async (t) => {
  t.equal(encodePoint(pt('m', [tag('a', ''), tag('b', 'x'), tag('c', ''), intField('v', 1n)])), 'm,b=x v=1i 1700000000000000000');
  t.equal(encodePoint(pt('m', [tag('only', ''), intField('v', 1n)])), 'm v=1i 1700000000000000000');
});

t.test('field value types: i, u, shortest float without exponent, bool, quoted string (§9.3)', async (t) => {
  const line = encodePoint(
    pt('m', [
      intField('i', -9223372036854775808n),
      uintField('u', 18446744073709551615n),
      floatField('f1', 3),
      floatField('f2', 0.1),
      floatField('f3', 1e21),
      floatField('f4', 1e-7),
      floatField('f5', -0),
      floatField('f6', 18446744073709551615),
      boolField('t', true),
      boolField('x', false),
      strField('s', ''),
    ]),
  );
  t.equal(
    line,
    'm f1=3,f2=0.1,f3=1000000000000000000000,f4=0.0000001,f5=-0,f6=18446744073709552000,' +
      'i=-9223372036854775808i,s="",t=true,u=18446744073709551615u,x=false 1700000000000000000',
  );
});

t.test('escaping per part (§9.2)', async (t) => {
  t.test('measurement: comma and space only', async (t) => {
    t.equal(encodePoint(pt('a b,c=d"e', [intField('v', 1n)])), 'a\\ b\\,c=d"e v=1i 1700000000000000000');
  });
  t.test('tag key and value: comma, equals sign and space', async (t) => {
    t.equal(
      encodePoint(pt('m', [tag('k ,=k"', 'v ,=v"\\'), intField('v', 1n)])),
      'm,k\\ \\,\\=k"=v\\ \\,\\=v"\\ v=1i 1700000000000000000',
    );
  });
  t.test('field key: comma, double quote, equals sign and space', async (t) => {
    t.equal(encodePoint(pt('m', [intField('f ,="\\', 1n)])), 'm f\\ \\,\\=\\"\\=1i 1700000000000000000');
  });
  t.test('string value: only " and \\ escaped, newlines and everything else raw', async (t) => {
    t.equal(
      encodePoint(pt('m', [strField('s', 'say "hi"\\n\nnext, a=b\ttab é😀')])),
      'm s="say \\"hi\\"\\\\n\nnext, a=b\ttab é😀" 1700000000000000000',
    );
  });
});

t.test('sorting is by the raw (unescaped) key, not the escaped one', async (t) => {
  // Raw: ' ' (0x20) < '!' (0x21); escaped, `\` (0x5c) would sort after '!'.
  t.equal(encodePoint(pt('m', [tag('a!', '2'), tag('a b', '1'), intField('v', 1n)])), 'm,a\\ b=1,a!=2 v=1i 1700000000000000000');
});

t.test('sorting is UTF-8 byte order, which differs from UTF-16 order above U+FFFF (§9.1)', async (t) => {
  // UTF-16: U+1F600 is D83D DE00, which sorts before U+FFFD. UTF-8: F0 9F 98 80 sorts after EF BF BD.
  const kvs = [tag('\u{1F600}', 'emoji'), tag('\uFFFD', 'replacement'), tag('é', 'e'), tag('z', 'ascii')];
  const fields = [intField('\u{1F600}', 1n), intField('\uFFFD', 2n), intField('Z', 3n), intField('é', 4n)];
  t.equal(
    encodePoint(pt('m', [...kvs, ...fields])),
    'm,z=ascii,é=e,\uFFFD=replacement,\u{1F600}=emoji Z=3i,é=4i,\uFFFD=2i,\u{1F600}=1i 1700000000000000000',
  );
  // Check the expected order against Node's own byte comparison, so the golden string cannot be wrong.
  const keys = ['\u{1F600}', '\uFFFD', 'é', 'z'];
  const byBytes = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  t.same(byBytes, ['z', 'é', '\uFFFD', '\u{1F600}']);
});

t.test('a key that is a prefix of another sorts first', async (t) => {
  t.equal(encodePoint(pt('m', [intField('ab', 2n), intField('a', 1n), intField('a\u{1F600}', 3n)])), 'm a=1i,ab=2i,a\u{1F600}=3i 1700000000000000000');
});

t.test('many keys (the Array.prototype.sort path) sort the same way', async (t) => {
  const keys = Array.from({ length: 40 }, (_, i) => `k${String((i * 17) % 40).padStart(2, '0')}`);
  const line = encodePoint(pt('m', [...keys.map((k) => tag(k, 'v')), ...keys.map((k) => intField(k.toUpperCase(), 1n))]));
  const sorted = [...keys].sort();
  t.equal(
    line,
    `m,${sorted.map((k) => `${k}=v`).join(',')} ${sorted.map((k) => `${k.toUpperCase()}=1i`).join(',')} 1700000000000000000`,
  );
  t.equal(sorted[0], 'k00');
  t.equal(sorted[39], 'k39');
});

t.test('points the Go encoder rejects: no fields, NaN or ±Inf float (§9.1)', async (t) => {
  t.throws(() => encodePoint(pt('m', [tag('a', 'b')])), RangeError);
  t.throws(() => encodePoint(pt('m', [floatField('f', NaN)])), RangeError);
  t.throws(() => encodePoint(pt('m', [intField('ok', 1n), floatField('f', Infinity)])), RangeError);
});

t.test('encodePoints joins with \\n, no trailing newline, and leaves out rejected points', async (t) => {
  const points = [
    pt('a', [intField('v', 1n)], 1n),
    pt('bad', [floatField('f', NaN)], 2n),
    pt('b', [tag('t', 'x'), boolField('v', true)], 3n),
    pt('nofields', [tag('t', 'x')], 4n),
  ];
  t.equal(encodePoints(points), 'a v=1i 1\nb,t=x v=true 3');
  t.equal(encodePoints([]), '');
  t.equal(encodePoints([points[1]]), '');
});

t.test('encoding does not reorder or change the point it is given', async (t) => {
  const kvs = [tag('b', '2'), tag('a', '1'), intField('y', 1n), intField('x', 2n)];
  const point = pt('m', [...kvs]);
  encodePoint(point);
  t.same(point.kvs, kvs);
});
