/**
 * Lines written in pieces straight into the sinks' buffers (LineBuffers.beginLine/text/endLine, addLine; issue 8):
 * every byte the same as the one-string encoder's line, whatever the chunk size, with lines dropped mid-way (a NaN
 * float after other fields) leaving nothing behind, and lines that outgrow their chunk moved whole.
 */
import t from 'tap';
import { LineBuffers } from '../src/datakit/line-buffers.js';
import { addLine, encodeLine, encodePointBuffers, encodePoints } from '../src/datakit/line-protocol.js';
import { boolField, floatField, intField, strField, tag, uintField, type KV, type Point } from '../src/datakit/point.js';
import { seededRandom } from './helpers/random.js';

const pt = (kvs: KV[], time = 1n, measurement = 'm'): Point => ({ measurement, kvs, time });
const text = (buffers: Buffer[]): string[] => buffers.map((b) => b.toString('utf8'));

/** Lines added with addLine into buffers of `max` bytes, as text per buffer. */
function chunks(points: Point[], max: number): string[] {
  const lines = new LineBuffers(max);
  for (const p of points) addLine(p, lines);
  return text(lines.take());
}

t.test('a point left out after some of its line was written leaves nothing behind, even across a move', async (t) => {
  const good = pt([intField('a', 1n)]); // `m a=1i 1\n`: 9 bytes
  // Its first field is written before the NaN is met; the second point also outgrows the 16-byte buffer first.
  const nanLate = pt([strField('a', 'x'.repeat(12)), floatField('b', NaN)]);
  const lines = new LineBuffers(16);
  t.equal(addLine(good, lines), true);
  t.equal(addLine(nanLate, lines), false);
  t.same([lines.lines, lines.bytes], [1, 9], 'the counts know only the good line');
  t.equal(addLine(good, lines), true);
  t.same(text(lines.take()), ['m a=1i 1\n', 'm a=1i 1\n'], 'the first buffer was sealed where its last whole line ended');
  t.equal(addLine(pt([tag('only', 'tags')]), lines), false, 'no fields: nothing written at all');
  t.same(lines.take(), []);
});

t.test('a line longer than a chunk, written in many pieces, gets one buffer of its own', async (t) => {
  const kvs: KV[] = [tag('t', 'v')];
  for (let i = 0; i < 40; i++) kvs.push(strField(`k${String(i).padStart(2, '0')}`, i % 3 === 0 ? 'long '.repeat(60) : `é${i}`));
  const long = pt(kvs);
  const short = pt([intField('a', 1n)]);
  const expected = encodeLine(long)!;
  t.ok(Buffer.byteLength(expected) > 1000);
  t.same(chunks([short, long, short, short], 64), ['m a=1i 1\n', expected + '\n', 'm a=1i 1\nm a=1i 1\n']);
  // Dropped after it had grown past the chunk size: the big buffer is not used for the lines after it.
  const longThenNaN = pt([...kvs, floatField('zz', Number.NaN)]);
  t.same(chunks([short, longThenNaN, short], 64), ['m a=1i 1\n', 'm a=1i 1\n']);
});

t.test('short pieces with non-ASCII characters and lone surrogates: the bytes Buffer.from gives', async (t) => {
  const points = [
    pt([tag('é', 'ü'), strField('k😀', 'v😀'), strField('lone', '\ud800x')], 2n, 'mé'),
    pt([tag('t', '中文'), strField('s', 'a"\ud83d'), boolField('b', true), uintField('u', 18446744073709551615n)]),
  ];
  for (const max of [16, 40, 65536]) {
    const buffers = encodePointBuffers(points, max);
    t.ok(Buffer.concat(buffers).equals(Buffer.from(encodePoints(points) + '\n')), `chunks of ${max}`);
  }
});

t.test('takeAllButLast keeps the last line for the next take, also after a long line', async (t) => {
  const lines = new LineBuffers(32);
  const line = (s: string) => pt([strField('s', s)]);
  addLine(line('a'), lines);
  addLine(line('b'), lines);
  addLine(line('c'), lines);
  t.same(text(lines.takeAllButLast()), ['m s="a" 1\nm s="b" 1\n']);
  t.same([lines.lines, lines.bytes], [1, 10]);
  addLine(line('x'.repeat(40)), lines); // longer than 32: a buffer of its own
  t.same(text(lines.takeAllButLast()), ['m s="c" 1\n']);
  addLine(line('d'), lines);
  t.same(text(lines.take()), [`m s="${'x'.repeat(40)}" 1\n`, 'm s="d" 1\n']);
  addLine(line('e'), lines);
  t.throws(() => lines.takeAllButLast(), /fewer than two lines/);
});

t.test('random points, random chunk sizes: the chunks joined are the text encoder output', async (t) => {
  const next = seededRandom(0x2545f491);
  const alphabet = ['a', 'Z', ' ', ',', '=', '"', '\\', 'é', '中', '😀', '\ud800', '\n', '0'];
  const str = (max: number): string => {
    const n = Math.floor(next() ** 3 * max);
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(next() * alphabet.length)];
    return s;
  };
  const value = (key: string): KV => {
    switch (Math.floor(next() * 6)) {
      case 0:
        return tag(key, str(20));
      case 1:
        return intField(key, BigInt(Math.floor(next() * 1e9)) - 500_000_000n);
      case 2:
        return floatField(key, next() < 0.05 ? Number.NaN : next() * 1e6);
      case 3:
        return boolField(key, next() < 0.5);
      default:
        return strField(key, str(next() < 0.5 ? 400 : 1200));
    }
  };
  for (let round = 0; round < 300; round++) {
    const points = Array.from({ length: 1 + Math.floor(next() * 12) }, (_, i) => {
      const kvs: KV[] = [];
      for (let k = Math.floor(next() * 9); k > 0; k--) kvs.push(value(`k${k}${str(3)}`));
      return pt(kvs, BigInt(i), next() < 0.2 ? `m ${str(4)}` : 'm');
    });
    const max = 8 + Math.floor(next() * 600);
    const buffers = encodePointBuffers(points, max);
    const expected = encodePoints(points);
    const joined = Buffer.concat(buffers);
    if (!joined.equals(Buffer.from(expected === '' ? '' : expected + '\n'))) {
      t.fail(`round ${round}, chunks of ${max}: bytes differ`);
      return;
    }
    // Chunk boundaries fall between lines (values may hold raw newlines, so count bytes of whole lines), and a
    // chunk over the size holds one line.
    const lineBytes = points.flatMap((p) => {
      const line = encodeLine(p);
      return line === null ? [] : [Buffer.byteLength(line) + 1];
    });
    let at = 0;
    for (const b of buffers) {
      let bytes = 0;
      let count = 0;
      while (bytes < b.length && at < lineBytes.length) {
        bytes += lineBytes[at++];
        count++;
      }
      if (bytes !== b.length || (b.length > max && count !== 1)) {
        t.fail(`round ${round}: a chunk of ${b.length} bytes (max ${max}) ends inside a line or holds several over the size`);
        return;
      }
    }
  }
  t.pass('300 rounds');
});
