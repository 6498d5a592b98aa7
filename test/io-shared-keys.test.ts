/**
 * io's host tags on points that share KV objects with the point before them (as a metric's points share their
 * resource and scope tags; datakit reference §11, "add" = first wins): exactly what adding each host tag to each
 * point on its own gives, at the edges and in a seeded random comparison.
 */
import t from 'tap';
import { postProcess, type IoOptions } from '../src/datakit/io.js';
import { addKV, intField, strField, tag, type KV, type Point } from '../src/datakit/point.js';

const NOW = 1700000000000000000n;
const opts = (globalHostTags: Record<string, string> = {}): IoOptions => ({
  hostname: 'gw',
  globalHostTags,
  autoTimestampCorrection: false,
  now: () => NOW,
});
const pt = (kvs: KV[]): Point => ({ measurement: 'm', kvs, time: NOW });
const keysOf = (points: Point[]) => points.map((p) => p.kvs.map((kv) => `${kv.key}=${kv.isTag ? kv.value : JSON.stringify(kv.value.value.toString())}`).join(','));

/** The reference: every host tag added to every point on its own, hostname first. */
function naive(points: Point[], o: IoOptions): Point[] {
  const hostTags = [tag('host', o.hostname), ...Object.entries(o.globalHostTags).map(([k, v]) => tag(k, v))];
  for (const p of points) for (const h of hostTags) addKV(p.kvs, h);
  return points;
}

t.test('a host key in the shared start is not added again; one in the previous point own keys does not count', async (t) => {
  const clientHost = tag('host', 'client');
  const service = tag('service', 's');
  const v = intField('v', 1n);
  // 1: host in the shared start → kept. 2: shares only `service` with 1 (its host was 1's own) → gets gw.
  // 3: shares [service, region field] with 2; has its own host after that → kept, not added.
  const region = strField('region', 'field');
  const points = [pt([clientHost, service, v]), pt([clientHost, service, intField('v', 2n)]), pt([service, region, v]), pt([service, region, tag('host', 'own'), v])];
  t.same(keysOf(postProcess(points, opts({ region: 'eu' }))), [
    'host=client,service=s,v="1",region=eu',
    'host=client,service=s,v="2",region=eu',
    'service=s,region="field",v="1",host=gw',
    'service=s,region="field",host=own,v="1"',
  ]);
});

t.test('a shared start shorter than where the previous point had the key: the rest is searched', async (t) => {
  const a = tag('a', '1');
  const own = tag('host', 'own');
  const v = intField('v', 1n);
  const points = [pt([a, v, own]), pt([a, v]), pt([a, v, intField('w', 1n)])];
  t.same(keysOf(postProcess(points, opts())), ['a=1,v="1",host=own', 'a=1,v="1",host=gw', 'a=1,v="1",w="1",host=gw']);
});

t.test('a global host tag named host never wins over the hostname, shared start or not', async (t) => {
  const a = tag('a', '1');
  const points = [pt([a, intField('v', 1n)]), pt([a, intField('v', 2n)])];
  t.same(keysOf(postProcess(points, opts({ host: 'other', zone: 'z' }))), ['a=1,v="1",host=gw,zone=z', 'a=1,v="2",host=gw,zone=z']);
});

/** A small deterministic generator (LCG), so a failure is reproducible. */
function random(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

t.test('random runs of points sharing starts: the same keys as adding each host tag to each point', async (t) => {
  const KEYS = ['host', 'region', 'zone', 'a', 'b'];
  const next = random(8);
  const o = opts({ region: 'eu', zone: 'z1' });
  for (let run = 0; run < 200; run++) {
    const points: KV[][] = [];
    let previous: KV[] = [];
    for (let i = 0; i < 20; i++) {
      const kvs = previous.slice(0, next(previous.length + 1)); // the same objects as the previous point's start
      for (let n = next(5); n > 0; n--) {
        const key = KEYS[next(KEYS.length)];
        kvs.push(next(2) === 0 ? tag(key, `t${run}.${i}`) : intField(key, BigInt(i)));
      }
      points.push(kvs);
      previous = kvs;
    }
    const expected = keysOf(naive(points.map((kvs) => pt(kvs.slice())), o));
    const actual = keysOf(postProcess(points.map((kvs) => pt(kvs.slice())), o));
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      t.same(actual, expected, `run ${run}`);
      return;
    }
  }
  t.pass('200 runs of 20 points agree');
});
