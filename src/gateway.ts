import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Http2SecureServer } from 'node:http2';
import { dirname } from 'node:path';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyHttpOptions, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { loadConfig } from './config/index.js';
import { sinkTable } from './config/sink-schema.js';
import type { GatewayConfig, SinkConfig } from './config/types.js';
import { gatewayFixture, memorySinkOf, type GatewayFixture } from './fixture/inprocess.js';
import { fixtureRoutes } from './fixture/routes.js';
import { GatewayMetrics } from './metrics.js';
import { registerOpsRoutes } from './ops-routes.js';
import { otlpReceiver, type ReceiverOptions } from './otlp/receiver.js';
import { Pipeline } from './pipeline.js';
import { buildSinks, restartOnlyChange, type KeyedSink, type ReloadResult } from './reload.js';
import {
  applyHttp1OverTlsTimeouts,
  applyHttp2RequestDeadline,
  defaultServerTimeouts,
  fastifyTimeoutOptions,
  fastifyTlsOptions,
  type ServerTimeouts,
} from './server-timeouts.js';
import { QueuedSink, type Sink, type SinkContext, type SinkLogger } from './sinks/index.js';
import { registerUiRoutes } from './ui/routes.js';

export type { ReloadResult } from './reload.js';

export interface GatewayOptions {
  /**
   * Absent: the embedded default config's inputs with only a memory sink (the test fixture), listening on
   * 127.0.0.1 at any free port.
   */
  config?: GatewayConfig;
  /** A pino logger; `false` (the default for programmatic use) logs nothing. */
  logger?: Logger | false;
  /** Overrides `[http_api] listen` (port 0 = any free port). */
  listen?: { host: string; port: number };
  /** Sinks to use instead of the configured ones (tests, embedding). */
  sinks?: Sink[];
  /** Clock for DataKit's timestamp correction, in ns. */
  now?: () => bigint;
  /** Overrides of the connection timeouts (server-timeouts.ts), e.g. short ones in tests. */
  timeouts?: Partial<ServerTimeouts>;
}

/**
 * The running gateway; its fixture methods (points, waitFor, reset, llmCalls, snapshot, store: fixture/inprocess.ts)
 * use its first memory sink and throw when it has none.
 */
export interface RunningGateway extends GatewayFixture {
  readonly app: FastifyInstance;
  /** The configuration in use (reload() replaces it). */
  readonly config: GatewayConfig;
  readonly sinks: readonly Sink[];
  /** `http://host:port` of the listening server (`https://` with `[http_api.tls]`). */
  readonly url: string;
  /** The base URL an OpenTelemetry SDK or Traceloop needs (`TRACELOOP_BASE_URL`): `<url>/otel` with the default routes. */
  readonly otelUrl: string;
  /**
   * Hot reload (issue 7): builds the new configuration's sinks and pipeline, then serves new requests with them;
   * requests in flight finish with the old ones, whose sinks are closed after them (sinks whose table did not change
   * are kept). Refused, the running configuration untouched, when a sink cannot be built or a setting that needs a
   * restart changed (reload.ts). Concurrent calls apply one after the other. With `GatewayOptions.sinks`, those
   * sinks stay and `[[sinks.sink]]` is ignored, as at startup.
   */
  reload(config: GatewayConfig): Promise<ReloadResult>;
  /** Stops accepting, finishes requests in flight, flushes and closes the sinks. */
  close(): Promise<void>;
}

const urlHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);

/** Go's names for Node's architectures, as DataKit's `User-Agent` has them. */
const GO_ARCH: Readonly<Record<string, string>> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' };

/** DataKit's `User-Agent` on dataway requests (datakit reference §4): `datakit-<os>-<arch>/<version>/<hostname>`. */
export function datakitUserAgent(version: string, hostname: string): string {
  return `datakit-${process.platform}-${GO_ARCH[process.arch] ?? process.arch}/${version}/${hostname}`;
}

/** Sink names and URLs can carry a dataway token (`?token=tkn_…`): never print it. */
export function redactTokens(text: string): string {
  return text.replace(/([?&]token=)[^&\s)]*/gi, '$1***');
}

const SILENT: SinkLogger = { info() {}, warn() {}, error() {} };

function sinkContext(config: GatewayConfig, log: Logger | undefined): SinkContext {
  return {
    logger: log ? { info: (m) => log.info(m), warn: (m) => log.warn(m), error: (m) => log.error(m) } : SILENT,
    configDir: config.source === null ? process.cwd() : dirname(config.source),
    datawayUrls: config.dataway.urls,
    userAgent: datakitUserAgent(config.datakitVersion, config.hostname),
  };
}

