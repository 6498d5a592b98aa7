/**
 * Go's number formatting as DataKit's output depends on it (datakit reference §6.3, §6.5, §7.4, §9.3), the UTF-8
 * byte cut of the point checker (§8) and the key rename `.` → `_`. Expected strings are what Go's strconv/fmt print.
 */
import t from 'tap';
import { dotsToUnderscores, formatFixed, formatFloat, formatFloatG, truncateUtf8 } from '../src/datakit/format.js';

t.test('formatFloat = strconv.FormatFloat(f, \'f\', -1, 64): shortest round-trip, never exponent (§9.3)', async (t) => {
  const cases: Array<[number, string]> = [
    [3, '3'],
    [0.1, '0.1'],
    [-2.5, '-2.5'],
    [1e21, '1000000000000000000000'],
    [1.5e22, '15000000000000000000000'],
    [1e-7, '0.0000001'],
    [-1.25e-8, '-0.0000000125'],
    [123456.789e-10, '0.0000123456789'],
    [0.000001, '0.000001'],
    [1e20, '100000000000000000000'],
    [2 ** 64, '18446744073709552000'],
    [-(2 ** 63), '-9223372036854776000'],
    [Number.MAX_VALUE, '179769313486231570' + '0'.repeat(291)],
    [5e-324, '0.' + '0'.repeat(323) + '5'],
    [0, '0'],
    [-0, '-0'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [NaN, 'NaN'],
  ];
  for (const [n, want] of cases) t.equal(formatFloat(n), want, String(n));
});

t.test('formatFixed = fmt.Sprintf("%.Nf"): correct rounding of the binary value, half to even when exact', async (t) => {
  const cases: Array<[number, number, string]> = [
    [0.0625, 3, '0.062'], // exactly halfway: even digit below
    [0.1875, 3, '0.188'], // exactly halfway: even digit above
    [-0.0625, 3, '-0.062'],
    [2.5, 0, '2'],
    [3.5, 0, '4'],
    [0.125, 2, '0.12'],
    [1.005, 2, '1.00'], // 1.005 is 1.00499999999999989… in binary: not halfway
    [2, 3, '2.000'],
    [3.14159, 3, '3.142'],
    [-0, 3, '-0.000'],
    [0, 3, '0.000'],
    [-0.0001, 3, '-0.000'],
    [1e21, 3, '1000000000000000000000.000'],
    [-1.5e22, 0, '-15000000000000000000000'],
    [1234.5678, 6, '1234.567800'],
    [0.1, 20, '0.10000000000000000555'],
    [Infinity, 3, '+Inf'],
    [-Infinity, 6, '-Inf'],
    [NaN, 3, 'NaN'],
  ];
  for (const [n, d, want] of cases) t.equal(formatFixed(n, d), want, `${n} at ${d}`);
});

t.test('formatFloatG = strconv.FormatFloat(f, \'g\', -1, 64)', async (t) => {
  const cases: Array<[number, string]> = [
    [100000, '100000'],
    [1234567, '1.234567e+06'],
    [1e21, '1e+21'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [-2.5e-300, '-2.5e-300'],
    [1.5, '1.5'],
    [-0, '-0'],
  ];
  for (const [n, want] of cases) t.equal(formatFloatG(n), want, String(n));
});

t.test('truncateUtf8 cuts at a byte limit, backing off to a character boundary', async (t) => {
  t.equal(truncateUtf8('abcdef', 4), 'abcd');
  t.equal(truncateUtf8('abc', 3), 'abc');
  t.equal(truncateUtf8('aé', 2), 'a', 'é is 2 bytes: cutting inside it drops it');
  t.equal(truncateUtf8('aéb', 3), 'aé');
  t.equal(truncateUtf8('a😀', 4), 'a', 'a 4-byte character is never split');
  t.equal(truncateUtf8('a😀', 5), 'a😀');
  t.equal(truncateUtf8('€€€', 7), '€€');
});

t.test('dotsToUnderscores: every dot, memoised within a bound, the same string for the same key', async (t) => {
  t.equal(dotsToUnderscores('no_dots'), 'no_dots');
  t.equal(dotsToUnderscores('a.b..c.'), 'a_b__c_');
  t.equal(dotsToUnderscores('.'), '_');
  t.equal(dotsToUnderscores('gen_ai.usage.' + 'x'), dotsToUnderscores('gen_ai.usage.x'));
  // Far more distinct keys than the memo keeps: each still right, and the memo starts again rather than grow.
  const keys = Array.from({ length: 10_000 }, (_, i) => `k.${i}.v`);
  t.same(keys.filter((k) => dotsToUnderscores(k) !== k.replaceAll('.', '_')), []);
  t.equal(dotsToUnderscores('k.9999.v'), 'k_9999_v');
});
