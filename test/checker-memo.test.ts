/** The checker's per-key memo must not leak state between points, nor lose exactness past its size cap. */
import t from 'tap';
import { checkPoint } from '../src/datakit/checker.js';
import { encodePoint } from '../src/datakit/line-protocol.js';
import { intField, tag, type KV } from '../src/datakit/point.js';

const lp = (kvs: KV[]): string | null => {
  const p = checkPoint({ measurement: 'm', kvs, time: 1n }, 'tracing', { strictDatakit: false });
  return p === null ? null : encodePoint(p);
};

t.test('duplicate detection is per point, however often the keys were seen before', async (t) => {
  t.equal(lp([tag('a', 'x'), intField('v', 1n)]), 'm,a=x v=1i 1');
  t.equal(lp([tag('a', 'y'), intField('v', 2n)]), 'm,a=y v=2i 1');
  t.equal(lp([tag('a', 'x'), intField('v', 1n), tag('a', 'z')]), 'm,a=z v=1i 1');
  t.equal(lp([tag('a', 'y'), intField('v', 3n)]), 'm,a=y v=3i 1');
});

t.test('still exact after more distinct keys than the memo keeps', async (t) => {
  for (let p = 0; p < 12; p++) {
    const kvs = Array.from({ length: 1000 }, (_, i) => intField(`k${p}_${i}`, 1n));
    t.equal(checkPoint({ measurement: 'm', kvs, time: 1n }, 'tracing', { strictDatakit: false })?.kvs.length, 1000);
  }
  t.equal(lp([intField('k0_1', 1n), intField('k0_1', 2n), tag('k0.2', 'x')]), 'm,k0_2=x k0_1=2i 1');
});
