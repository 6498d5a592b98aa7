import { formatFloat } from './format.js';
import type { FieldKV, FieldValue, KV, Point, TagKV } from './point.js';
import { LineBuffers, MAX_CHUNK_BYTES, type LineOut } from './line-buffers.js';

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

// ---------------------------------------------------------------------------------------------- ordering

/**
 * UTF-16 code-unit order (JS `<`) equals UTF-8 byte order except between a surrogate (a character above U+FFFF) and
 * a unit in U+E000–U+FFFF. Keys without any unit ≥ U+D800 (all ASCII keys among them) can use `<` directly.
 */
function mayMisorder(key: string): boolean {
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) >= 0xd800) return true;
  return false;
}

/** Maps a UTF-16 unit so that unit order becomes code-point (= UTF-8 byte) order: surrogates move above U+FFFF. */
function byteOrderRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}

function compareBytes(x: string, y: string): number {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const cx = x.charCodeAt(i);
    const cy = y.charCodeAt(i);
    if (cx !== cy) return byteOrderRank(cx) - byteOrderRank(cy);
  }
  return x.length - y.length;
}

const compareUnits = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);

/** Up to this many keys an inline insertion sort beats Array.prototype.sort with a comparator (measured ~25%). */
const INSERTION_SORT_MAX = 24;

/**
 * Stable sort of positions in `kvs` by key: UTF-16 order when `byteOrder` is false (see mayMisorder), else UTF-8
 * byte order.
 */
function sortByKey(at: number[], kvs: readonly KV[], byteOrder: boolean): void {
  if (byteOrder || at.length > INSERTION_SORT_MAX) {
    const compare = byteOrder ? compareBytes : compareUnits;
    at.sort((a, b) => compare(kvs[a].key, kvs[b].key));
    return;
  }
  for (let i = 1; i < at.length; i++) {
    const p = at[i];
    const key = kvs[p].key;
    let j = i - 1;
    for (; j >= 0 && kvs[at[j]].key > key; j--) at[j + 1] = at[j];
    at[j + 1] = p;
  }
}

/**
 * Where a point's keys go in its line (§9.1): positions in `kvs`, tags and fields apart, each sorted by raw key, with
 * the escaped key text that precedes each value. Worked out for one key list; valid for any list of the same keys
 * (and kinds) in the same order.
 */
interface KeyOrder {
  keys: string[];
  isTag: boolean[];
  tags: number[];
  /** `,<escaped key>=` per entry of `tags`. */
  tagPrefixes: string[];
  fields: number[];
  /** `<escaped key>=` per entry of `fields`. */
  fieldPrefixes: string[];
  /**
   * The tag section (`,k=v…`) last written with this order, the raw tag values it was made from (null before the
   * first line) and where each tag's text starts in it (plus its length at the end): see writeTags.
   */
  tagText: string;
  tagValues: string[] | null;
  tagStarts: number[];
  /** The key list last found to match (hasKeys). */
  lastKvs: readonly KV[];
}

function keyOrderOf(kvs: readonly KV[]): KeyOrder {
  const tags: number[] = [];
  const fields: number[] = [];
  let tagsByBytes = false;
  let fieldsByBytes = false;
  for (let i = 0; i < kvs.length; i++) {
    const kv = kvs[i];
    if (kv.isTag) {
      tags.push(i);
      tagsByBytes ||= mayMisorder(kv.key);
    } else {
      fields.push(i);
      fieldsByBytes ||= mayMisorder(kv.key);
    }
  }
  sortByKey(tags, kvs, tagsByBytes);
  sortByKey(fields, kvs, fieldsByBytes);
  return {
    keys: kvs.map((kv) => kv.key),
    isTag: kvs.map((kv) => kv.isTag),
    tags,
    tagPrefixes: tags.map((i) => ',' + escape(kvs[i].key, TAG_SPECIAL, TAG_ESCAPES) + '='),
    fields,
    fieldPrefixes: fields.map((i) => escape(kvs[i].key, FIELD_KEY_SPECIAL, FIELD_KEY_ESCAPES) + '='),
    tagText: '',
    tagValues: null,
    tagStarts: [],
    lastKvs: kvs,
  };
}

