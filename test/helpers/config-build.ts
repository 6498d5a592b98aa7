/** Configuration for tests: an `[[inputs.opentelemetry]]` with DataKit's defaults, and the context converters run in. */
import type { DeliveryConfig, OtelInputConfig } from '../../src/config/types.js';
import type { ConvertContext } from '../../src/datakit/context.js';
import { compileCustomerTags } from '../../src/datakit/customer-tags.js';

/** The routes of an `[inputs.opentelemetry.http]` table that sets nothing. */
export const DEFAULT_HTTP = { httpStatusOk: 200, traceApi: '/otel/v1/traces', metricApi: '/otel/v1/metrics', logsApi: '/otel/v1/logs' };

/** An `[[inputs.opentelemetry]]` with DataKit's defaults (datakit reference §1.2), the default routes, and the given overrides. */
export function input(overrides: Partial<OtelInputConfig> = {}): OtelInputConfig {
  return {
    customerTags: [],
    customerTagsAll: false,
    keepRareResource: false,
    omitErrStatus: [],
    compatibleDdtrace: false,
    compatibleZhaoshang: false,
    splitServiceName: true,
    delMessage: false,
    cleanMessage: true,
    logMax: 500,
    jmarshaler: 'protojson',
    tracingMetricEnable: false,
    tracingMetricTagBlacklist: ['resource'],
    tracingMetricTagWhitelist: [],
    strictDatakit: false,
    http: DEFAULT_HTTP,
    tags: {},
    closeResource: {},
    expectedHeaders: {},
    ...overrides,
  };
}

/** The context of the converters' golden tests: host `gw-01`, DataKit 1.84.1, remote IP 10.0.0.7; `extra` overrides. */
export function convertContext(inp: OtelInputConfig, extra: Partial<ConvertContext> = {}): ConvertContext {
  return {
    input: inp,
    customerTags: compileCustomerTags(inp),
    hostname: 'gw-01',
    datakitVersion: '1.84.1',
    globalHostTags: {},
    remoteIp: '10.0.0.7',
    ...extra,
  };
}

/** A network sink's delivery settings when its table sets none (the documented defaults, README "Delivery"). */
export const DEFAULT_DELIVERY: DeliveryConfig = {
  queueMaxPoints: 100_000,
  queueMaxBytes: 64 * 1024 * 1024,
  timeoutMs: 10_000,
  retryInitialMs: 500,
  retryMaxMs: 30_000,
  retryMaxElapsedMs: 300_000,
  spoolMaxBytes: 1024 * 1024 * 1024,
  drainTimeoutMs: 5_000,
};
