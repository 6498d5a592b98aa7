import type { LogsRequest, MetricsRequest, Signal, TracesRequest } from '../otlp/model.js';
import type { OtelInputConfig } from '../config/types.js';
import type { PointOrigin } from './origin.js';

/**
 * A DataKit point: measurement, one ordered key list (tags and fields interleaved, as DataKit keeps them, because
 * the point checker's duplicate rules depend on that order) and a nanosecond timestamp.
 *
 * DataKit's three ways of putting a key (datakit reference §0):
 * - add:    only if the key is not there yet (first wins)
 * - set:    replace the existing key of that name (tag or field) in place, or append
 * - append: add without checking
 */

/** DataKit categories this gateway produces, named as in the dataway paths (`/v1/write/<category>`). */
export type Category = 'tracing' | 'metric' | 'logging';

export type FieldValue =
  | { readonly type: 'int'; readonly value: bigint }
  | { readonly type: 'uint'; readonly value: bigint }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'bool'; readonly value: boolean }
  | {
      readonly type: 'string';
      readonly value: string;
      /**
       * The value as a line-protocol string field (quoted, `"` and `\` escaped, §9.2), when the converter made it
       * along with the value (the span message: protojson.ts). Whoever changes the value makes a new FieldValue.
       */
      readonly lp?: string;
    };

/** Never changed once made (points share them; the line-protocol encoder relies on it): replace, don't edit. */
export interface TagKV {
  readonly key: string;
  readonly isTag: true;
  value: string;
}

export interface FieldKV {
  readonly key: string;
  readonly isTag: false;
  value: FieldValue;
}

export type KV = TagKV | FieldKV;

export interface Point {
  measurement: string;
  kvs: KV[];
  /** Nanoseconds since the Unix epoch. */
  time: bigint;
}

export const tag = (key: string, value: string): TagKV => ({ key, isTag: true, value });
export const intField = (key: string, value: bigint): FieldKV => ({ key, isTag: false, value: { type: 'int', value } });
export const uintField = (key: string, value: bigint): FieldKV => ({ key, isTag: false, value: { type: 'uint', value } });
export const floatField = (key: string, value: number): FieldKV => ({ key, isTag: false, value: { type: 'float', value } });
export const boolField = (key: string, value: boolean): FieldKV => ({ key, isTag: false, value: { type: 'bool', value } });
export const strField = (key: string, value: string): FieldKV => ({ key, isTag: false, value: { type: 'string', value } });

/** DataKit "add": keep the first key of a name. */
export function addKV(kvs: KV[], kv: KV): void {
  // Only existence matters, so the scan runs backwards: keys added late (host tags, added again by io) are found first.
  for (let i = kvs.length - 1; i >= 0; i--) if (kvs[i].key === kv.key) return;
  kvs.push(kv);
}

/** DataKit "set": replace the key of that name in place (whatever its tag/field kind), or append. */
export function setKV(kvs: KV[], kv: KV): void {
  for (let i = 0; i < kvs.length; i++) {
    if (kvs[i].key === kv.key) {
      kvs[i] = kv;
      return;
    }
  }
  kvs.push(kv);
}

export function getKV(kvs: readonly KV[], key: string): KV | undefined {
  for (const kv of kvs) if (kv.key === key) return kv;
  return undefined;
}

/** What a sink receives: points of one category, already checked and ready to encode. */
export interface PointBatch {
  category: Category;
  points: Point[];
  /**
   * The OTLP request the points came from, for sinks that forward OTLP rather than points (the `otlp` sink).
   * `body` is the decompressed request in `encoding`; `data` is the request as the receiving input decoded it (its
   * strict_datakit reading included), of the type `signal` names. Absent for batches that did not come from one request.
   */
  source?: { signal: Signal; encoding: 'protobuf' | 'json'; body: Uint8Array; data: TracesRequest | MetricsRequest | LogsRequest };
  /** The session the sending client named (`X-Gateway-Session` header or `session` query parameter), if any. */
  session?: string;
  /** Each point's OTLP item; present only when a sink asked for it (`Sink.wantsOrigins`). */
  origins?: ReadonlyMap<Point, PointOrigin>;
  /** The `[[inputs.opentelemetry]]` table the points were converted under (with `origins`: what `explain` needs). */
  input?: OtelInputConfig;
}
