/**
 * attributeKVs builds a data point's tag list without the intermediate map (issue 8): it must equal
 * withOwnKVs(shared, attributeMap(attrs)), below and above the size where it switches to the map.
 */
import t from 'tap';
import { attributeKVs, attributeMap, sharedKVs, withOwnKVs } from '../src/datakit/attr-text.js';
import { tag } from '../src/datakit/point.js';
import type { KeyValue } from '../src/otlp/model.js';
import { attrs, dv, kv } from './helpers/model-build.js';

const shared = sharedKVs(new Map([['service_name', 'svc'], ['a_b', 'resource']]), tag);
const viaMap = (list: KeyValue[]) => withOwnKVs(shared, attributeMap(list, false), tag);

t.test('repeated output keys (Q44), removed keys, valueless ones, keys the shared list has', async (t) => {
  const list = [
    ...attrs({ 'x.y': 'first', 'telemetry.sdk.name': 'removed', z: 'z', x_y: 'second', 'a.b': 'loses to the resource' }),
    kv('empty', undefined),
    kv('d', dv(0.0625)),
    kv('z', { kind: 'empty' }),
  ];
  const kvs = attributeKVs(shared, list, false, tag);
  t.strictSame(kvs, [tag('service_name', 'svc'), tag('a_b', 'resource'), tag('x_y', 'second'), tag('z', 'z'), tag('d', '0.062')]);
  t.strictSame(kvs, viaMap(list));
  t.not(kvs, shared.kvs);
  t.strictSame(attributeKVs(shared, [], false, tag), shared.kvs);
});

t.test('long lists (the map path) give the same list', async (t) => {
  for (const n of [31, 32, 33, 100]) {
    const list = Array.from({ length: n }, (_, i) => attrs({ [i % 3 === 0 ? `k.${i % 10}` : `k_${i % 10}`]: `v${i}` })[0]);
    t.strictSame(attributeKVs(shared, list, false, tag), viaMap(list), `${n} attributes`);
  }
});