const NO_KVS: readonly KV[] = [];

function hasKeys(order: KeyOrder, kvs: readonly KV[]): boolean {
  const { keys, isTag } = order;
  if (keys.length !== kvs.length) return false;
  // The points of one data point (or span) share most KV objects, which never change (point.ts): the same object as
  // in the last matching list has the same key and kind. Not for that list itself, whose slots may have been replaced.
  const last = kvs === order.lastKvs ? NO_KVS : order.lastKvs;
  for (let i = 0; i < kvs.length; i++) {
    const kv = kvs[i];
    if (kv !== last[i] && (kv.key !== keys[i] || kv.isTag !== isTag[i])) return false;
  }
  order.lastKvs = kvs;
  return true;
}

/**
 * The orders of the last few key lists encoded, most recent first. Points come in runs of few shapes: every span of
 * a request has the same keys in the same order; a histogram data point's bucket lines share one shape and its
 * `_sum` and `_count` lines one each. So the sort and the key escaping run once per shape and the other points only
 * compare their keys with a cached order.
 */
const recentOrders: KeyOrder[] = [];
const RECENT_ORDERS = 4;

function keyOrder(kvs: readonly KV[]): KeyOrder {
  for (let i = 0; i < recentOrders.length; i++) {
    const order = recentOrders[i];
    if (hasKeys(order, kvs)) {
      if (i > 0) {
        recentOrders.splice(i, 1);
        recentOrders.unshift(order);
      }
      return order;
    }
  }
  const order = keyOrderOf(kvs);
  recentOrders.unshift(order);
  if (recentOrders.length > RECENT_ORDERS) recentOrders.pop();
  return order;
}

// ---------------------------------------------------------------------------------------------- encoding

