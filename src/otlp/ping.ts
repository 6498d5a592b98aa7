import type { FastifyInstance } from 'fastify';

/**
 * `GET /v1/ping` as DataKit serves it (internal/httpapi api_ping.go, wrapped by its RawHTTPWrapper): a JSON body
 * `{"content":{"version":…,"uptime":…,"host":…}}` where `uptime` is Go's `time.Duration` text. Health checks and
 * clients that probe for a DataKit (ddtrace, `datakit monitor`) read it.
 */

export interface PingInfo {
  datakitVersion: string;
  hostname: string;
}

/** Registers the route; uptime counts from registration (DataKit: from its start). */
export function registerPing(app: FastifyInstance, info: PingInfo): void {
  const startedAt = process.hrtime.bigint();
  app.get('/v1/ping', (_request, reply) => {
    // A Buffer, so that Fastify does not add `; charset=utf-8` to what DataKit sends as plain `application/json`.
    reply.header('content-type', 'application/json').send(Buffer.from(pingBody(info, process.hrtime.bigint() - startedAt)));
  });
}

/** Field order as Go's json.Marshal writes the struct: version, uptime, host. */
export function pingBody(info: PingInfo, uptimeNs: bigint): string {
  return JSON.stringify({ content: { version: info.datakitVersion, uptime: goDuration(uptimeNs), host: info.hostname } });
}

/**
 * Go's `time.Duration.String()` for a non-negative duration in ns: `0s`; below one second the largest of ns/µs/ms
 * with a trimmed fraction (`1.5ms`); otherwise `[<h>h][<m>m]<s>[.<frac>]s` (`1h0m3.25s`).
 */
export function goDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  if (ns < 1_000n) return `${ns}ns`;
  if (ns < 1_000_000n) return `${withFraction(ns, 3)}µs`;
  if (ns < 1_000_000_000n) return `${withFraction(ns, 6)}ms`;
  const seconds = `${withFraction(ns % 60_000_000_000n, 9)}s`;
  const minutes = ns / 60_000_000_000n;
  if (minutes === 0n) return seconds;
  const hours = minutes / 60n;
  return hours === 0n ? `${minutes}m${seconds}` : `${hours}h${minutes % 60n}m${seconds}`;
}

/** `value / 10^digits` with the fraction's trailing zeros (and a bare point) dropped, as Go's fmtFrac. */
function withFraction(value: bigint, digits: number): string {
  const scale = 10n ** BigInt(digits);
  const fraction = (value % scale).toString().padStart(digits, '0').replace(/0+$/, '');
  return fraction === '' ? `${value / scale}` : `${value / scale}.${fraction}`;
}
