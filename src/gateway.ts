import { dirname } from 'node:path';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config/types.js';
import { GatewayMetrics, MeteredPipeline } from './metrics.js';
import { registerOpsRoutes } from './ops-routes.js';
import { otlpReceiver } from './otlp/receiver.js';
import { Pipeline } from './pipeline.js';
import { defaultServerTimeouts, fastifyTimeoutOptions, type ServerTimeouts } from './server-timeouts.js';
import { createSinks, QueuedSink, type Sink, type SinkContext, type SinkLogger } from './sinks/index.js';

export interface GatewayOptions {
  config: GatewayConfig;
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

export interface RunningGateway {
  readonly app: FastifyInstance;
  readonly config: GatewayConfig;
  readonly sinks: readonly Sink[];
  /** `http://host:port` of the listening server. */
  readonly url: string;
  /** The base URL an OpenTelemetry SDK or Traceloop needs (`TRACELOOP_BASE_URL`): `<url>/otel` with the default routes. */
  readonly otelUrl: string;
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

/** Assembles receive → decode → convert → deliver and starts listening. */
export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  const { config } = opts;
  const log = opts.logger || undefined;
  const sinks = opts.sinks ?? (await createSinks(config.sinks, sinkContext(config, log)));
  // Self-metrics (issue 7, checklist 42): off with `[gateway] metrics = false`, and then nothing is counted.
  const metrics = config.metrics ? new GatewayMetrics(sinks) : null;
  const pipelineOptions = { config, sinks, now: opts.now };
  const pipeline = metrics ? new MeteredPipeline(pipelineOptions, metrics) : new Pipeline(pipelineOptions);

  const app = Fastify({
    // Typed as Fastify's base logger so the instance type stays the default one the rest of the code expects.
    ...(log ? { loggerInstance: log as FastifyBaseLogger } : { logger: false }),
    // Each request is logged by the receiver when it matters; per-request access logs would dominate the output.
    logController: new LogController({ disableRequestLogging: true }),
    // The receiver answers requests that arrive while closing itself (503 + Retry-After + Status, checklist 41).
    return503OnClosing: false,
    // Slowloris protection (checklist 39), and Status bodies for what Node's HTTP parser refuses.
    ...fastifyTimeoutOptions({ ...defaultServerTimeouts(config.limits.maxRequestBytes), ...opts.timeouts }),
  });
  await otlpReceiver(app, {
    inputs: config.inputs,
    limits: config.limits,
    access: config.access,
    datakitVersion: config.datakitVersion,
    hostname: config.hostname,
    handle: pipeline.handle,
    admit: pipeline.admit,
    observer: metrics ?? undefined,
  });
  // /health, /ready, /metrics: outside the OTLP routes' auth (issue 7).
  registerOpsRoutes(app, { metrics, sinks });

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
  const url = `http://${urlHost(listen.host)}:${port}`;
  const traceApi = config.inputs.find((i) => i.http)?.http?.traceApi ?? '/otel/v1/traces';
  const otelUrl = url + traceApi.replace(/\/v1\/traces\/?$/, '');

  if (log) {
    for (const input of config.inputs) {
      if (!input.http) continue;
      const { traceApi: t, metricApi: m, logsApi: l } = input.http;
      log.info(`OTLP/HTTP routes: POST ${url}${t} ${url}${m} ${url}${l}${input.strictDatakit ? ' (strict_datakit: answering exactly as DataKit 1.84)' : ''}`);
    }
    log.info(`point an OpenLLMetry/Traceloop app here with TRACELOOP_BASE_URL=${otelUrl}`);
    for (const s of sinks) log.info(`points go to ${redactTokens(s.name)} (${[...s.categories].join(', ')})`);
    if (config.dataway.urls.length > 0 && !config.sinks.some((s) => s.target === 'dataway')) {
      log.warn('[dataway] urls are not used: add a [[sinks.sink]] with target = "dataway" to deliver there');
    }
  }

  let closing: Promise<void> | undefined;
  return {
    app,
    config,
    sinks,
    url,
    otelUrl,
    close() {
      closing ??= (async () => {
        // Resolves once every request in flight has been answered, i.e. its points are in the sinks.
        await app.close();
        await closeSinks(sinks);
      })();
      return closing;
    },
  };
}
