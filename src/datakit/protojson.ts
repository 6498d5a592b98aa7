import type { AnyValue, KeyValue, Span, SpanEvent, SpanLink } from '../otlp/model.js';
import { bufferOf } from './format.js';

/**
 * Go protojson's compact rendering of OTLP messages, as DataKit writes them into a span's `message` field and into
 * selected array/kvlist attribute values (datakit reference §4.7, §5.14, Q23):
 * lowerCamelCase keys in declaration order of DataKit's (old) schema, which has no Span/Link `flags`;
 * 64-bit integers as strings; bytes and ids as base64; enums as names; zero scalars and empty lists omitted;
 * the value inside an AnyValue always written. Go adds random whitespace in some builds; we write the compact form.
 *
 * The span message is also made, in the same pass, as the line-protocol string field that carries it: quoted, with
 * `"` and `\` escaped (§9.2). Escaping the finished JSON would scan and copy every message again (~2 µs per span,
 * a third of encoding a span line); here each piece is escaped once, most of them constants escaped at startup.
 */

// ------------------------------------------------------------------------------------------------ output

/** A constant piece of JSON syntax and its line-protocol-escaped form. */
interface Piece {
  readonly json: string;
  readonly lp: string;
}

/** §9.2 string field escaping: `\` and `"` get a backslash (backslashes first, so added ones are not doubled). */
const lpEscape = (s: string): string => s.replaceAll('\\', '\\\\').replaceAll('"', '\\"');

const piece = (json: string): Piece => ({ json, lp: lpEscape(json) });

/**
 * The characters JSON.stringify escapes: `"`, `\`, controls and (lone) surrogates; surrogates in pairs are sent to
 * JSON.stringify too, which writes them as they are. Written as the complement of the characters that need nothing:
 * V8 runs this negated class ~30 % faster over long ASCII text (prompts) than the same set listed directly, which
 * took ~2–3 % off converting a 100-span request (alternating runs of the built code).
 */
const NEEDS_ESCAPE = /[^\u0020\u0021\u0023-\u005b\u005d-\ud7ff\ue000-\uffff]/;

/** Where a message is written: JSON only, or JSON and its line-protocol form together. */
interface Out {
  /** Constant syntax. */
  syntax(p: Piece): void;
  /** A JSON string literal of `s` (JSON.stringify's escaping). */
  str(s: string): void;
  /** Text the same in both forms: numbers, base64, enum names (never `"` or `\`). */
  text(s: string): void;
  /** The usual attribute, `{"key":"k","value":{"stringValue":"v"}}`, when neither `k` nor `v` needs escaping. */
  plainStringAttribute(k: string, v: string): void;
}

/*
 * Appending makes cons cells; the tree is copied once, into one flat string, when the text is first read (line-
 * protocol encoding): cheaper than collecting parts in arrays and joining them per message and per list.
 */
class JsonOut implements Out {
  json = '';
  syntax(p: Piece): void {
    this.json += p.json;
  }
  str(s: string): void {
    this.json += NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"';
  }
  text(s: string): void {
    this.json += s;
  }
  plainStringAttribute(k: string, v: string): void {
    this.json += '{"key":"' + k + '","value":{"stringValue":"' + v + '"}}';
  }
}

class BothOut implements Out {
  json = '';
  lp = '';
  syntax(p: Piece): void {
    this.json += p.json;
    this.lp += p.lp;
  }
  str(s: string): void {
    if (NEEDS_ESCAPE.test(s)) {
      const json = JSON.stringify(s);
      this.json += json;
      this.lp += lpEscape(json);
    } else {
      this.json += '"' + s + '"';
      this.lp += '\\"' + s + '\\"';
    }
  }
  text(s: string): void {
    this.json += s;
    this.lp += s;
  }
  plainStringAttribute(k: string, v: string): void {
    this.json += '{"key":"' + k + '","value":{"stringValue":"' + v + '"}}';
    this.lp += '{\\"key\\":\\"' + k + '\\",\\"value\\":{\\"stringValue\\":\\"' + v + '\\"}}';
  }
}

