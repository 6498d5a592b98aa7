import type { OtelInputConfig } from '../config/types.js';
import type { PointOrigins } from './origin.js';

/**
 * What the converters need besides the OTLP data: the input's settings and the per-request and per-process facts
 * DataKit puts on points. Built once per request by the receiver; the converters never look at HTTP or config files.
 */
export interface ConvertContext {
  /** The `[[inputs.opentelemetry]]` table whose route received the request. */
  input: OtelInputConfig;
  /** Compiled customer_tags (built once per input, see customer-tags.ts). Traces only. */
  customerTags: CustomerTagsMatcher;
  /** DataKit's hostname (`ENV_HOSTNAME` or the machine's), for `host` and `dk_fingerprint`. */
  hostname: string;
  /** The DataKit version reported in `dk_fingerprint` (`<hostname>_<version>`). */
  datakitVersion: string;
  /** `[global_host_tags]`, added to trace points at build time (io adds them to the others). */
  globalHostTags: Record<string, string>;
  /** `remote_ip` as DataKit computes it for this request (datakit reference §3.7). */
  remoteIp: string;
  /** When set, each emitted point's OTLP item is recorded here (origin.ts); unset on the production hot path. */
  origins?: PointOrigins;
}

/** Resolves an attribute key to its output key when selected (datakit reference §4.2), else `undefined`. */
export interface CustomerTagsMatcher {
  resolve(key: string): string | undefined;
}
