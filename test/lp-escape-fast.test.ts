/**
 * The line-protocol encoder's fast paths (issue 8): string values escaped by JSON.stringify when that gives the same
 * bytes, the key order reused across points of one shape, and output in buffers of at most 64 KiB. Every case is checked against the
 * plain rule of datakit reference §9.2 (only `"` and `\` escaped in string values), written out here independently.
 */
import t from 'tap';
import { MAX_CHUNK_BYTES } from '../src/datakit/line-buffers.js';
import { encodePoint, encodePointBuffers, encodePoints, sortedKeys } from '../src/datakit/line-protocol.js';
import { floatField, intField, strField, tag, uintField, type KV, type Point } from '../src/datakit/point.js';

const pt = (kvs: KV[], time = 1n): Point => ({ measurement: 'm', kvs, time });
/** §9.2 string value escaping, the slow and obvious way. */
const lpString = (s: string): string => '"' + s.replaceAll('\\', '\\\\').replaceAll('"', '\\"') + '"';
const line = (s: string): string => encodePoint(pt([strField('s', s)]));

t.test('string values: same bytes as the plain §9.2 rule on every path', async (t) => {
  const cases: Array<[name: string, value: string]> = [
    ['empty', ''],
    ['nothing to escape', 'plain text, with = and spaces'],
    ['quotes and backslashes only (JSON.stringify path)', 'say "hi" \\ c:\\dir\\'],
    ['JSON text (the span message)', '{"key":"a\\"b","value":{"stringValue":"x\\\\y\\n"}}'],
    ['a quote and a newline: raw newline kept', 'a"b\nc'],
    ['a quote and a tab and other controls', 'a"b\t\u0000\u001f'],
    ['a quote and an emoji (valid surrogate pair)', 'a"😀"'],
    ['a quote and a lone high surrogate at the end', 'a"\ud83d'],
    ['a quote and a lone low surrogate at the start', '\ude00"a'],
    ['a quote and a reversed pair', '"\ude00\ud83d"'],
    ['a quote and non-ASCII text', 'é "ünïcödé" 中文 \u2028\u2029'],
    ['only a lone surrogate, no quote', '\ud800'],
    ['backslash before a quote', '\\"'],
  ];
  for (const [name, value] of cases) t.equal(line(value), `m s=${lpString(value)} 1`, name);
  t.equal(line('a"\ud83d'), 'm s="a\\"\ud83d" 1', 'lone surrogate left raw, not \\ud83d');
  t.equal(line('a"b\nc'), 'm s="a\\"b\nc" 1', 'newline left raw, not \\n');
});

t.test('string values: very long ones, escapes at both ends', async (t) => {
  const long = '"' + 'x'.repeat(300_000) + '\\' + '"é'.repeat(50_000) + '\n"';
  t.equal(line(long), `m s=${lpString(long)} 1`);
});

t.test('key order reused across points: only points with the very same keys share it', async (t) => {
  const a = pt([tag('b', '1'), intField('y', 1n), tag('a', '2'), intField('x', 2n)]);
  // Same key names, but `a` is a field here: its own order.
  const kindSwap = pt([tag('b', '1'), intField('y', 1n), intField('a', 3n), intField('x', 2n)]);
  // Same keys and kinds, an empty tag value: left out of this line only.
  const emptyTag = pt([tag('b', ''), intField('y', 1n), tag('a', '2'), intField('x', 2n)]);
  // Same keys in another order.
  const reordered = pt([intField('x', 2n), tag('a', '2'), intField('y', 1n), tag('b', '1')]);
  // Keys that need escaping and byte ordering, twice in a row.
  const unusual = pt([tag('k =', 'v'), intField('\u{1F600}', 1n), intField('\uFFFD', 2n), intField('f,"', 3n)]);
  const lines = encodePoints([a, a, kindSwap, emptyTag, a, reordered, unusual, unusual, a]).split('\n');
  t.same(lines, [
    'm,a=2,b=1 x=2i,y=1i 1',
    'm,a=2,b=1 x=2i,y=1i 1',
    'm,b=1 a=3i,x=2i,y=1i 1',
    'm,a=2 x=2i,y=1i 1',
    'm,a=2,b=1 x=2i,y=1i 1',
    'm,a=2,b=1 x=2i,y=1i 1',
    'm,k\\ \\==v f\\,\\"=3i,\uFFFD=2i,\u{1F600}=1i 1',
    'm,k\\ \\==v f\\,\\"=3i,\uFFFD=2i,\u{1F600}=1i 1',
    'm,a=2,b=1 x=2i,y=1i 1',
  ]);
  t.same(sortedKeys(emptyTag), { tags: [tag('a', '2')], fields: [intField('x', 2n), intField('y', 1n)] });
  t.equal(sortedKeys(pt([tag('a', '1')])), null);
});