// ------------------------------------------------------------------------------------------------ syntax

const OPEN = piece('{');
const CLOSE = piece('}');
const EMPTY_MESSAGE = piece('{}');
const OPEN_LIST = piece('[');
const CLOSE_LIST = piece(']');
const COMMA = piece(',');
const QUOTE = piece('"');
const TRUE = piece('true');
const FALSE = piece('false');

/** `"name":`, quoted with its colon as written. */
const key = (name: string): Piece => piece(`"${name}":`);

const K = {
  traceId: key('traceId'),
  spanId: key('spanId'),
  traceState: key('traceState'),
  parentSpanId: key('parentSpanId'),
  name: key('name'),
  kind: key('kind'),
  startTimeUnixNano: key('startTimeUnixNano'),
  endTimeUnixNano: key('endTimeUnixNano'),
  attributes: key('attributes'),
  droppedAttributesCount: key('droppedAttributesCount'),
  events: key('events'),
  droppedEventsCount: key('droppedEventsCount'),
  links: key('links'),
  droppedLinksCount: key('droppedLinksCount'),
  status: key('status'),
  message: key('message'),
  code: key('code'),
  timeUnixNano: key('timeUnixNano'),
  key: key('key'),
  value: key('value'),
  values: key('values'),
};

/** `{"stringValue":` and the like: an AnyValue's opening, up to its value. */
const V = {
  string: piece('{"stringValue":'),
  bool: piece('{"boolValue":'),
  int: piece('{"intValue":"'),
  double: piece('{"doubleValue":'),
  bytes: piece('{"bytesValue":"'),
  array: piece('{"arrayValue":'),
  kvlist: piece('{"kvlistValue":'),
};
/** The closing of `{"intValue":"…` and `{"bytesValue":"…`. */
const QUOTE_CLOSE = piece('"}');

const enumPieces = (names: readonly string[]): Piece[] => names.map((n) => piece(`"${n}"`));
const SPAN_KINDS = enumPieces([
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
]);
const STATUS_CODES = enumPieces(['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR']);

/** protojson writes an unknown enum number as a number. */
function enumValue(out: Out, names: readonly Piece[], n: number): void {
  if (n >= 0 && n < names.length) out.syntax(names[n]);
  else out.text(String(n));
}

/** protojson doubles: JSON numbers, with NaN and the infinities as strings. */
function doubleValue(out: Out, n: number): void {
  if (Number.isFinite(n)) out.text(JSON.stringify(n));
  else out.str(Number.isNaN(n) ? 'NaN' : n > 0 ? 'Infinity' : '-Infinity');
}

const base64 = (b: Uint8Array): string => bufferOf(b).toString('base64');

// ------------------------------------------------------------------------------------------------ messages

/*
 * A message's members: `member` writes the comma (unless first) and the key, and returns false, the new `first`.
 * Zero scalars and empty lists are left out by the callers, before the key is written.
 */
function member(out: Out, first: boolean, k: Piece): false {
  if (!first) out.syntax(COMMA);
  out.syntax(k);
  return false;
}

function strMember(out: Out, first: boolean, k: Piece, s: string): boolean {
  if (s === '') return first;
  first = member(out, first, k);
  out.str(s);
  return first;
}

function bytesMember(out: Out, first: boolean, k: Piece, b: Uint8Array): boolean {
  if (b.length === 0) return first;
  first = member(out, first, k);
  out.syntax(QUOTE);
  out.text(base64(b));
  out.syntax(QUOTE);
  return first;
}

function u32Member(out: Out, first: boolean, k: Piece, n: number): boolean {
  if (n === 0) return first;
  first = member(out, first, k);
  out.text(String(n));
  return first;
}

