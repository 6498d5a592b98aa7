/**
 * checkSharedKeys / checkFamilyPoint: a family of points (shared first KVs, then a few of their own) checked with the
 * shared KVs checked once must give exactly what checkPoint gives each point; whenever that cannot be guaranteed,
 * checkSharedKeys declines (null) and the caller checks point by point.
 */
import t from 'tap';
import { checkFamilyPoint, checkPoint, checkSharedKeys, MAX_TAGS } from '../src/datakit/checker.js';
import { encodePoint } from '../src/datakit/line-protocol.js';
import { floatField, strField, tag, uintField, type Category, type KV } from '../src/datakit/point.js';

const OWN_KEYS = ['v', 'w', 'le'];
const opts = { strictDatakit: false };

/** The family's point as line protocol, and checkPoint's result for the same KVs. */
function both(shared: KV[], own: KV[], category: Category = 'metric'): { family: string | null; alone: string | null } {
  const family = checkSharedKeys('m', shared, OWN_KEYS, category);
  if (family === null) throw new Error('family declined');
  const p = checkFamilyPoint(family, own, 5n);
  const alone = checkPoint({ measurement: 'm', kvs: [...shared, ...own], time: 5n }, category, opts);
  return { family: p && encodePoint(p), alone: alone && encodePoint(alone) };
}

t.test('clean keys: values fixed as checkPoint fixes them, in every point', async (t) => {
  const shared = [tag('a', 'x\ny\\'), tag('b', 'k'.repeat(1100)), tag('c.d', 'z')];
  const cases: KV[][] = [
    [uintField('v', 1n), tag('le', '1')],
    [floatField('v', Infinity), floatField('w', -Infinity)],
    [tag('le', 'p\nq')],
    [strField('v', 'dropped'), uintField('w', 2n)],
  ];
  for (const own of cases) {
    const { family, alone } = both(shared, own);
    t.equal(family, alone);
  }
  t.equal(both(shared, [uintField('v', 1n)]).family, `m,a=x\\ y,b=${'k'.repeat(1024)},c.d=z v=1u 5`);
});

t.test('points dropped as checkPoint drops them: no field left, a NaN float (Q47)', async (t) => {
  const shared = [tag('a', 'x')];
  for (const own of [[tag('le', '1')], [strField('v', 's')], [floatField('v', NaN), uintField('w', 1n)], []]) {
    t.strictSame(both(shared, own), { family: null, alone: null });
  }
  t.strictSame(both([floatField('f', 1)], [strField('v', 's')]), { family: 'm f=1 5', alone: 'm f=1 5' });
});

t.test('declined when a shortcut could differ from checkPoint', async (t) => {
  const declines = (shared: KV[], ownKeys: string[], category: Category = 'metric') => checkSharedKeys('m', shared, ownKeys, category) === null;
  t.ok(declines([tag('a\\', 'x')], OWN_KEYS), 'a shared key the checker rewrites');
  t.ok(declines([tag('a', 'x')], ['v\n']), 'an own key the checker rewrites');
  t.ok(declines([tag('', 'x')], OWN_KEYS), 'an empty key');
  t.ok(declines([tag('a', 'x'), tag('a', 'y')], OWN_KEYS), 'a repeated shared key');
  t.ok(declines([tag('v', 'x')], OWN_KEYS), 'an own key among the shared ones');
  t.ok(declines([tag('a', 'x')], ['v', 'v']), 'a repeated own key');
  t.ok(declines([floatField('f', NaN)], OWN_KEYS), 'a NaN shared float');
  t.ok(declines(Array.from({ length: MAX_TAGS - 2 }, (_, i) => tag(`t${i}`, 'x')), OWN_KEYS), 'more keys than trimCounts leaves alone');
  t.ok(declines([tag('a', 'x')], OWN_KEYS, 'logging'), 'a category that adds status');
  t.notOk(declines(Array.from({ length: MAX_TAGS - 3 }, (_, i) => tag(`t${i}`, 'x')), OWN_KEYS), 'at the limit');
  t.notOk(declines([tag('a.b', 'x')], OWN_KEYS), 'dots are clean for metrics');
  t.ok(declines([tag('a.b', 'x')], OWN_KEYS, 'tracing'), 'but not for tracing');
});

t.test('the measurement is checked once for the family', async (t) => {
  const family = checkSharedKeys('', [tag('a', 'x')], ['v'], 'metric');
  t.equal(family === null ? null : encodePoint(checkFamilyPoint(family, [uintField('v', 1n)], 1n)!), '__default,a=x v=1u 1');
});

t.test('neither the shared nor the own KVs given are modified or kept', async (t) => {
  const shared = [tag('a', 'x\n')];
  const own = [floatField('v', Infinity)];
  const family = checkSharedKeys('m', shared, ['v'], 'metric')!;
  const p1 = checkFamilyPoint(family, own, 1n)!;
  const p2 = checkFamilyPoint(family, own, 1n)!;
  t.strictSame(shared, [tag('a', 'x\n')]);
  t.strictSame(own, [floatField('v', Infinity)]);
  t.not(p1.kvs, p2.kvs);
  t.not(p1.kvs, own);
});
