import type { GatewayConfig, SinkConfig } from './config/types.js';
import { createSinks, type Sink, type SinkContext } from './sinks/index.js';

/**
 * Hot reload (issue 7, SIGHUP): what may change while the gateway runs, and which sinks a new configuration can keep.
 * The orchestration (build, swap, retire) is RunningGateway.reload() in gateway.ts.
 */

/** What `RunningGateway.reload()` did. */
export type ReloadResult =
  | {
      applied: true;
      /** Resolves once the requests that started before the swap are answered and the sinks no longer used are closed. */
      retired: Promise<void>;
    }
  | {
      applied: false;
      /** Why the running configuration stays, naming the key. */
      reason: string;
    };

interface RestartOnlySetting {
  key: string;
  value(config: GatewayConfig): unknown;
}

/** Settings fixed while the process runs. */
const RESTART_ONLY: readonly RestartOnlySetting[] = [
  // The listening socket.
  { key: '[http_api] listen', value: (c) => `${c.listen.host}:${c.listen.port}` },
  // The server is created HTTP or HTTPS (with these files) at startup.
  { key: '[http_api.tls]', value: (c) => (c.tls ? `cert ${c.tls.certFile}, privkey ${c.tls.keyFile}` : 'off') },
  // The OTLP route's body limit and the server's connection timeouts are derived from it at startup (server-timeouts.ts).
  { key: '[gateway] max_request_bytes', value: (c) => c.limits.maxRequestBytes },
  // Adds or removes the /metrics route, and Fastify cannot change routes while listening.
  { key: '[gateway] metrics', value: (c) => c.metrics },
  // The number of worker processes is decided when the primary forks them (workers.ts).
  { key: '[gateway] workers', value: (c) => c.workers },
];

/**
 * The refusal for changes that need a restart, or null. `listenOverridden`: the address in use came from elsewhere
 * (`--listen`), so the file's `[http_api] listen` has no effect either way.
 */
export function restartOnlyChange(running: GatewayConfig, next: GatewayConfig, listenOverridden: boolean): string | null {
  const changed = RESTART_ONLY.filter((s) => !(listenOverridden && s.key === '[http_api] listen')).flatMap((s) => {
    const [was, now] = [s.value(running), s.value(next)];
    return was === now ? [] : [`${s.key} changed from ${String(was)} to ${String(now)}, which cannot be applied while running: restart to change it`];
  });
  return changed.length > 0 ? changed.join('; ') : null;
}

/** A running sink and what it was built from; equal keys = the same sink. */
export interface KeyedSink {
  key: string;
  config: SinkConfig;
  sink: Sink;
}

/** Everything a configured sink's behaviour depends on: its table and the context it was built in. */
function sinkKey(config: SinkConfig, ctx: SinkContext): string {
  return JSON.stringify([config, ctx.configDir, ctx.datawayUrls, ctx.userAgent]);
}

const spoolDirOf = (config: SinkConfig): string | undefined => ('delivery' in config ? config.delivery.spoolDir : undefined);

/**
 * The sinks of a configuration: a running sink whose table and context are unchanged is kept as it is (its queue,
 * spool and open file carry on), the others are built (and closed again if one fails). Throws when a new sink would
 * share a spool_dir with a running sink it replaces: two queues must never own one spool.
 */
export async function buildSinks(running: readonly KeyedSink[], configs: readonly SinkConfig[], ctx: SinkContext): Promise<KeyedSink[]> {
  const keys = configs.map((c) => sinkKey(c, ctx));
  const kept = new Map(running.filter((r) => keys.includes(r.key)).map((r) => [r.key, r.sink]));
  const replacedSpools = new Set(running.filter((r) => !kept.has(r.key)).map((r) => spoolDirOf(r.config)));
  const fresh = configs.filter((_, i) => !kept.has(keys[i]!));
  const taken = fresh.map(spoolDirOf).find((dir) => dir !== undefined && replacedSpools.has(dir));
  if (taken !== undefined) throw new Error(`spool_dir ${taken} belongs to a running sink whose settings changed: restart to change it`);
  const built = await createSinks(fresh, ctx);
  let next = 0;
  return configs.map((config, i) => ({ key: keys[i]!, config, sink: kept.get(keys[i]!) ?? built[next++]! }));
}
