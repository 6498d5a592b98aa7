import { formatFloat } from './format.js';
import type { FieldKV, FieldValue, KV, Point, TagKV } from './point.js';

/**
 * DataKit's text line protocol (datakit reference §9), as the influxdb1-client fork writes it:
 * `<measurement>[,<tag>=<value>…] <field>=<value>[,…] <time_ns>`.
 *
 * Tags and fields are sorted by their raw (unescaped) key in UTF-8 byte order, then escaped (§9.1, §9.2). Points are
 * expected to come from the checker (§8): a point the Go encoder would reject (no fields, a NaN or ±Inf float) makes
 * `encodePoint` throw and is left out by `encodePoints`, as DataKit drops it.
 */

// §9.2: measurement `,` and space; tag key/value `,` `=` space; field key also `"`; string values `"` and `\`.
const MEASUREMENT_SPECIAL = /[, ]/;
const MEASUREMENT_ESCAPES = /[, ]/g;
const TAG_SPECIAL = /[,= ]/;
const TAG_ESCAPES = /[,= ]/g;
const FIELD_KEY_SPECIAL = /[,"= ]/;
const FIELD_KEY_ESCAPES = /[,"= ]/g;

function escape(s: string, special: RegExp, escapes: RegExp): string {
  return special.test(s) ? s.replace(escapes, '\\$&') : s;
}

/** Backslashes first, so the ones added for quotes are not doubled. Native string search beats a regex here. */
function escapeStringValue(s: string): string {
  if (s.indexOf('\\') !== -1) s = s.replaceAll('\\', '\\\\');
  return s.indexOf('"') === -1 ? s : s.replaceAll('"', '\\"');
}

// ---------------------------------------------------------------------------------------------- ordering

/**
 * UTF-16 code-unit order (JS `<`) equals UTF-8 byte order except between a surrogate (a character above U+FFFF) and
 * a unit in U+E000–U+FFFF. Keys without any unit ≥ U+D800 (all ASCII keys among them) can use `<` directly.
 */
function mayMisorder(key: string): boolean {
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) >= 0xd800) return true;
  return false;
}

const byUnits = (a: KV, b: KV): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Maps a UTF-16 unit so that unit order becomes code-point (= UTF-8 byte) order: surrogates move above U+FFFF. */
function byteOrderRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}

function byBytes(a: KV, b: KV): number {
  const x = a.key;
  const y = b.key;
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const cx = x.charCodeAt(i);
    const cy = y.charCodeAt(i);
    if (cx !== cy) return byteOrderRank(cx) - byteOrderRank(cy);
  }
  return x.length - y.length;
}

/** Up to this many keys an inline insertion sort beats Array.prototype.sort with a comparator (measured ~25%). */
const INSERTION_SORT_MAX = 24;

/** Stable sort by key: UTF-16 order when `byteOrder` is false (see mayMisorder), else UTF-8 byte order. */
function sortByKey(kvs: KV[], byteOrder: boolean): void {
  if (byteOrder || kvs.length > INSERTION_SORT_MAX) {
    kvs.sort(byteOrder ? byBytes : byUnits);
    return;
  }
  for (let i = 1; i < kvs.length; i++) {
    const kv = kvs[i];
    let j = i - 1;
    for (; j >= 0 && kvs[j].key > kv.key; j--) kvs[j + 1] = kvs[j];
    kvs[j + 1] = kv;
  }
}

// ---------------------------------------------------------------------------------------------- encoding

function fieldValueText(v: FieldValue): string | null {
  switch (v.type) {
    case 'int':
      return v.value + 'i';
    case 'uint':
      return v.value + 'u';
    case 'float':
      // The Go encoder rejects the whole point (§9.1); the checker has already mapped ±Inf and dropped NaN (§8, Q47).
      return Number.isFinite(v.value) ? formatFloat(v.value) : null;
    case 'bool':
      return v.value ? 'true' : 'false';
    case 'string':
      return '"' + escapeStringValue(v.value) + '"';
  }
}

/** A point's keys as every text encoding writes them: tags and fields apart, each sorted (§9.1). */
export interface SortedKeys {
  /** Non-empty tags only (§9.1: empty-valued tags are left out). */
  tags: TagKV[];
  fields: FieldKV[];
}

/** Splits and sorts a point's keys in UTF-8 byte order; null when it has no field (the Go encoder rejects it). */
export function sortedKeys(point: Point): SortedKeys | null {
  const tags: TagKV[] = [];
  const fields: FieldKV[] = [];
  let tagsByBytes = false;
  let fieldsByBytes = false;
  for (const kv of point.kvs) {
    if (kv.isTag) {
      if (kv.value === '') continue;
      tags.push(kv);
      tagsByBytes ||= mayMisorder(kv.key);
    } else {
      fields.push(kv);
      fieldsByBytes ||= mayMisorder(kv.key);
    }
  }
  if (fields.length === 0) return null;
  sortByKey(tags, tagsByBytes);
  sortByKey(fields, fieldsByBytes);
  return { tags, fields };
}

/** The line, or null when the Go encoder would reject the point (no fields, a NaN/Inf float): it is left out (§9.1). */
export function encodeLine(point: Point): string | null {
  const keys = sortedKeys(point);
  if (keys === null) return null;
  const { tags, fields } = keys;

  let line = escape(point.measurement, MEASUREMENT_SPECIAL, MEASUREMENT_ESCAPES);
  for (const t of tags) {
    line += ',' + escape(t.key, TAG_SPECIAL, TAG_ESCAPES) + '=' + escape(t.value, TAG_SPECIAL, TAG_ESCAPES);
  }
  let separator = ' ';
  for (const f of fields) {
    const value = fieldValueText(f.value);
    if (value === null) return null;
    line += separator + escape(f.key, FIELD_KEY_SPECIAL, FIELD_KEY_ESCAPES) + '=' + value;
    separator = ',';
  }
  return line + ' ' + point.time;
}

/** One point as a line, no trailing newline. Throws for a point DataKit could not encode (no fields, NaN/±Inf). */
export function encodePoint(point: Point): string {
  const line = encodeLine(point);
  if (line === null) {
    throw new RangeError(`point "${point.measurement}" cannot be encoded: no fields, or a NaN/Inf float field`);
  }
  return line;
}

/** Points joined with `\n`, no trailing newline; points that cannot be encoded are left out (§9.1). */
export function encodePoints(points: readonly Point[]): string {
  let out = '';
  let separator = '';
  for (const point of points) {
    const line = encodeLine(point);
    if (line === null) continue;
    out += separator + line;
    separator = '\n';
  }
  return out;
}
