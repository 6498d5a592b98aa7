/**
 * DataKit's point checker (datakit reference §8, GuanceCloud/cliutils point/check.go), checked through the line
 * protocol it leads to: `encodePoint(checkPoint(...))`.
 */
import t from 'tap';
import { checkPoint, type CheckOptions } from '../src/datakit/checker.js';
import { encodePoint } from '../src/datakit/line-protocol.js';
import { floatField, intField, strField, tag, uintField, type Category, type KV, type Point } from '../src/datakit/point.js';

const DEFAULT: CheckOptions = { strictDatakit: false };
const STRICT: CheckOptions = { strictDatakit: true };
const pt = (kvs: KV[], measurement = 'm'): Point => ({ measurement, kvs, time: 1n });

/** The checked point as a line, or null when the checker drops it. */
function lp(kvs: KV[], category: Category = 'tracing', opts: CheckOptions = DEFAULT, measurement = 'm'): string | null {
  const checked = checkPoint(pt(kvs, measurement), category, opts);
  return checked === null ? null : encodePoint(checked);
}

t.test('measurement: empty → __default, longer than 1024 bytes → cut', async (t) => {
  t.equal(lp([intField('v', 1n)], 'metric', DEFAULT, ''), '__default v=1i 1');
  t.equal(lp([intField('v', 1n)], 'metric', DEFAULT, 'm'.repeat(1030)), `${'m'.repeat(1024)} v=1i 1`);
  t.equal(lp([intField('v', 1n)], 'metric', DEFAULT, 'é'.repeat(513)), `${'é'.repeat(512)} v=1i 1`);
});

t.test('a point that needs no change comes back as it is', async (t) => {
  const kvs = [tag('service', 'shop'), intField('duration', 5n), strField('message', 'multi\nline')];
  const point = pt([...kvs]);
  t.equal(checkPoint(point, 'tracing', DEFAULT), point);
  t.same(point.kvs, kvs);
});

t.test('keys longer than 256 bytes are cut; dropped when the cut key exists', async (t) => {
  const long = 'k'.repeat(300);
  t.equal(lp([tag(long, 'x'), intField('v', 1n)]), `m,${'k'.repeat(256)}=x v=1i 1`);
  t.equal(lp([intField(long, 1n)]), `m ${'k'.repeat(256)}=1i 1`);
  t.equal(lp([intField('k'.repeat(256), 1n), intField(long, 2n)]), `m ${'k'.repeat(256)}=1i 1`);
  // 200 × 2-byte é = 400 bytes → 128 characters (256 bytes).
  t.equal(lp([intField('é'.repeat(200), 1n)]), `m ${'é'.repeat(128)}=1i 1`);
});

t.test('keys: \\n → space, trailing backslashes removed; dropped when the new key exists', async (t) => {
  t.equal(lp([tag('a\nb', 'x'), intField('c\\\\', 1n)]), 'm,a\\ b=x c=1i 1');
  t.equal(lp([intField('c', 1n), intField('c\\', 2n)]), 'm c=1i 1');
  t.equal(lp([intField('c\\', 2n), intField('c', 1n)]), 'm c=1i 1', 'the renamed key loses, wherever it is');
  t.equal(lp([intField('x\\y', 1n)]), 'm x\\y=1i 1', 'an inner backslash stays');
});

t.test('tag values: \\n → space, trailing backslashes removed, cut to 1024 bytes at a character boundary', async (t) => {
  t.equal(lp([tag('t', 'x\ny\\\\'), intField('v', 1n)]), 'm,t=x\\ y v=1i 1');
  t.equal(lp([tag('t', 'v'.repeat(1100)), intField('v', 1n)]), `m,t=${'v'.repeat(1024)} v=1i 1`);
  // 1 + 512 × 2 bytes = 1025: Go would cut inside the last é; we keep whole characters (1023 bytes).
  t.equal(lp([tag('t', 'a' + 'é'.repeat(512)), intField('v', 1n)]), `m,t=a${'é'.repeat(511)} v=1i 1`);
  t.equal(lp([tag('t', '\\'), intField('v', 1n)]), 'm v=1i 1', 'a value of only backslashes becomes empty and is left out');
});

t.test('string fields: longer than 32 MiB → cut; newlines kept', async (t) => {
  const max = 32 * 1024 * 1024;
  const checked = checkPoint(pt([strField('s', 'x'.repeat(max + 5))]), 'logging', DEFAULT);
  const s = checked?.kvs.find((kv) => kv.key === 's');
  t.same(s, strField('s', 'x'.repeat(max)));
  t.equal(lp([strField('s', 'a\nb\\')]), 'm s="a\nb\\\\" 1');
});

t.test('dots in keys: `_` for tracing and logging, kept for metric', async (t) => {
  const kvs = (): KV[] => [tag('http.method', 'GET'), intField('db.rows', 3n)];
  t.equal(lp(kvs(), 'tracing'), 'm,http_method=GET db_rows=3i 1');
  t.equal(lp(kvs(), 'logging'), 'm,http_method=GET db_rows=3i,status="info" 1');
  t.equal(lp(kvs(), 'metric'), 'm,http.method=GET db.rows=3i 1');
  t.equal(lp([tag('a.b', 'tag'), strField('a_b', 'field')]), 'm a_b="field" 1', 'the renamed key is dropped when the new one exists');
  t.equal(lp([strField('a_b', 'field'), tag('a.b', 'tag')]), 'm a_b="field" 1', 'also when the existing key comes first');
});