function u64Member(out: Out, first: boolean, k: Piece, n: bigint): boolean {
  if (n === 0n) return first;
  first = member(out, first, k);
  out.syntax(QUOTE);
  out.text(String(n));
  out.syntax(QUOTE);
  return first;
}

/** A JSON array of the items, each written by `write`. */
function list<T>(out: Out, items: readonly T[], write: (out: Out, item: T) => void): void {
  out.syntax(OPEN_LIST);
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out.syntax(COMMA);
    write(out, items[i]);
  }
  out.syntax(CLOSE_LIST);
}

/** An empty list is left out, as protojson leaves out every empty repeated field. */
function listMember<T>(out: Out, first: boolean, k: Piece, items: readonly T[], write: (out: Out, item: T) => void): boolean {
  if (items.length === 0) return first;
  first = member(out, first, k);
  list(out, items, write);
  return first;
}

function anyValue(out: Out, v: AnyValue): void {
  switch (v.kind) {
    case 'string':
      out.syntax(V.string);
      out.str(v.value);
      out.syntax(CLOSE);
      return;
    case 'bool':
      out.syntax(V.bool);
      out.syntax(v.value ? TRUE : FALSE);
      out.syntax(CLOSE);
      return;
    case 'int':
      out.syntax(V.int);
      out.text(String(v.value));
      out.syntax(QUOTE_CLOSE);
      return;
    case 'double':
      out.syntax(V.double);
      doubleValue(out, v.value);
      out.syntax(CLOSE);
      return;
    case 'bytes':
      out.syntax(V.bytes);
      out.text(base64(v.value));
      out.syntax(QUOTE_CLOSE);
      return;
    case 'array':
      out.syntax(V.array);
      arrayValue(out, v.values);
      out.syntax(CLOSE);
      return;
    case 'kvlist':
      out.syntax(V.kvlist);
      kvList(out, v.values);
      out.syntax(CLOSE);
      return;
    case 'empty':
      out.syntax(EMPTY_MESSAGE);
  }
}

/** One attribute: `{"key":…,"value":…}`, the empty key and a missing value left out. */
function keyValue(out: Out, kv: KeyValue): void {
  const v = kv.value;
  // The most frequent message by far: written in one append per output.
  if (v !== undefined && v.kind === 'string' && kv.key !== '' && !NEEDS_ESCAPE.test(kv.key) && !NEEDS_ESCAPE.test(v.value)) {
    out.plainStringAttribute(kv.key, v.value);
    return;
  }
  out.syntax(OPEN);
  let first = strMember(out, true, K.key, kv.key);
  if (kv.value !== undefined) {
    first = member(out, first, K.value);
    anyValue(out, kv.value);
  }
  out.syntax(CLOSE);
}

/** An `ArrayValue` message: `{"values":[…]}`, or `{}` when empty. */
function arrayValue(out: Out, values: readonly AnyValue[]): void {
  out.syntax(OPEN);
  listMember(out, true, K.values, values, anyValue);
  out.syntax(CLOSE);
}

/** A `KeyValueList` message: `{"values":[{"key":…,"value":…}]}`, or `{}` when empty. */
function kvList(out: Out, values: readonly KeyValue[]): void {
  out.syntax(OPEN);
  listMember(out, true, K.values, values, keyValue);
  out.syntax(CLOSE);
}

function event(out: Out, e: SpanEvent): void {
  out.syntax(OPEN);
  let first = u64Member(out, true, K.timeUnixNano, e.timeUnixNano);
  first = strMember(out, first, K.name, e.name);
  first = listMember(out, first, K.attributes, e.attributes, keyValue);
  u32Member(out, first, K.droppedAttributesCount, e.droppedAttributesCount);
  out.syntax(CLOSE);
}

function link(out: Out, l: SpanLink): void {
  out.syntax(OPEN);
  let first = bytesMember(out, true, K.traceId, l.traceId);
  first = bytesMember(out, first, K.spanId, l.spanId);
  first = strMember(out, first, K.traceState, l.traceState);
  first = listMember(out, first, K.attributes, l.attributes, keyValue);
  u32Member(out, first, K.droppedAttributesCount, l.droppedAttributesCount);
  out.syntax(CLOSE);
}