/** Flushes and closes every sink, even when one fails; rejects with the first failure. */
async function closeSinks(sinks: readonly Sink[]): Promise<void> {
  const results = await Promise.allSettled(
    sinks.map(async (s) => {
      // A queued sink's close() drains up to its drain_timeout_ms and then spools or drops (counted) the rest; a
      // flush() first would wait that long twice, and its failure would leave the delivery loop running.
      if (s instanceof QueuedSink) return s.close();
      await s.flush();
      await s.close();
    }),
  );
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Slowloris protection (checklist 39) and Status bodies for what Node's HTTP parser refuses; with `[http_api.tls]`
 * HTTPS, with HTTP/2 where the client negotiates it by ALPN (checklist 38; no cleartext h2c, as the Collector).
 */
function serverOptions(config: GatewayConfig, timeouts: ServerTimeouts) {
  if (!config.tls) return fastifyTimeoutOptions(timeouts);
  // Read again (load.ts checked them): the files may have been renewed since the config was loaded.
  return fastifyTlsOptions(timeouts, { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) });
}

function otelUrlOf(url: string, config: GatewayConfig): string {
  const traceApi = config.inputs.find((i) => i.http)?.http?.traceApi ?? '/otel/v1/traces';
  return url + traceApi.replace(/\/v1\/traces\/?$/, '');
}

/** What a configuration serves: its routes and where the points go (at startup and after a reload). */
function announce(log: Logger, config: GatewayConfig, sinks: readonly Sink[], url: string): void {
  for (const input of config.inputs) {
    if (!input.http) continue;
    const { traceApi: t, metricApi: m, logsApi: l } = input.http;
    log.info(`OTLP/HTTP routes: POST ${url}${t} ${url}${m} ${url}${l}${input.strictDatakit ? ' (strict_datakit: answering exactly as DataKit 1.84)' : ''}`);
  }
  for (const s of sinks) log.info(`points go to ${redactTokens(s.name)} (${[...s.categories].join(', ')})`);
  if (memorySinkOf(sinks)) log.info(`fixture API on ${url}/api/ (see README, "Fixture API"), web UI on ${url}/ui`);
  if (config.dataway.urls.length > 0 && !config.sinks.some((s) => s.target === 'dataway')) {
    log.warn('[dataway] urls are not used: add a [[sinks.sink]] with target = "dataway" to deliver there');
  }
}

/** The fixture's default: the embedded config's inputs, one memory sink (nothing printed), any free local port. */
function fixtureConfig(): GatewayConfig {
  const memory = sinkTable.parse({ target: 'memory' }) as SinkConfig;
  return { ...loadConfig({}), listen: { host: '127.0.0.1', port: 0 }, sinks: [memory] };
}

