import type { AnyValue, KeyValue } from '../otlp/model.js';
import { bufferOf, dotsToUnderscores, formatFixed, formatFloatG, truncateUtf8 } from './format.js';
import type { KV } from './point.js';

/**
 * Attribute values as text, the way DataKit turns metric and log attributes into tag and field strings
 * (datakit reference §6.3), and the per-list attribute maps it builds from them (§6.2, §7.3).
 */

/** DataKit cuts string attributes to 32 KiB (a byte cut; truncateUtf8 keeps whole characters, see format.ts). */
const MAX_STRING_BYTES = 32 * 1024;

/** Attributes DataKit deletes from every metric and log attribute list (§6.2), matched on the key as sent. */
const REMOVED_KEYS: ReadonlySet<string> = new Set([
  'process.command_line',
  'process.executable.path',
  'process.runtime.description',
  'process.runtime.name',
  'process.runtime.version',
  'telemetry.distro.name',
  'telemetry.distro.version',
  'telemetry.sdk.language',
  'telemetry.sdk.name',
  'telemetry.sdk.version',
]);

/**
 * §6.3: one attribute value as text; `undefined` means the key is left out (an empty AnyValue, or a KeyValue with no
 * value object, on which DataKit would panic: Q13, not reproduced).
 * Bytes (Q20): DataKit reads them with GetStringValue() and gets `""`; that is reproduced only with `strictDatakit`,
 * otherwise they are written as standard padded base64 (as protojson writes bytes).
 */
export function attrText(value: AnyValue | undefined, strictDatakit: boolean): string | undefined {
  if (value === undefined) return undefined;
  switch (value.kind) {
    case 'string':
      return truncateUtf8(value.value, MAX_STRING_BYTES);
    case 'bytes':
      return strictDatakit ? '' : bufferOf(value.value).toString('base64');
    case 'double':
      return formatFixed(value.value, 3); // Go %.3f (Q21)
    case 'empty':
      return undefined;
    default:
      return commonValueText(value);
  }
}

/** The value kinds attributes (§6.3) and log bodies (§7.4) write alike. */
type CommonTextValue = Extract<AnyValue, { kind: 'int' | 'bool' | 'array' | 'kvlist' }>;

/** Integers in decimal, booleans as `true`/`false`, arrays and kvlists in Go's protobuf text form. */
export function commonValueText(value: CommonTextValue): string {
  switch (value.kind) {
    case 'int':
      return value.value.toString();
    case 'bool':
      return value.value ? 'true' : 'false';
    case 'array':
      return arrayText(value.values);
    case 'kvlist':
      return kvListText(value.values);
  }
}

/**
 * One attribute list as DataKit's `attributesToTag` map: removed keys skipped, `.` → `_` in keys, values via attrText.
 * Go builds a map keyed by the original key and replaces dots only when merging, so two keys that become equal (`a.b`,
 * `a_b`) get a random winner; here the later one in the list wins (Q44, deterministic). The map keeps first-seen order.
 */
export function attributeMap(attrs: readonly KeyValue[], strictDatakit: boolean): Map<string, string> {
  const map = new Map<string, string>();
  forEachAttribute(attrs, strictDatakit, (key, text) => map.set(key, text));
  return map;
}

/** The attributes DataKit keeps, in list order, as output key and text: removed keys and valueless ones are skipped. */
function forEachAttribute(attrs: readonly KeyValue[], strictDatakit: boolean, visit: (key: string, text: string) => void): void {
  for (const a of attrs) {
    if (REMOVED_KEYS.has(a.key)) continue;
    const text = attrText(a.value, strictDatakit);
    if (text !== undefined) visit(dotsToUnderscores(a.key), text);
  }
}

/** DataKit "add" across maps: a key already present in an earlier map keeps its value (first wins). */
export function mergeFirstWins(first: ReadonlyMap<string, string>, second: ReadonlyMap<string, string>): Map<string, string> {
  const merged = new Map(first);
  for (const [k, v] of second) if (!merged.has(k)) merged.set(k, v);
  return merged;
}

/** Merged attributes shared by many points, with their KVs made once (KV objects are never mutated downstream). */
export interface SharedKVs {
  map: ReadonlyMap<string, string>;
  kvs: readonly KV[];
}

/** `make` is `tag` (metrics) or `strField` (logs). */
export function sharedKVs(map: ReadonlyMap<string, string>, make: (key: string, value: string) => KV): SharedKVs {
  const kvs: KV[] = [];
  for (const [k, v] of map) kvs.push(make(k, v));
  return { map, kvs };
}

/** A fresh KV list: the shared KVs, then the keys of `own` they lack (first wins). */
export function withOwnKVs(shared: SharedKVs, own: ReadonlyMap<string, string>, make: (key: string, value: string) => KV): KV[] {
  const kvs = shared.kvs.slice();
  for (const [k, v] of own) if (!shared.map.has(k)) kvs.push(make(k, v));
  return kvs;
}

/** Above this many attributes, attributeKVs' linear search for repeated keys would cost more than a map. */
const MAX_SCANNED_ATTRIBUTES = 32;

/**
 * `withOwnKVs(shared, attributeMap(attrs, strictDatakit), make)` without building the map: the per-item hot path
 * (a metric data point, a log record) with its handful of attributes.
 */