export interface SpanMessageOptions {
  /** `clean_message`: ids, name, kind, times and status are cleared (they live in their own keys). */
  clean: boolean;
  /** The non-selected attributes that replace the span's own (datakit reference §4.8). */
  attributes: readonly KeyValue[];
  /** Index of the exception event consumed by the error fields, written as an empty `{}` placeholder; -1 if none. */
  consumedEvent: number;
}

/** The span `message` (datakit reference §5.14, protojson encoder). */
function spanMessage(out: Out, span: Span, opts: SpanMessageOptions): void {
  const { clean } = opts;
  out.syntax(OPEN);
  let first = true;
  if (!clean) {
    first = bytesMember(out, first, K.traceId, span.traceId);
    first = bytesMember(out, first, K.spanId, span.spanId);
  }
  first = strMember(out, first, K.traceState, span.traceState);
  if (!clean) {
    first = bytesMember(out, first, K.parentSpanId, span.parentSpanId);
    first = strMember(out, first, K.name, span.name);
    if (span.kind !== 0) {
      first = member(out, first, K.kind);
      enumValue(out, SPAN_KINDS, span.kind);
    }
    first = u64Member(out, first, K.startTimeUnixNano, span.startTimeUnixNano);
    first = u64Member(out, first, K.endTimeUnixNano, span.endTimeUnixNano);
  }
  first = listMember(out, first, K.attributes, opts.attributes, keyValue);
  first = u32Member(out, first, K.droppedAttributesCount, span.droppedAttributesCount);
  if (span.events.length > 0) {
    first = member(out, first, K.events);
    // The event consumed by the error fields is written as `{}`.
    out.syntax(OPEN_LIST);
    for (let i = 0; i < span.events.length; i++) {
      if (i > 0) out.syntax(COMMA);
      if (i === opts.consumedEvent) out.syntax(EMPTY_MESSAGE);
      else event(out, span.events[i]);
    }
    out.syntax(CLOSE_LIST);
  }
  first = u32Member(out, first, K.droppedEventsCount, span.droppedEventsCount);
  first = listMember(out, first, K.links, span.links, link);
  first = u32Member(out, first, K.droppedLinksCount, span.droppedLinksCount);
  if (!clean && span.status !== undefined) {
    first = member(out, first, K.status);
    out.syntax(OPEN);
    const inner = strMember(out, true, K.message, span.status.message);
    if (span.status.code !== 0) {
      member(out, inner, K.code);
      enumValue(out, STATUS_CODES, span.status.code);
    }
    out.syntax(CLOSE);
  }
  out.syntax(CLOSE);
}

// ------------------------------------------------------------------------------------------------ API

/** An `ArrayValue` message as JSON: `{"values":[…]}`, or `{}` when empty. */
export function arrayValueJson(values: readonly AnyValue[]): string {
  const out = new JsonOut();
  arrayValue(out, values);
  return out.json;
}

/** A `KeyValueList` message as JSON: `{"values":[{"key":…,"value":…}]}`, or `{}` when empty. */
export function kvListJson(values: readonly KeyValue[]): string {
  const out = new JsonOut();
  kvList(out, values);
  return out.json;
}

/** The span `message` field as JSON. */
export function spanMessageJson(span: Span, opts: SpanMessageOptions): string {
  const out = new JsonOut();
  spanMessage(out, span, opts);
  return out.json;
}

/** The span `message` as JSON, and as line protocol writes that string field: quoted, `"` and `\` escaped (§9.2). */
export function spanMessageWithLp(span: Span, opts: SpanMessageOptions): { json: string; lp: string } {
  const out = new BothOut();
  spanMessage(out, span, opts);
  return { json: out.json, lp: '"' + out.lp + '"' };
}
