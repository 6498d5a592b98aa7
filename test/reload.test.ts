/**
 * Hot reload (issue 7): RunningGateway.reload() swaps a new configuration in while serving. A request in flight
 * finishes with the sinks it started with, which are closed only then; refused reloads leave everything as it was.
 */
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadConfig } from '../src/config/index.js';
import type { GatewayConfig } from '../src/config/types.js';
import { startGateway } from '../src/gateway.js';
import { fixtureToml, PATH, startTestGateway } from './helpers/gateway.js';
import { request } from './helpers/http.js';

const HELD_SINK = fileURLToPath(new URL('./fixtures/sinks/held-sink.mjs', import.meta.url));

/** What held-sink.mjs registers on globalThis. */
interface HeldSink {
  received: string[];
  closed: boolean;
  entered: Promise<void>;
  hold(): () => void;
}
const heldSink = (id: string): HeldSink => (globalThis as unknown as { heldSinks: Map<string, HeldSink> }).heldSinks.get(id)!;

const config = (toml: string): GatewayConfig => loadConfig({ text: toml, env: {} });

/** One span with a `team` attribute, at a fixed time. */
const TRACE = JSON.stringify({
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
      scopeSpans: [
        {
          spans: [
            {
              traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1',
              spanId: 'bbbbbbbbbbbbbbb1',
              name: 'op',
              kind: 2,
              startTimeUnixNano: '1700000000000000000',
              endTimeUnixNano: '1700000000005000000',
              attributes: [{ key: 'team', value: { stringValue: 'core' } }],
            },
          ],
        },
      ],
    },
  ],
});

/** One log record, at a fixed time. */
const LOG = JSON.stringify({
  resourceLogs: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
      scopeLogs: [{ logRecords: [{ timeUnixNano: '1700000000000000000', body: { stringValue: 'hi' }, attributes: [{ key: 'team', value: { stringValue: 'core' } }] }] }],
    },
  ],
});

const postLog = (url: string, path = PATH.logs) => request(`${url}${path}`, { headers: { 'content-type': 'application/json' }, body: LOG });

const NO_CORRECTION = '[io]\nauto_timestamp_correction = false';

t.test('a customer_tags change applies to the next request', async (t) => {
  const gw = await startTestGateway(fixtureToml('', NO_CORRECTION));
  t.teardown(gw.close);
  const postTrace = () => request(`${gw.url}${PATH.traces}`, { headers: { 'content-type': 'application/json' }, body: TRACE });
  t.equal((await postTrace()).status, 200);
  const result = await gw.reload(config(fixtureToml('customer_tags = ["team"]', NO_CORRECTION)));
  t.equal(result.applied, true);
  t.equal((await postTrace()).status, 200);
  const head = 'opentelemetry,dk_fingerprint=ci-host_1.84.1,host=ci-host,remote_ip=127.0.0.1,service=svc,source=opentelemetry,source_type=custom,span_kind=server,span_type=entry,status=info duration=5000i,';
  const tail = 'parent_id="0",resource="op",span_id="bbbbbbbbbbbbbbb1",start=1700000000000000i,';
  const traceId = 'trace_id="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1" 1700000000000000000';
  const traceIdAttr = '{\\"key\\":\\"trace_id\\",\\"value\\":{\\"stringValue\\":\\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1\\"}}';
  t.strictSame(gw.sink.lines('tracing'), [
    // Before: `team` is one of the span's attributes kept in `message`.
    `${head}message="{\\"attributes\\":[{\\"key\\":\\"team\\",\\"value\\":{\\"stringValue\\":\\"core\\"}},${traceIdAttr}]}",${tail}${traceId}`,
    // After: customer_tags lifts it out of `message`.
    `${head}message="{\\"attributes\\":[${traceIdAttr}]}",${tail}team="core",${traceId}`,
  ]);
});

