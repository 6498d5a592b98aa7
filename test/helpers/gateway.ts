import { loadConfig } from '../../src/config/index.js';
import { startGateway, type RunningGateway } from '../../src/gateway.js';
import type { Signal } from '../../src/otlp/model.js';
import { CollectingSink } from './collecting-sink.js';

/** Fixed facts so that golden outputs do not depend on the machine or the clock. */
export const FIXTURE_HOST = 'ci-host';
export const FIXTURE_VERSION = '1.84.1';

/** A minimal DataKit-shaped config with the default routes, plus whatever extra TOML an input table needs. */
export function fixtureToml(inputExtra = '', topExtra = ''): string {
  return `
[environments]
ENV_HOSTNAME = "${FIXTURE_HOST}"
[gateway]
datakit_version = "${FIXTURE_VERSION}"
${topExtra}
[[inputs.opentelemetry]]
${inputExtra}
  [inputs.opentelemetry.http]
`;
}

/** The OTLP/HTTP path of each signal on the default routes (the ones fixtureToml gives). */
export const PATH: Readonly<Record<Signal, string>> = { traces: '/otel/v1/traces', metrics: '/otel/v1/metrics', logs: '/otel/v1/logs' };

export interface TestGateway extends RunningGateway {
  sink: CollectingSink;
}

/** Starts the real gateway on an ephemeral loopback port with a collecting sink; close it with `t.teardown(gw.close)`. */
export async function startTestGateway(toml = fixtureToml(), now?: () => bigint): Promise<TestGateway> {
  const sink = new CollectingSink();
  // ENV_* overrides would make results depend on the machine running the tests; use an empty environment.
  const config = loadConfig({ text: toml, env: {} });
  const gw = await startGateway({ config, sinks: [sink], listen: { host: '127.0.0.1', port: 0 }, now });
  // Object.assign, not a spread: config, sinks and otelUrl are getters that follow reload().
  return Object.assign(gw, { sink });
}

/** The OTLP spec's example trace (test/fixtures/otlp-examples/trace.json) as DataKit 1.84 stores it, from 127.0.0.1. */
export const EXAMPLE_TRACE_LINE =
  `opentelemetry,dk_fingerprint=${FIXTURE_HOST}_${FIXTURE_VERSION},host=${FIXTURE_HOST},remote_ip=127.0.0.1,service=my.service,source=opentelemetry,` +
  'source_type=custom,span_kind=server,span_type=entry,status=info duration=1000000i,' +
  'message="{\\"attributes\\":[{\\"key\\":\\"my.scope.attribute\\",\\"value\\":{\\"stringValue\\":\\"some scope attribute\\"}},' +
  '{\\"key\\":\\"my.span.attr\\",\\"value\\":{\\"stringValue\\":\\"some value\\"}},' +
  '{\\"key\\":\\"trace_id\\",\\"value\\":{\\"stringValue\\":\\"5b8efff798038103d269b633813fc60c\\"}}]}",' +
  'parent_id="eee19b7ec3c1b173",resource="I\'m a server span",span_id="eee19b7ec3c1b174",start=1544712660000000i,' +
  'trace_id="5b8efff798038103d269b633813fc60c" 1544712660000000000';