/** JSON.stringify escapes these beyond `"` and `\`: controls and lone surrogates, which line protocol leaves raw. */
const JSON_ONLY_ESCAPES = /[\u0000-\u001f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * A string field value in quotes, `"` and `\` escaped (§9.2). Most values have neither and are only quoted (and the
 * span `message` comes escaped already: FieldValue.lp). For the others (JSON-like text) the native JSON.stringify
 * escapes exactly those two whenever the value holds nothing else JSON would escape.
 */
function stringFieldText(s: string): string {
  if (s.indexOf('"') === -1 && s.indexOf('\\') === -1) return '"' + s + '"';
  if (!JSON_ONLY_ESCAPES.test(s)) return JSON.stringify(s);
  // Backslashes first, so the ones added for quotes are not doubled.
  return '"' + s.replaceAll('\\', '\\\\').replaceAll('"', '\\"') + '"';
}

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
      return stringFieldText(v.value);
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
  const { kvs } = point;
  const order = keyOrder(kvs);
  if (order.fields.length === 0) return null;
  const tags: TagKV[] = [];
  for (const i of order.tags) {
    const t = kvs[i] as TagKV;
    if (t.value !== '') tags.push(t);
  }
  return { tags, fields: order.fields.map((i) => kvs[i] as FieldKV) };
}

/** The measurement of the last line, escaped: all points of a batch share one. */
let lastMeasurement = { raw: '', text: '' };

function measurementText(measurement: string): string {
  if (measurement !== lastMeasurement.raw) {
    lastMeasurement = { raw: measurement, text: escape(measurement, MEASUREMENT_SPECIAL, MEASUREMENT_ESCAPES) };
  }
  return lastMeasurement.text;
}

/** One tag's text, `,<key>=<value>` escaped; empty for an empty value (§9.1: left out). */
function tagText(order: KeyOrder, i: number, value: string): string {
  return value === '' ? '' : order.tagPrefixes[i] + escape(value, TAG_SPECIAL, TAG_ESCAPES);
}

/**
 * The tag section of a line. Consecutive points of one shape mostly repeat their tags: every span of a request has
 * the same status, service, source…; the 16 bucket lines of a histogram data point differ only in `le`. So the last
 * section written for the order is kept with the raw values it was made from: the same values write it again as it
 * is, one different value writes the text around it (slices of the kept one) and that tag's own; more differences
 * build it anew. It stays as it was built, with its values, so that slicing around one tag stays right for every
 * bucket line.
 */
function writeTags(order: KeyOrder, kvs: readonly KV[], out: LineOut): void {
  const { tags } = order;
  const kept = order.tagValues;
  if (kept !== null) {
    let differs = -1;
    for (let i = 0; i < tags.length; i++) {
      if ((kvs[tags[i]] as TagKV).value === kept[i]) continue;
      if (differs !== -1) {
        differs = -2;
        break;
      }
      differs = i;
    }
    if (differs === -1) {
      out.text(order.tagText);
      return;
    }
    if (differs >= 0) {
      const { tagText: text, tagStarts: starts } = order;
      out.text(text.slice(0, starts[differs]));
      out.text(tagText(order, differs, (kvs[tags[differs]] as TagKV).value));
      out.text(text.slice(starts[differs + 1]));
      return;
    }
  }
  let text = '';
  const values: string[] = [];
  const starts: number[] = [];
  for (let i = 0; i < tags.length; i++) {
    const value = (kvs[tags[i]] as TagKV).value;
    starts.push(text.length);
    values.push(value);
    text += tagText(order, i, value);
  }
  starts.push(text.length);
  order.tagText = text;
  order.tagValues = values;
  order.tagStarts = starts;
  out.text(text);
}

/**
 * Writes the point's line (no newline) to `out` in pieces; false when the Go encoder would reject the point (no
 * fields, a NaN/Inf float): it is left out (§9.1), and what was written of it must be dropped.
 */
function writeLine(point: Point, out: LineOut): boolean {
  const { kvs } = point;
  const order = keyOrder(kvs);
  const { fields, fieldPrefixes } = order;
  if (fields.length === 0) return false;

  out.text(measurementText(point.measurement));
  writeTags(order, kvs, out);
  for (let i = 0; i < fields.length; i++) {
    const v = (kvs[fields[i]] as FieldKV).value;
    out.text(i === 0 ? ' ' : ',');
    out.text(fieldPrefixes[i]);
    if (v.type === 'string' && v.lp !== undefined) {
      out.text(v.lp);
      continue;
    }
    if (v.type === 'string' && v.value.indexOf('"') === -1 && v.value.indexOf('\\') === -1) {
      // The common case in pieces: no quoted copy of a long value is made.
      out.text('"');
      out.text(v.value);
      out.text('"');
      continue;
    }
    const value = fieldValueText(v);
    if (value === null) return false;
    out.text(value);
  }
  out.text(' ');
  out.text(String(point.time));
  return true;
}

/** A line as one string. */
class StringLine implements LineOut {
  line = '';
  text(s: string): void {
    this.line += s;
  }
}

/** The line, or null when the Go encoder would reject the point (no fields, a NaN/Inf float): it is left out (§9.1). */
export function encodeLine(point: Point): string | null {
  const out = new StringLine();
  return writeLine(point, out) ? out.line : null;
}

/** Adds the point's line to `lines`, written straight into its buffer; false (nothing added) when it is left out. */
export function addLine(point: Point, lines: LineBuffers): boolean {
  lines.beginLine();
  if (writeLine(point, lines)) {
    lines.endLine();
    return true;
  }
  lines.abortLine();
  return false;
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

/**
 * The points' lines as UTF-8, each line ending in `\n`, in buffers of at most `maxChunkBytes` bytes (a longer line
 * gets a buffer of its own); the buffers joined equal `Buffer.from(encodePoints(points) + '\n')`. Empty when no
 * point can be encoded.
 */
export function encodePointBuffers(points: readonly Point[], maxChunkBytes = MAX_CHUNK_BYTES): Buffer[] {
  const lines = new LineBuffers(maxChunkBytes);
  for (const point of points) addLine(point, lines);
  return lines.take();
}