export function attributeKVs(shared: SharedKVs, attrs: readonly KeyValue[], strictDatakit: boolean, make: (key: string, value: string) => KV): KV[] {
  if (attrs.length > MAX_SCANNED_ATTRIBUTES) return withOwnKVs(shared, attributeMap(attrs, strictDatakit), make);
  // Pushed one by one into a fresh array: one backing store, with room for the keys the converter and io add.
  const kvs: KV[] = [];
  for (const kv of shared.kvs) kvs.push(kv);
  const ownFrom = kvs.length;
  forEachAttribute(attrs, strictDatakit, (key, text) => {
    if (shared.map.has(key)) return;
    // A repeated output key keeps the place of its first occurrence and takes the later value, as attributeMap's
    // Map.set does (Q44).
    for (let i = ownFrom; i < kvs.length; i++) {
      if (kvs[i].key === key) {
        kvs[i] = make(key, text);
        return;
      }
    }
    kvs.push(make(key, text));
  });
  return kvs;
}

// ------------------------------------------------------------------------------------ Go protobuf text form

/**
 * `ArrayValue.String()` in Go: protobuf-go's one-line text form, e.g. `values:{string_value:"a"} values:{int_value:1}`.
 * Go inserts a random extra space after some fields to keep the form unstable (Q22); this writes the compact form.
 */
export function arrayText(values: readonly AnyValue[]): string {
  let out = '';
  for (const v of values) out += (out === '' ? 'values:{' : ' values:{') + anyValueText(v) + '}';
  return out;
}

/** `KeyValueList.String()` in Go, e.g. `values:{key:"k" value:{string_value:"v"}}`. */
export function kvListText(values: readonly KeyValue[]): string {
  let out = '';
  for (const kv of values) out += (out === '' ? 'values:{' : ' values:{') + keyValueText(kv) + '}';
  return out;
}

/** A KeyValue's fields: proto3 leaves out an empty `key` and an absent `value` message. */
function keyValueText(kv: KeyValue): string {
  const key = kv.key === '' ? '' : 'key:' + quoteString(kv.key);
  if (kv.value === undefined) return key;
  return (key === '' ? '' : key + ' ') + 'value:{' + anyValueText(kv.value) + '}';
}

/** The one set oneof field of an AnyValue (always written, even when zero), or nothing for an empty AnyValue. */
function anyValueText(v: AnyValue): string {
  switch (v.kind) {
    case 'string':
      return 'string_value:' + quoteString(v.value);
    case 'bool':
      return 'bool_value:' + (v.value ? 'true' : 'false');
    case 'int':
      return 'int_value:' + v.value.toString();
    case 'double':
      return 'double_value:' + textFloat(v.value);
    case 'array':
      return 'array_value:{' + arrayText(v.values) + '}';
    case 'kvlist':
      return 'kvlist_value:{' + kvListText(v.values) + '}';
    case 'bytes':
      return 'bytes_value:' + quoteBytes(v.value);
    case 'empty':
      return '';
  }
}

/** protobuf-go text floats: `nan`, `inf`, `-inf`, else strconv 'g' with shortest digits. */
function textFloat(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  return formatFloatG(n);
}

/** Characters protobuf-go escapes in text strings: C0 controls, `"`, `\`, DEL and the C1 controls U+0080–U+009F. */
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\u007f-\u009f]/;

function needsEscape(c: number): boolean {
  return c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0x7f && c <= 0x9f);
}

function hex(n: number, minDigits: number): string {
  return n.toString(16).padStart(minDigits, '0');
}

/** protobuf-go's escape for one character that needsEscape() picked. */
function escapeChar(c: number): string {
  switch (c) {
    case 0x22:
      return '\\"';
    case 0x5c:
      return '\\\\';
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    case 0x09:
      return '\\t';
    default:
      // Controls and DEL as \xNN (two digits below 0x10 too), U+0080–U+009F as \u00NN.
      return c < 0x80 ? '\\x' + hex(c, 2) : '\\u' + hex(c, 4);
  }
}

function quoteString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return '"' + s + '"';
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += needsEscape(c) ? escapeChar(c) : s[i];
  }
  return out + '"';
}

/**
 * Bytes are written like a string of those bytes, except that every byte that is not part of a valid UTF-8 sequence
 * is written as `\xNN` (protobuf-go decodes rune by rune and escapes RuneError bytes).
 */
function quoteBytes(bytes: Uint8Array): string {
  const buf = bufferOf(bytes);
  let out = '"';
  for (let i = 0; i < buf.length; ) {
    const n = utf8SequenceLength(buf, i);
    if (n === 0) {
      out += '\\x' + hex(buf[i], 2);
      i++;
      continue;
    }
    const ch = buf.toString('utf8', i, i + n);
    out += n <= 2 && needsEscape(ch.charCodeAt(0)) ? escapeChar(ch.charCodeAt(0)) : ch;
    i += n;
  }
  return out + '"';
}

/** Length of the valid UTF-8 sequence at `i` (Go's utf8.DecodeRune rules: no overlongs, surrogates or > U+10FFFF), 0 if invalid. */
function utf8SequenceLength(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  let n: number;
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) n = 3;
  else if (c >= 0xf0 && c <= 0xf4) n = 4;
  else return 0;
  if (i + n > b.length) return 0;
  const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
  const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
  if (b[i + 1] < lo || b[i + 1] > hi) return 0;
  for (let k = 2; k < n; k++) if ((b[i + k] & 0xc0) !== 0x80) return 0;
  return n;
}