t.test('another measurement after a cached one is escaped on its own', async (t) => {
  t.equal(encodePoints([pt([intField('v', 1n)]), { measurement: 'a b', kvs: [intField('v', 1n)], time: 2n }]), 'm v=1i 1\na\\ b v=1i 2');
});

/** The chunks as text, to compare; each must decode back to exactly its bytes (no character split). */
const chunkTexts = (points: Point[], max?: number): string[] =>
  encodePointBuffers(points, max).map((b) => {
    const text = b.toString('utf8');
    if (Buffer.byteLength(text) !== b.length) throw new Error('a chunk ends inside a character');
    return text;
  });

t.test('buffers: whole lines ending in \\n, at most the limit in UTF-8 bytes', async (t) => {
  // 10-byte lines: `m s="xy" 1` plus the newline is 11 bytes.
  const points = Array.from({ length: 7 }, () => pt([strField('s', 'xy')]));
  t.same(chunkTexts(points, 33), ['m s="xy" 1\nm s="xy" 1\nm s="xy" 1\n', 'm s="xy" 1\nm s="xy" 1\nm s="xy" 1\n', 'm s="xy" 1\n']);
  t.same(chunkTexts(points, 32).map((c) => c.length), [22, 22, 22, 11]);

  // Bytes, not UTF-16 units: `é` is 2 bytes, `😀` 4 (2 units). Each line: `m s="éé😀" 1\n` = 17 bytes, 12 units.
  const wide = Array.from({ length: 3 }, () => pt([strField('s', 'éé😀')]));
  t.same(encodePointBuffers(wide, 34).map((b) => b.length), [34, 17]);
  t.same(encodePointBuffers(wide, 33).map((b) => b.length), [17, 17, 17]);

  // A line longer than the limit is a buffer of its own; escapes at the buffer's edges stay whole.
  const value = '"' + 'z'.repeat(100) + '\\';
  t.same(chunkTexts([points[0], pt([strField('s', value)]), points[0]], 50), ['m s="xy" 1\n', `m s=${lpString(value)} 1\n`, 'm s="xy" 1\n']);

  t.same(encodePointBuffers([]), []);
  t.same(encodePointBuffers([pt([tag('only', 'tag')])]), [], 'points that cannot be encoded are left out');
  t.equal(MAX_CHUNK_BYTES, 65536);
});

t.test('buffers of a large batch: at most 64 KiB each, the same bytes as the whole text', async (t) => {
  const texts = ['é'.repeat(700), 'x"\\'.repeat(300), '😀 lone \ud800 '.repeat(60), '中文'.repeat(400)];
  const points = Array.from({ length: 300 }, (_, i) => pt([tag('t', `v${i}`), strField('message', `{"n":${i},"text":"${texts[i % 4]}"}`)], BigInt(i)));
  const buffers = encodePointBuffers(points);
  t.ok(buffers.length > 5);
  t.same(buffers.filter((b) => b.length > MAX_CHUNK_BYTES), []);
  t.ok(Buffer.concat(buffers).equals(Buffer.from(encodePoints(points) + '\n')), 'lone surrogates become U+FFFD as in Buffer.from');
  // Every chunk boundary falls between lines.
  t.same(buffers.filter((b) => b[b.length - 1] !== 0x0a), []);
});