t.test('rename steps run in check.go order: tags \\-fix then dots, fields dots then \\-fix', async (t) => {
  // Tag "a.\" → "a." → "a_" (free) is kept; the second tag "a_\" → "a_" then collides.
  t.equal(lp([tag('a.\\', '1'), tag('a_\\', '2'), intField('v', 1n)]), 'm,a_=1 v=1i 1');
  // Field "a.\" → "a_\" collides with the second field's original key; the second becomes "a_".
  t.equal(lp([intField('a.\\', 1n), intField('a_\\', 2n)]), 'm a_=2i 1');
});

t.test('empty keys are dropped', async (t) => {
  t.equal(lp([tag('', 'x'), intField('', 1n), intField('v', 2n)]), 'm v=2i 1');
  t.equal(lp([intField('\\', 1n), intField('v', 2n)]), 'm v=2i 1', 'a key that becomes empty too');
});

t.test('logging: source and date dropped, status added as a string field when missing', async (t) => {
  t.equal(lp([tag('source', 'x'), intField('date', 1n), strField('message', 'hi')], 'logging'), 'm message="hi",status="info" 1');
  t.equal(lp([strField('date\\', 'x'), strField('message', 'hi')], 'logging'), 'm message="hi",status="info" 1', 'also when renamed to them');
  t.equal(lp([tag('status', 'error'), strField('message', 'hi')], 'logging'), 'm,status=error message="hi" 1');
  t.equal(lp([strField('status', 'warn'), strField('message', 'hi')], 'logging'), 'm message="hi",status="warn" 1');
  t.equal(lp([tag('source', 'x'), intField('date', 1n), strField('message', 'hi')], 'tracing'), 'm,source=x date=1i,message="hi" 1');
});

t.test('metric: string fields dropped; a point left without fields is dropped', async (t) => {
  t.equal(lp([tag('t', 'x'), strField('s', 'str'), floatField('v', 1.5)], 'metric'), 'm,t=x v=1.5 1');
  t.equal(lp([tag('t', 'x'), strField('s', 'str')], 'metric'), null);
});

t.test('unsigned fields are kept unsigned', async (t) => {
  t.equal(lp([uintField('c', 18446744073709551615n)], 'metric'), 'm c=18446744073709551615u 1');
});

t.test('±Inf floats → float(max uint64) / float(min int64)', async (t) => {
  t.equal(lp([floatField('p', Infinity), floatField('n', -Infinity)], 'metric'), 'm n=-9223372036854776000,p=18446744073709552000 1');
});

t.test('NaN float: the whole point is dropped (Q47)', async (t) => {
  t.equal(lp([intField('ok', 1n), floatField('bad', NaN)], 'metric'), null);
});

t.test('a point without fields is dropped', async (t) => {
  t.equal(lp([tag('a', 'b')]), null);
  t.equal(lp([]), null);
});

t.test('duplicate keys (Q31)', async (t) => {
  t.test('default: the last copy wins', async (t) => {
    t.equal(lp([intField('a', 1n), intField('a', 2n), intField('b', 3n)]), 'm a=2i,b=3i 1');
    t.equal(lp([intField('a', 1n), intField('a', 2n), intField('b', 3n), intField('a', 4n)]), 'm a=4i,b=3i 1');
    t.equal(lp([tag('a', 'tag'), intField('a', 2n)]), 'm a=2i 1', 'tag and field of one name are duplicates');
    t.equal(lp([intField('a', 1n), tag('a', 'tag'), intField('v', 1n)]), 'm,a=tag v=1i 1');
  });
  t.test('strictDatakit: check.go in-place compaction, adjacent copies both vanish', async (t) => {
    t.equal(lp([intField('a', 1n), intField('a', 2n), intField('b', 3n)], 'tracing', STRICT), 'm b=3i 1');
    t.equal(lp([intField('a', 1n), intField('b', 2n), intField('a', 3n)], 'tracing', STRICT), 'm a=3i,b=2i 1');
    // Only one key is kept before the third `a` is checked: the second dropped copy is still visible to it.
    t.equal(lp([intField('a', 1n), intField('a', 2n), intField('b', 3n), intField('a', 4n)], 'tracing', STRICT), 'm b=3i 1');
    t.equal(lp([intField('a', 1n), intField('a', 2n)], 'tracing', STRICT), null);
  });
});

t.test('more than 1024 fields / 256 tags: the first ones in insertion order are kept', async (t) => {
  const pad = (i: number): string => String(i).padStart(4, '0');
  const kvs: KV[] = [];
  // Inserted in descending key order, so "first inserted" and "first sorted" differ.
  for (let i = 1029; i >= 0; i--) kvs.push(intField(`f${pad(i)}`, BigInt(i)));
  for (let i = 299; i >= 0; i--) kvs.push(tag(`t${pad(i)}`, 'x'));
  const checked = checkPoint(pt(kvs), 'tracing', DEFAULT);
  const fields = checked?.kvs.filter((kv) => !kv.isTag).map((kv) => kv.key);
  const tags = checked?.kvs.filter((kv) => kv.isTag).map((kv) => kv.key);
  t.same(fields, Array.from({ length: 1024 }, (_, j) => `f${pad(1029 - j)}`));
  t.same(tags, Array.from({ length: 256 }, (_, j) => `t${pad(299 - j)}`));
});

t.test('the KV objects given are never modified (converters share them between points)', async (t) => {
  const shared = [tag('a.b', 'x\n'), floatField('inf', Infinity), strField('c\\', 'v'), intField('d', 1n), intField('d', 2n)];
  const copies = shared.map((kv) => structuredClone(kv));
  t.equal(lp([...shared], 'logging', STRICT), 'm,a_b=x\\  c="v",inf=18446744073709552000,status="info" 1');
  t.same(shared, copies);
});
