/**
 * The checker's per-key memo must not leak state between points, nor lose exactness past its size cap, and its
 * shortcuts must give what check.go's key-by-key walk gives.
 */
import t from 'tap';
import { checkPoint, checkPointKeyByKey } from '../src/datakit/checker.js';
import { encodePoint } from '../src/datakit/line-protocol.js';
import { intField, strField, tag, type KV, type Point } from '../src/datakit/point.js';
import { seededRandom } from './helpers/random.js';

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

t.test('every shortcut gives what the key-by-key walk gives: random key lists, forbidden keys, all categories', async (t) => {
  const next = seededRandom(0x9e3779b9);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
  // Few names, so that duplicates, renames onto existing keys and repeated key lists all happen.
  const names = ['a', 'b', 'a.b', 'a_b', 'source', 'date', '', 'status', 'x\n', 'x ', 'y\\', 'y', 'sou.rce'];
  const kv = (): KV => {
    const key = pick(names);
    const r = next();
    return r < 0.4 ? tag(key, pick(['v', 'w\n', 'z\\'])) : r < 0.7 ? intField(key, 1n) : strField(key, pick(['s', 'long\n']));
  };
  const encoded = (p: Point | null): string | null => (p === null ? null : encodePoint(p));
  let compared = 0;
  const lists: KV[][] = [];
  for (let i = 0; i < 400; i++) {
    // Half the time a list seen before (the cached answer), else a new one.
    const kvs = lists.length > 0 && next() < 0.5 ? pick(lists) : Array.from({ length: 1 + Math.floor(next() * 6) }, kv);
    lists.push(kvs);
    for (const category of ['tracing', 'metric', 'logging'] as const) {
      for (const strictDatakit of [false, true]) {
        const fast = checkPoint({ measurement: 'm', kvs: [...kvs], time: 1n }, category, { strictDatakit });
        const walk = checkPointKeyByKey({ measurement: 'm', kvs: [...kvs], time: 1n }, category, { strictDatakit });
        if (encoded(fast) !== encoded(walk)) {
          t.fail(`${category} strict=${strictDatakit} keys ${JSON.stringify(kvs.map((k) => k.key))}: ${encoded(fast)} vs ${encoded(walk)}`);
          return;
        }
        compared++;
      }
    }
  }
  t.equal(compared, 400 * 6);
});