t.test('key orders cached for a few shapes at once: alternating shapes, and one key as tag then field', async (t) => {
  // Six shapes taking turns (more than the cache holds), two of them with the same keys but `b` a tag in one and a
  // field in the other; each line is checked against the same point encoded alone after a shape nobody else has.
  const shapes: KV[][] = [
    [tag('b', 'x'), intField('a', 1n)],
    [intField('b', 2n), intField('a', 1n)],
    [tag('le', '+Inf'), tag('host', 'h'), uintField('m_bucket', 3n)],
    [tag('host', 'h'), floatField('m_sum', 1.5)],
    [tag('host', 'h'), uintField('m_count', 4n)],
    [tag('z', 'last'), tag('a', 'first'), intField('y', 1n), intField('c', 2n)],
  ];
  const alone = (kvs: KV[]): string => {
    encodePoint(pt([intField('reset_the_cache_with_a_shape_of_its_own', 0n)]));
    return encodePoint(pt(kvs));
  };
  const expected = shapes.map(alone);
  t.same(expected, ['m,b=x a=1i 1', 'm a=1i,b=2i 1', 'm,host=h,le=+Inf m_bucket=3u 1', 'm,host=h m_sum=1.5 1', 'm,host=h m_count=4u 1', 'm,a=first,z=last c=2i,y=1i 1']);
  const order = [0, 1, 2, 3, 4, 2, 2, 3, 4, 5, 0, 5, 1, 0, 3];
  t.same(encodePoints(order.map((i) => pt(shapes[i]))).split('\n'), order.map((i) => expected[i]));
});

t.test('tag sections kept per shape: same tags, one tag changed anywhere (to or from empty), several changed', async (t) => {
  const keys = ['a', 'le', 'x y', 'z'];
  const point = (values: string[], v = 1n): Point => pt([...keys.map((k, i) => tag(k, values[i])), intField('v', v)]);
  // Each line against the same point encoded right after a point of another shape (its tags built anew).
  const alone = (p: Point): string => {
    encodePoint(pt([intField('reset_the_cache_with_a_shape_of_its_own', 0n)]));
    encodePoint(pt([intField('and_another', 0n)]));
    encodePoint(pt([intField('and_a_third', 0n)]));
    encodePoint(pt([intField('and_a_fourth', 0n)]));
    return encodePoint(p);
  };
  const runs = [
    ['1', '0.5', 'p', 'q'],
    ['1', '0.5', 'p', 'q'], // the same: kept text written as it is
    ['1', '1', 'p', 'q'], // one in the middle (le)
    ['1', '+Inf', 'p', 'q'],
    ['2', '0.5', 'p', 'q'], // the first (kept text is still that of the first line)
    ['1', '0.5', 'p', 'w,=x'], // the last, with escapes
    ['1', '', 'p', 'q'], // to empty: left out
    ['1', '0.5', '', 'q'],
    ['', '', '', ''], // all differ: built anew
    ['', '5', '', ''], // from empty
    ['a b', '5', 'c=d', 'e'],
  ];
  const points = runs.map((values, i) => point(values, BigInt(i)));
  const expected = points.map(alone);
  t.equal(expected[5], 'm,a=1,le=0.5,x\\ y=p,z=w\\,\\=x v=5i 1');
  t.equal(expected[6], 'm,a=1,x\\ y=p,z=q v=6i 1');
  t.equal(expected[8], 'm v=8i 1');
  t.same(encodePoints(points).split('\n'), expected);
  // One at a time too (the one-string path shares the kept sections).
  t.same(points.map((p) => encodePoint(p)), expected);
});

t.test('a key list changed in place after it was encoded is not taken for the shape it had', async (t) => {
  const kvs: KV[] = [tag('k', 'v'), intField('a', 1n)];
  t.equal(encodePoint(pt(kvs)), 'm,k=v a=1i 1');
  kvs[0] = intField('k', 2n); // same key, now a field (as DataKit's "set" may do)
  t.equal(encodePoint(pt(kvs)), 'm a=1i,k=2i 1');
  // A new list sharing the unchanged KV object with the last one still matches on its keys.
  const next: KV[] = [intField('k', 3n), kvs[1]];
  t.equal(encodePoint(pt(next)), 'm a=1i,k=3i 1');
});