t.test('a new route path is served after a reload, the old one answers 404', async (t) => {
  const gw = await startTestGateway();
  t.teardown(gw.close);
  const result = await gw.reload(config(fixtureToml('  [inputs.opentelemetry.http]\n  logs_api = "/v2/logs"').replace(/\n {2}\[inputs\.opentelemetry\.http\]\n$/, '\n')));
  t.equal(result.applied, true);
  t.equal((await postLog(gw.url, '/v2/logs')).status, 200);
  t.equal((await postLog(gw.url)).status, 404);
  t.equal(gw.sink.lines('logging').length, 1);
});

const heldSinkToml = (id: string) => `${fixtureToml()}[[sinks.sink]]\n  target = "module"\n  path = "${HELD_SINK}"\n  [sinks.sink.options]\n  id = "${id}"\n`;

t.test('a sink change: the request in flight finishes on the old sink, new ones go to the new sink, then the old one is closed', async (t) => {
  const gw = await startGateway({ config: config(heldSinkToml('A')), listen: { host: '127.0.0.1', port: 0 } });
  t.teardown(gw.close);
  const a = heldSink('A');
  const release = a.hold();
  const inFlight = postLog(gw.url);
  await a.entered;

  const result = await gw.reload(config(heldSinkToml('B')));
  if (!result.applied) throw new Error(result.reason);
  const b = heldSink('B');
  t.equal((await postLog(gw.url)).status, 200, 'a new request is answered while the old one is held');
  t.strictSame(b.received, ['logging:svc']);
  t.equal(a.closed, false, 'the old sink stays open while a request uses it');

  release();
  t.equal((await inFlight).status, 200, 'the held request completes on the old sink');
  await result.retired;
  t.equal(a.closed, true, 'the old sink is closed once its request is answered');
  t.strictSame(a.received, ['logging:svc']);
  t.equal(b.closed, false);
  t.strictSame(gw.sinks.map((s) => s.name), [`module:${HELD_SINK} (held:B)`]);
});

t.test('an unchanged sink is kept, not rebuilt', async (t) => {
  const gw = await startGateway({ config: config(heldSinkToml('K')), listen: { host: '127.0.0.1', port: 0 } });
  t.teardown(gw.close);
  const before = gw.sinks[0];
  const result = await gw.reload(config(heldSinkToml('K').replace('[[inputs.opentelemetry]]', '[[inputs.opentelemetry]]\ncustomer_tags = ["team"]')));
  if (!result.applied) throw new Error(result.reason);
  await result.retired;
  t.equal(gw.sinks[0], before);
  t.equal(heldSink('K').closed, false);
});

t.test('a sink that cannot be built refuses the reload; the old configuration keeps serving', async (t) => {
  const gw = await startGateway({ config: config(heldSinkToml('C')), listen: { host: '127.0.0.1', port: 0 } });
  t.teardown(gw.close);
  const bad = `${fixtureToml()}[[sinks.sink]]\n  target = "module"\n  path = "/nonexistent/sink.mjs"\n`;
  const result = await gw.reload(config(bad));
  t.equal(result.applied, false);
  t.match(result, { reason: /^cannot build the sinks: sink module \/nonexistent\/sink\.mjs: cannot import: / });
  t.equal((await postLog(gw.url)).status, 200);
  t.strictSame(heldSink('C').received, ['logging:svc']);
  t.equal(heldSink('C').closed, false);
});

t.test('a listen change is refused, naming the key; the old configuration stays', async (t) => {
  const toml = (listen: string, extra = '') => fixtureToml(extra, `[http_api]\nlisten = "${listen}"`);
  const gw = await startGateway({ config: config(toml('127.0.0.1:0')), logger: false });
  t.teardown(gw.close);
  t.strictSame(await gw.reload(config(toml('127.0.0.1:9', 'customer_tags = ["team"]'))), {
    applied: false,
    reason: '[http_api] listen changed from 127.0.0.1:0 to 127.0.0.1:9, which cannot be applied while running: restart to change it',
  });
  t.strictSame(gw.config.inputs[0]!.customerTags, [], 'nothing of the refused configuration applies');
  t.equal((await postLog(gw.url)).status, 200);
});
