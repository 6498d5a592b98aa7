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

/*
 * Messages are built by appending to one string. Each append makes a cons cell, and the whole tree is copied once,
 * into one flat string, when the text is first read (line-protocol encoding): cheaper than collecting parts in
 * arrays and joining them per message and per list. The tree only references strings of the decoded request, which
 * the point batch keeps anyway (PointBatch.source).
 *
 * A message's members are built without braces; `member` starts a member, with a comma unless it is the first.
 * Keys are passed quoted with their colon (`"name":`), as they are written.
 */
const member = (m: string, key: string, json: string): string => (m === '' ? key : m + ',' + key) + json;

const strMember = (m: string, key: string, s: string): string => (s === '' ? m : member(m, key, jsonString(s)));
const bytesMember = (m: string, key: string, b: Uint8Array): string => (b.length === 0 ? m : member(m, key, '"' + base64(b) + '"'));
const u32Member = (m: string, key: string, n: number): string => (n === 0 ? m : member(m, key, String(n)));
const u64Member = (m: string, key: string, n: bigint): string => (n === 0n ? m : member(m, key, '"' + n + '"'));

/** A JSON array of the items, each rendered by `render`. */
function listJson<T>(items: readonly T[], render: (item: T) => string): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ',';
    out += render(items[i]);
  }
  return out + ']';
}

/** An empty list is left out, as protojson leaves out every empty repeated field. */
const listMember = <T>(m: string, key: string, items: readonly T[], render: (item: T) => string): string =>
  items.length === 0 ? m : member(m, key, listJson(items, render));

function anyValueJson(v: AnyValue): string {
  switch (v.kind) {
    case 'string':
      return NEEDS_ESCAPE.test(v.value) ? '{"stringValue":' + JSON.stringify(v.value) + '}' : '{"stringValue":"' + v.value + '"}';
    case 'bool':
      return v.value ? '{"boolValue":true}' : '{"boolValue":false}';
    case 'int':
      return '{"intValue":"' + v.value + '"}';
    case 'double':
      return '{"doubleValue":' + doubleJson(v.value) + '}';
    case 'bytes':
      return '{"bytesValue":"' + base64(v.value) + '"}';
    case 'array':
      return '{"arrayValue":' + arrayValueJson(v.values) + '}';
    case 'kvlist':
      return '{"kvlistValue":' + kvListJson(v.values) + '}';
    case 'empty':
      return '{}';
  }
}

/** Written with as few appends as possible: it is the most frequent message (every attribute). */
function keyValueJson(kv: KeyValue): string {
  if (kv.value !== undefined && kv.key !== '' && !NEEDS_ESCAPE.test(kv.key)) {
    return '{"key":"' + kv.key + '","value":' + anyValueJson(kv.value) + '}';
  }
  const key = kv.key === '' ? '' : '"key":' + jsonString(kv.key);
  if (kv.value === undefined) return '{' + key + '}';
  return '{' + member(key, '"value":', anyValueJson(kv.value)) + '}';
}

/** An `ArrayValue` message: `{"values":[…]}`, or `{}` when empty. */
export const arrayValueJson = (values: readonly AnyValue[]): string => '{' + listMember('', '"values":', values, anyValueJson) + '}';

/** A `KeyValueList` message: `{"values":[{"key":…,"value":…}]}`, or `{}` when empty. */
export const kvListJson = (values: readonly KeyValue[]): string => '{' + listMember('', '"values":', values, keyValueJson) + '}';

function eventJson(e: SpanEvent): string {
  let m = u64Member('', '"timeUnixNano":', e.timeUnixNano);
  m = strMember(m, '"name":', e.name);
  m = listMember(m, '"attributes":', e.attributes, keyValueJson);
  return '{' + u32Member(m, '"droppedAttributesCount":', e.droppedAttributesCount) + '}';
}

/** The events, with the one consumed by the error fields (index `consumed`, -1 for none) written as `{}`. */
function eventsJson(events: readonly SpanEvent[], consumed: number): string {
  let out = '[';
  for (let i = 0; i < events.length; i++) {
    if (i > 0) out += ',';
    out += i === consumed ? '{}' : eventJson(events[i]);
  }
  return out + ']';
}

function linkJson(l: SpanLink): string {
  let m = bytesMember('', '"traceId":', l.traceId);
  m = bytesMember(m, '"spanId":', l.spanId);
  m = strMember(m, '"traceState":', l.traceState);
  m = listMember(m, '"attributes":', l.attributes, keyValueJson);
  return '{' + u32Member(m, '"droppedAttributesCount":', l.droppedAttributesCount) + '}';
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
  const { clean } = opts;
  let m = '';
  if (!clean) {
    m = bytesMember(m, '"traceId":', span.traceId);
    m = bytesMember(m, '"spanId":', span.spanId);
  }
  m = strMember(m, '"traceState":', span.traceState);
  if (!clean) {
    m = bytesMember(m, '"parentSpanId":', span.parentSpanId);
    m = strMember(m, '"name":', span.name);
    if (span.kind !== 0) m = member(m, '"kind":', enumJson(SPAN_KIND_NAMES, span.kind));
    m = u64Member(m, '"startTimeUnixNano":', span.startTimeUnixNano);
    m = u64Member(m, '"endTimeUnixNano":', span.endTimeUnixNano);
  }
  m = listMember(m, '"attributes":', opts.attributes, keyValueJson);
  m = u32Member(m, '"droppedAttributesCount":', span.droppedAttributesCount);
  if (span.events.length > 0) m = member(m, '"events":', eventsJson(span.events, opts.consumedEvent));
  m = u32Member(m, '"droppedEventsCount":', span.droppedEventsCount);
  m = listMember(m, '"links":', span.links, linkJson);
  m = u32Member(m, '"droppedLinksCount":', span.droppedLinksCount);
  if (!clean && span.status !== undefined) {
    let status = strMember('', '"message":', span.status.message);
    if (span.status.code !== 0) status = member(status, '"code":', enumJson(STATUS_CODE_NAMES, span.status.code));
    m = member(m, '"status":', '{' + status + '}');
  }
  return '{' + m + '}';
}
