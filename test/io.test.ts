/**
 * DataKit io post-processing (datakit reference §11): host and global host tags, automatic timestamp correction.
 * A fixed `now` keeps every result exact.
 */
import t from 'tap';
import { postProcess, type IoOptions } from '../src/datakit/io.js';
import { encodePoints } from '../src/datakit/line-protocol.js';
import { intField, strField, tag, type KV, type Point } from '../src/datakit/point.js';

const NOW = 1700000000000000000n;
const TWO_HOURS = 7_200_000_000_000n;

const opts = (extra: Partial<IoOptions> = {}): IoOptions => ({
  hostname: 'gw-01',
  globalHostTags: {},
  autoTimestampCorrection: true,
  now: () => NOW,
  ...extra,
});
const pt = (kvs: KV[], time = NOW): Point => ({ measurement: 'm', kvs, time });
const lp = (points: Point[], o: IoOptions = opts()): string => encodePoints(postProcess(points, o));

t.test('host tag and global host tags are added to every point', async (t) => {
  const o = opts({ globalHostTags: { region: 'eu', zone: 'a b' } });
  t.equal(
    lp([pt([intField('v', 1n)]), pt([tag('service', 's'), intField('v', 2n)])], o),
    `m,host=gw-01,region=eu,zone=a\\ b v=1i ${NOW}\nm,host=gw-01,region=eu,service=s,zone=a\\ b v=2i ${NOW}`,
  );
});

t.test('an existing key of the same name, tag or field, is never overwritten', async (t) => {
  const o = opts({ globalHostTags: { region: 'eu', env: 'prod' } });
  t.equal(
    lp([pt([tag('host', 'client-host'), strField('region', 'field'), intField('v', 1n)])], o),
    `m,env=prod,host=client-host region="field",v=1i ${NOW}`,
  );
});

t.test('the hostname wins over a global host tag named host', async (t) => {
  t.equal(lp([pt([intField('v', 1n)])], opts({ globalHostTags: { host: 'other' } })), `m,host=gw-01 v=1i ${NOW}`);
});

t.test('timestamp correction: more than 2 h from now → __orig_time = original ns, time = now', async (t) => {
  const times = [NOW - TWO_HOURS, NOW - TWO_HOURS - 1n, NOW + TWO_HOURS, NOW + TWO_HOURS + 1n, 0n];
  t.equal(
    lp(times.map((time) => pt([intField('v', 1n)], time))),
    [
      `m,host=gw-01 v=1i ${NOW - TWO_HOURS}`,
      `m,host=gw-01 __orig_time=${NOW - TWO_HOURS - 1n}i,v=1i ${NOW}`,
      `m,host=gw-01 v=1i ${NOW + TWO_HOURS}`,
      `m,host=gw-01 __orig_time=${NOW + TWO_HOURS + 1n}i,v=1i ${NOW}`,
      `m,host=gw-01 __orig_time=0i,v=1i ${NOW}`,
    ].join('\n'),
  );
});

t.test('an existing __orig_time key is kept, the time is still corrected', async (t) => {
  t.equal(lp([pt([intField('__orig_time', 7n), intField('v', 1n)], 0n)]), `m,host=gw-01 __orig_time=7i,v=1i ${NOW}`);
});

t.test('timestamp correction off: times are left alone and the clock is not read', async (t) => {
  const o = opts({
    autoTimestampCorrection: false,
    now: () => {
      throw new Error('clock read');
    },
  });
  t.equal(lp([pt([intField('v', 1n)], 0n)], o), 'm,host=gw-01 v=1i 0');
});

t.test('points are processed in place and returned in order', async (t) => {
  const points = [pt([intField('a', 1n)], 5n), pt([intField('b', 1n)], NOW)];
  const out = postProcess(points, opts());
  t.equal(out, points);
  t.same(out[0], { measurement: 'm', kvs: [intField('a', 1n), tag('host', 'gw-01'), intField('__orig_time', 5n)], time: NOW });
  t.same(out[1], { measurement: 'm', kvs: [intField('b', 1n), tag('host', 'gw-01')], time: NOW });
});