/** Assembles receive → decode → convert → deliver and starts listening. */
export async function startGateway(opts: GatewayOptions = {}): Promise<RunningGateway> {
  let config = opts.config ?? fixtureConfig();
  const log = opts.logger || undefined;
  // Injected sinks serve every configuration (`[[sinks.sink]]` is ignored); configured ones are rebuilt on reload
  // when their table changes.
  const configuredSinks = async (running: KeyedSink[], cfg: GatewayConfig): Promise<KeyedSink[]> =>
    opts.sinks ? running : buildSinks(running, cfg.sinks, sinkContext(cfg, log));
  const sinksOf = (k: readonly KeyedSink[]): readonly Sink[] => opts.sinks ?? k.map((s) => s.sink);
  let keyed = await configuredSinks([], config);
  let sinks = sinksOf(keyed);
  // Self-metrics (issue 7, checklist 42): off with `[gateway] metrics = false`, and then nothing is counted.
  const metrics = config.metrics ? new GatewayMetrics(sinks) : undefined;
  /** The receiver's options for a configuration, with a pipeline to these sinks. */
  const receiverOptions = (cfg: GatewayConfig, to: readonly Sink[]): ReceiverOptions => {
    const pipeline = new Pipeline({ config: cfg, sinks: to, now: opts.now, observer: metrics });
    return {
      inputs: cfg.inputs,
      limits: cfg.limits,
      access: cfg.access,
      datakitVersion: cfg.datakitVersion,
      hostname: cfg.hostname,
      handle: pipeline.handle,
      admit: pipeline.admit,
      observer: metrics,
    };
  };

  const timeouts = { ...defaultServerTimeouts(config.limits.maxRequestBytes), ...opts.timeouts };
  // The HTTP/2 instance is typed as the default one: the receiver only uses what Http2ServerRequest shares with
  // IncomingMessage (headers, socket; headersDistinct through headersDistinctOf), as test/tls.test.ts checks.
  const app = Fastify({
    // Typed as Fastify's base logger so the instance type stays the default one the rest of the code expects.
    ...(log ? { loggerInstance: log as FastifyBaseLogger } : { logger: false }),
    // Each request is logged by the receiver when it matters; per-request access logs would dominate the output.
    logController: new LogController({ disableRequestLogging: true }),
    // The receiver answers requests that arrive while closing itself (503 + Retry-After + Status, checklist 41).
    return503OnClosing: false,
    ...serverOptions(config, timeouts),
  } as FastifyHttpOptions<Server>);
  if (config.tls) {
    applyHttp1OverTlsTimeouts(app.server, timeouts);
    applyHttp2RequestDeadline(app.server as unknown as Http2SecureServer, timeouts.requestMs);
  }
  await otlpReceiver(app, receiverOptions(config, sinks));
  // /health, /ready, /metrics: outside the OTLP routes' auth (issue 7).
  registerOpsRoutes(app, { metrics, sinks: () => sinks });
  // The fixture API over the memory sink in use (a reload may swap it) and the web UI that reads it (issue 5, 6).
  const store = () => memorySinkOf(sinks);
  await app.register(fixtureRoutes, { prefix: '/api', store, authToken: () => config.access.authToken });
  registerUiRoutes(app);

  const listen = opts.listen ?? config.listen;
  // Fastify logs one line per address it listens on (several for 0.0.0.0 or localhost); the CLI's tests and users
  // look for this wording.
  try {
    await app.listen({ host: listen.host, port: listen.port, listenTextResolver: (address) => `listening on ${address}` });
  } catch (err) {
    // Port in use, address not local: release what was opened, so an embedding process can carry on.
    await app.close();
    if (!opts.sinks) await closeSinks(sinks);
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : listen.port;
  const url = `${config.tls ? 'https' : 'http'}://${urlHost(listen.host)}:${port}`;

  if (log) {
    announce(log, config, sinks, url);
    log.info(`point an OpenLLMetry/Traceloop app here with TRACELOOP_BASE_URL=${otelUrlOf(url, config)}`);
  }

  let closing: Promise<void> | undefined;
  /** Old sinks being closed after the requests that still use them. */
  const retiring = new Set<Promise<void>>();

  async function applyReload(next: GatewayConfig): Promise<ReloadResult> {
    if (closing) return { applied: false, reason: 'the gateway is shutting down' };
    const fixed = restartOnlyChange(config, next, opts.listen !== undefined);
    if (fixed) return { applied: false, reason: fixed };
    let nextKeyed: KeyedSink[];
    try {
      nextKeyed = await configuredSinks(keyed, next);
    } catch (err) {
      return { applied: false, reason: `cannot build the sinks: ${redactTokens((err as Error).message)}` };
    }
    const nextSinks = sinksOf(nextKeyed);
    const dropped = sinks.filter((s) => !nextSinks.includes(s));
    const built = nextSinks.filter((s) => !sinks.includes(s));
    let unused: Promise<void>;
    try {
      unused = app.otlpReceiver.update(receiverOptions(next, nextSinks));
    } catch (err) {
      await closeSinks(built).catch(() => {});
      return { applied: false, reason: (err as Error).message };
    }
    [config, keyed, sinks] = [next, nextKeyed, nextSinks];
    metrics?.setSinks(sinks);
    if (log) announce(log, config, sinks, url);
    const retired = unused
      .then(() => closeSinks(dropped))
      .catch((err: unknown) => log?.error({ err }, 'closing the sinks of the previous configuration failed'))
      .finally(() => retiring.delete(retired));
    retiring.add(retired);
    return { applied: true, retired };
  }

  // One reload at a time, each against the configuration the previous one left.
  let reloads: Promise<unknown> = Promise.resolve();
  const fixture = gatewayFixture(store);
  return {
    app,
    get config() {
      return config;
    },
    get sinks() {
      return sinks;
    },
    url,
    get otelUrl() {
      return otelUrlOf(url, config);
    },
    reload(next) {
      const result = reloads.then(() => applyReload(next));
      reloads = result.catch(() => {});
      return result;
    },
    close() {
      closing ??= (async () => {
        await reloads;
        // Resolves once every request in flight has been answered, i.e. its points are in the sinks.
        await app.close();
        await Promise.all([closeSinks(sinks), ...retiring]);
      })();
      return closing;
    },
    points: fixture.points,
    waitFor: fixture.waitFor,
    reset: fixture.reset,
    llmCalls: fixture.llmCalls,
    snapshot: fixture.snapshot,
    get store() {
      return fixture.store;
    },
  };
}
