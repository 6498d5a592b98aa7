import type { AnyValue, KeyValue, Span, SpanEvent, SpanLink } from '../otlp/model.js';
import { bufferOf } from './format.js';

/**
 * Go protojson's compact rendering of OTLP messages, as DataKit writes them into a span's `message` field and into
 * selected array/kvlist attribute values (datakit reference §4.7, §5.14, Q23):
 * lowerCamelCase keys in declaration order of DataKit's (old) schema, which has no Span/Link `flags`;
 * 64-bit integers as strings; bytes and ids as base64; enums as names; zero scalars and empty lists omitted;
 * the value inside an AnyValue always written. Go adds random whitespace in some builds; we write the compact form.
 */

const SPAN_KIND_NAMES = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
];
const STATUS_CODE_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

/** protojson writes an unknown enum number as a number. */
const enumJson = (names: readonly string[], n: number): string => (n >= 0 && n < names.length ? `"${names[n]}"` : String(n));

/** protojson doubles: JSON numbers, with NaN and the infinities as strings. */
function doubleJson(n: number): string {
  if (Number.isNaN(n)) return '"NaN"';
  if (n === Infinity) return '"Infinity"';
  if (n === -Infinity) return '"-Infinity"';
  return JSON.stringify(n);
}

/** The characters JSON.stringify escapes: `"`, `\`, controls and (lone) surrogates. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON.stringify(s), byte for byte; most attribute text needs no escaping, and quoting it is cheaper. */
const jsonString = (s: string): string => (NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`);

const base64 = (b: Uint8Array): string => bufferOf(b).toString('base64');

/**
 * Collects `"key":value` members, leaving out proto3 zero values as protojson does. Parts are joined rather than
 * appended with `+=`: join gives one flat string, where `+=` leaves a tree of cons strings per message that costs
 * the garbage collector far more than the copy (and keeps the decoded request alive while points wait in queues).
 */
class Members {
  private parts: string[] = [];
  raw(key: string, json: string): this {
    this.parts.push(`"${key}":${json}`);
    return this;
  }
  str(key: string, s: string): this {
    return s === '' ? this : this.raw(key, jsonString(s));
  }
  bytes(key: string, b: Uint8Array): this {
    return b.length === 0 ? this : this.raw(key, `"${base64(b)}"`);
  }
  u32(key: string, n: number): this {
    return n === 0 ? this : this.raw(key, String(n));
  }
  u64(key: string, n: bigint): this {
    return n === 0n ? this : this.raw(key, `"${n}"`);
  }
  list<T>(key: string, items: readonly T[], render: (item: T, index: number) => string): this {
    return items.length === 0 ? this : this.raw(key, `[${items.map(render).join(',')}]`);
  }
  toString(): string {
    return `{${this.parts.join(',')}}`;
  }
}

function anyValueJson(v: AnyValue): string {
  switch (v.kind) {
    case 'string':
      return `{"stringValue":${jsonString(v.value)}}`;
    case 'bool':
      return `{"boolValue":${v.value}}`;
    case 'int':
      return `{"intValue":"${v.value}"}`;
    case 'double':
      return `{"doubleValue":${doubleJson(v.value)}}`;
    case 'bytes':
      return `{"bytesValue":"${base64(v.value)}"}`;
    case 'array':
      return `{"arrayValue":${arrayValueJson(v.values)}}`;
    case 'kvlist':
      return `{"kvlistValue":${kvListJson(v.values)}}`;
    case 'empty':
      return '{}';
  }
}

/** Written out by hand rather than with Members: it is the most frequent message (every attribute). */
function keyValueJson(kv: KeyValue): string {
  const key = kv.key === '' ? '' : `"key":${jsonString(kv.key)}`;
  if (kv.value === undefined) return `{${key}}`;
  return `{${key}${key === '' ? '' : ','}"value":${anyValueJson(kv.value)}}`;
}

/** An `ArrayValue` message: `{"values":[…]}`, or `{}` when empty. */
export const arrayValueJson = (values: readonly AnyValue[]): string => new Members().list('values', values, anyValueJson).toString();

/** A `KeyValueList` message: `{"values":[{"key":…,"value":…}]}`, or `{}` when empty. */
export const kvListJson = (values: readonly KeyValue[]): string => new Members().list('values', values, keyValueJson).toString();

function eventJson(e: SpanEvent): string {
  return new Members()
    .u64('timeUnixNano', e.timeUnixNano)
    .str('name', e.name)
    .list('attributes', e.attributes, keyValueJson)
    .u32('droppedAttributesCount', e.droppedAttributesCount)
    .toString();
}

function linkJson(l: SpanLink): string {
  return new Members()
    .bytes('traceId', l.traceId)
    .bytes('spanId', l.spanId)
    .str('traceState', l.traceState)
    .list('attributes', l.attributes, keyValueJson)
    .u32('droppedAttributesCount', l.droppedAttributesCount)
    .toString();
}

export interface SpanMessageOptions {
  /** `clean_message`: ids, name, kind, times and status are cleared (they live in their own keys). */
  clean: boolean;
  /** The non-selected attributes that replace the span's own (datakit reference §4.8). */
  attributes: readonly KeyValue[];
  /** Index of the exception event consumed by the error fields, written as an empty `{}` placeholder; -1 if none. */
  consumedEvent: number;
}

/** The span `message` field (datakit reference §5.14, protojson encoder). */
export function spanMessageJson(span: Span, opts: SpanMessageOptions): string {
  const m = new Members();
  if (!opts.clean) m.bytes('traceId', span.traceId).bytes('spanId', span.spanId);
  m.str('traceState', span.traceState);
  if (!opts.clean) {
    m.bytes('parentSpanId', span.parentSpanId).str('name', span.name);
    if (span.kind !== 0) m.raw('kind', enumJson(SPAN_KIND_NAMES, span.kind));
    m.u64('startTimeUnixNano', span.startTimeUnixNano).u64('endTimeUnixNano', span.endTimeUnixNano);
  }
  m.list('attributes', opts.attributes, keyValueJson)
    .u32('droppedAttributesCount', span.droppedAttributesCount)
    .list('events', span.events, (e, i) => (i === opts.consumedEvent ? '{}' : eventJson(e)))
    .u32('droppedEventsCount', span.droppedEventsCount)
    .list('links', span.links, linkJson)
    .u32('droppedLinksCount', span.droppedLinksCount);
  if (!opts.clean && span.status !== undefined) {
    const s = new Members().str('message', span.status.message);
    if (span.status.code !== 0) s.raw('code', enumJson(STATUS_CODE_NAMES, span.status.code));
    m.raw('status', s.toString());
  }
  return m.toString();
}
