import { dotsToUnderscores, truncateUtf8 } from './format.js';
import { getKV, type Category, type FieldKV, type KV, type Point, type TagKV } from './point.js';

/**
 * DataKit's point checker (datakit reference §8), as GuanceCloud/cliutils `point/check.go` runs it when a point is
 * built. Order, as in check.go:
 *   1. measurement: empty → `__default`, longer than 1024 bytes → cut;
 *   2. more than 1024 fields / 256 tags → keep the first ones in insertion order (before any key is looked at);
 *   3. each key/value in order:
 *      tags:   key cut to 256 bytes → `\n`/trailing `\` fix → `.` → `_`   (each rename: dropped if the new key exists)
 *      fields: key cut to 256 bytes → `.` → `_` → `\n`/trailing `\` fix
 *      then: empty or forbidden key → dropped; key occurring more than once → dropped (duplicates, Q31);
 *      then the value: tag `\n`/trailing `\` fix and 1024-byte cut; string field dropped (metric) or cut to 32 MiB;
 *      ±Inf float → max uint64 / min int64;
 *   4. logging: `status` appended when no `status` key is left. check.go's keyMiss adds it with `NewKV("status",
 *      "info")`, which makes a string *field* (`status="info"`), not a tag; reproduced as such.
 * Then, beyond check.go: a point without fields, or with a NaN float (Q47: line protocol would reject the whole
 * point), is dropped (null).
 */
export interface CheckOptions {
  strictDatakit: boolean;
}

const MAX_MEASUREMENT_BYTES = 1024;
export const MAX_FIELDS = 1024;
export const MAX_TAGS = 256;
export const MAX_KEY_BYTES = 256;
const MAX_TAG_VALUE_BYTES = 1024;
const MAX_STRING_FIELD_BYTES = 32 * 1024 * 1024;
/** check.go compares `len(key)` with 256 bytes; a key of at most this many UTF-16 units cannot exceed it. */
const SURELY_SHORT_KEY = Math.floor(MAX_KEY_BYTES / 3);
/** Distinct keys remembered per category before the memo starts over (bounds memory under hostile key sets). */
const KEY_MEMO_LIMIT = 10_000;

const PLUS_INF_VALUE = 18446744073709551615; // float64(math.MaxUint64), written 18446744073709552000
const MINUS_INF_VALUE = -9223372036854775808; // float64(math.MinInt64), written -9223372036854776000

/** cliutils' per-category options (DefaultLoggingOptions, DefaultMetricOptions, CommonLoggingOptions). */
interface CategoryRules {
  dotsInKeys: boolean;
  stringFields: boolean;
  forbiddenKeys: readonly string[];
  requireStatus: boolean;
  /** Per key string: whether it is clean under these rules, and the last point it was seen in (see keysAreClean). */
  keyMemo: Map<string, KeyMemo>;
  /** The keys, in order, of the last point whose keys were all clean and distinct (see keysAreClean). */
  lastCleanKeys: string[];
  /** Whether that point had keys to drop (see KeyMemo.dropped). */
  lastCleanDrops: boolean;
}

interface KeyMemo {
  clean: boolean;
  /**
   * Forbidden (or empty) but needing no rename: check.go drops it and nothing else happens, so a point whose other
   * keys are clean and distinct can still skip the key-by-key walk (every log record's `source` tag).
   */
  dropped: boolean;
  seenIn: number;
}

const RULES: Readonly<Record<Category, CategoryRules>> = {
  tracing: { dotsInKeys: false, stringFields: true, forbiddenKeys: [], requireStatus: false, keyMemo: new Map(), lastCleanKeys: [], lastCleanDrops: false },
  metric: { dotsInKeys: true, stringFields: false, forbiddenKeys: [], requireStatus: false, keyMemo: new Map(), lastCleanKeys: [], lastCleanDrops: false },
  logging: {
    dotsInKeys: false,
    stringFields: true,
    forbiddenKeys: ['source', 'date'],
    requireStatus: true,
    keyMemo: new Map(),
    lastCleanKeys: [],
    lastCleanDrops: false,
  },
};

/**
 * Checks `point` in place and returns it, or null when it is dropped. The checker owns `point.kvs` (it may rewrite
 * that array); the KV objects themselves are never modified, because converters share them between points: a KV
 * that changes is replaced by a new one.
 */
export function checkPoint(point: Point, category: Category, opts: CheckOptions): Point | null {
  return check(point, category, opts, false);
}

/** checkPoint always taking check.go's key-by-key walk: the reference its shortcuts are tested against. */
export function checkPointKeyByKey(point: Point, category: Category, opts: CheckOptions): Point | null {
  return check(point, category, opts, true);
}

function check(point: Point, category: Category, opts: CheckOptions, keyByKey: boolean): Point | null {
  const rules = RULES[category];
  point.measurement = checkMeasurement(point.measurement);
  let kvs = trimCounts(point.kvs);
  const keys = keyByKey ? KEYS_UNCLEAN : keysAreClean(kvs, rules);
  if (keys === KEYS_UNCLEAN) kvs = checkKeysAndValues(kvs, rules, opts.strictDatakit);
  else kvs = checkValues(keys === KEYS_CLEAN ? kvs : withoutForbidden(kvs, rules), rules);
  if (rules.requireStatus && getKV(kvs, 'status') === undefined) kvs.push(STATUS_INFO);
  if (!hasValidFields(kvs)) return null;
  point.kvs = kvs;
  return point;
}

const STATUS_INFO: FieldKV = { key: 'status', isTag: false, value: { type: 'string', value: 'info' } };

function checkMeasurement(name: string): string {
  if (name === '') return '__default';
  return truncateUtf8(name, MAX_MEASUREMENT_BYTES);
}

function trimCounts(kvs: KV[]): KV[] {
  if (kvs.length <= MAX_TAGS) return kvs; // neither limit can be reached
  let tags = 0;
  for (const kv of kvs) if (kv.isTag) tags++;
  const fields = kvs.length - tags;
  if (fields <= MAX_FIELDS && tags <= MAX_TAGS) return kvs;
  const kept: KV[] = [];
  let keptTags = 0;
  let keptFields = 0;
  for (const kv of kvs) {
    if (kv.isTag ? keptTags++ < MAX_TAGS : keptFields++ < MAX_FIELDS) kept.push(kv);
  }
  return kept;
}

/** At least one field, and no NaN float (Q47). */
function hasValidFields(kvs: readonly KV[]): boolean {
  let fields = 0;
  for (const kv of kvs) {
    if (kv.isTag) continue;
    if (isNaNFloat(kv)) return false;
    fields++;
  }
  return fields > 0;
}

const isNaNFloat = (kv: FieldKV): boolean => kv.value.type === 'float' && Number.isNaN(kv.value.value);

// ------------------------------------------------------------------------------- points sharing their first keys

/**
 * The first KVs of a family of points, checked once for all of them: the tags of a histogram data point, which its
 * statistics point and each of its bucket points start with. Each point then only has its own KVs checked
 * (checkFamilyPoint). The measurement is checked here too, for the family shares it.
 */
export interface SharedKeys {
  readonly measurement: string;
  /** The shared KVs after the value rules. */
  readonly kvs: readonly KV[];
  /** How many of them are fields (none is a NaN float). */
  readonly fields: number;
  readonly rules: CategoryRules;
}

/**
 * Checks the KVs a family of points starts with, or returns null when the family must go through checkPoint point by
 * point. `ownKeys`: every key a point of the family may have after the shared ones.
 *
 * Why a point's result equals checkPoint's, when this returns non-null: the shared keys and the own keys are then all
 * clean and distinct, so any point made of the shared KVs followed by own KVs of distinct keys passes keysAreClean,
 * which looks at key names alone, and checkPoint goes the checkValues way; trimCounts cannot trim it (at most
 * MAX_TAGS keys); checkValues rules on each KV by itself (checkValue sees the KV and the category only), so the
 * shared KVs come out the same in every point. What depends on the point is left to checkFamilyPoint: its own values,
 * and hasValidFields over them plus the shared fields counted here. Not handled (null): a NaN shared float (every
 * point is dropped) and a category that requires `status` (logging; only metrics use families).
 */
export function checkSharedKeys(measurement: string, shared: readonly KV[], ownKeys: readonly string[], category: Category): SharedKeys | null {
  const rules = RULES[category];
  if (rules.requireStatus || shared.length + ownKeys.length > MAX_TAGS) return null;
  const stamp = nextPointStamp(rules);
  for (const kv of shared) if (!isCleanAndNew(kv.key, stamp, rules)) return null;
  for (const key of ownKeys) if (!isCleanAndNew(key, stamp, rules)) return null;
  const kvs: KV[] = [];
  const fields = appendChecked(kvs, shared, rules);
  return fields < 0 ? null : { measurement: checkMeasurement(measurement), kvs, fields, rules };
}

/**
 * One point of a family: the checked shared KVs, then `own` checked. Every key of `own` must be one of the `ownKeys`
 * given to checkSharedKeys, each at most once (that is what makes the shortcut exact). Null when the point is dropped.
 */
export function checkFamilyPoint(shared: SharedKeys, own: readonly KV[], time: bigint): Point | null {
  // Pushed one by one into a fresh array: one backing store with room to spare for the keys io adds (host tags).
  const kvs: KV[] = [];
  for (const kv of shared.kvs) kvs.push(kv);
  const ownFields = appendChecked(kvs, own, shared.rules);
  return ownFields < 0 || shared.fields + ownFields === 0 ? null : { measurement: shared.measurement, kvs, time };
}

/** Appends the KVs of `from` that the value rules keep; returns how many are fields, or -1 if one is a NaN float (Q47). */
function appendChecked(into: KV[], from: readonly KV[], rules: CategoryRules): number {
  let fields = 0;
  for (const kv of from) {
    const checked = checkValue(kv, rules);
    if (checked === null) continue;
    if (!checked.isTag) {
      if (isNaNFloat(checked)) return -1;
      fields++;
    }
    into.push(checked);
  }
  return fields;
}

// ------------------------------------------------------------------------------------------------ keys

function isForbidden(key: string, rules: CategoryRules): boolean {
  return key === '' || (rules.forbiddenKeys.length > 0 && rules.forbiddenKeys.includes(key));
}

/** No rename applies to `key` (it may still be forbidden). */
function needsNoRename(key: string, rules: CategoryRules): boolean {
  const len = key.length;
  if (len > MAX_KEY_BYTES || key.charCodeAt(len - 1) === 0x5c) return false;
  let ascii = true;
  for (let i = 0; i < len; i++) {
    const c = key.charCodeAt(i);
    if (c === 0x0a || (c === 0x2e && !rules.dotsInKeys)) return false;
    if (c > 0x7f) ascii = false;
  }
  return ascii || len <= SURELY_SHORT_KEY || Buffer.byteLength(key, 'utf8') <= MAX_KEY_BYTES;
}

/** Numbers the points keysAreClean looks at, so a memo entry can say "already seen in this point". */
let pointStamp = 0;

/** keysAreClean's answers: some key needs the key-by-key walk; all clean and distinct; so, once forbidden ones go. */
const KEYS_UNCLEAN = 0;
const KEYS_CLEAN = 1;
const KEYS_CLEAN_BUT_FORBIDDEN = 2;
type KeysState = typeof KEYS_UNCLEAN | typeof KEYS_CLEAN | typeof KEYS_CLEAN_BUT_FORBIDDEN;

/**
 * The common case: every key is clean and occurs once, so only values need checking; or so once the forbidden keys
 * that need no rename are dropped (they affect nothing else in check.go's walk: no rename looks them up, and the
 * other keys are distinct). Points come in runs with the very same key list (the spans of a request, a histogram's
 * bucket points), and the answer depends on nothing else: a point with the keys of the last such one gets its answer
 * after a plain comparison. Otherwise, points of one kind repeat the same few dozen keys, so each key's state is
 * worked out once and the duplicate check is one memo lookup per key instead of a pairwise comparison.
 */
function keysAreClean(kvs: readonly KV[], rules: CategoryRules): KeysState {
  if (hasKeys(kvs, rules.lastCleanKeys)) return rules.lastCleanDrops ? KEYS_CLEAN_BUT_FORBIDDEN : KEYS_CLEAN;
  const state = keysAreCleanByMemo(kvs, rules);
  if (state === KEYS_UNCLEAN) return state;
  rules.lastCleanKeys = kvs.map((kv) => kv.key);
  rules.lastCleanDrops = state === KEYS_CLEAN_BUT_FORBIDDEN;
  return state;
}

function hasKeys(kvs: readonly KV[], keys: readonly string[]): boolean {
  if (kvs.length !== keys.length) return false;
  for (let i = 0; i < kvs.length; i++) if (kvs[i].key !== keys[i]) return false;
  return true;
}

function keysAreCleanByMemo(kvs: readonly KV[], rules: CategoryRules): KeysState {
  const stamp = nextPointStamp(rules);
  let state: KeysState = KEYS_CLEAN;
  for (const kv of kvs) {
    const m = keyMemo(kv.key, rules);
    if (m.dropped) state = KEYS_CLEAN_BUT_FORBIDDEN;
    else if (!isNew(m, stamp)) return KEYS_UNCLEAN;
  }
  return state;
}

/** The KVs without the forbidden ones (in place: the checker owns the list), for KEYS_CLEAN_BUT_FORBIDDEN. */
function withoutForbidden(kvs: KV[], rules: CategoryRules): KV[] {
  let n = 0;
  for (const kv of kvs) if (!isForbidden(kv.key, rules)) kvs[n++] = kv;
  kvs.length = n;
  return kvs;
}

/** A new stamp for the next key list looked at with isCleanAndNew. */
function nextPointStamp(rules: CategoryRules): number {
  // Only ever cleared here, between key lists: the keys of the list being checked must keep their stamps.
  if (rules.keyMemo.size > KEY_MEMO_LIMIT) rules.keyMemo.clear();
  return ++pointStamp;
}

function keyMemo(key: string, rules: CategoryRules): KeyMemo {
  let m = rules.keyMemo.get(key);
  if (m === undefined) {
    const plain = needsNoRename(key, rules);
    const forbidden = isForbidden(key, rules);
    m = { clean: plain && !forbidden, dropped: plain && forbidden, seenIn: 0 };
    rules.keyMemo.set(key, m);
  }
  return m;
}

/** The key is clean and not yet seen in the key list `stamp` numbers (which it is then marked as seen in). */
function isNew(m: KeyMemo, stamp: number): boolean {
  if (!m.clean || m.seenIn === stamp) return false;
  m.seenIn = stamp;
  return true;
}

/** `key` is clean and not yet seen in the key list `stamp` numbers (which it is then marked as seen in). */
function isCleanAndNew(key: string, stamp: number, rules: CategoryRules): boolean {
  return isNew(keyMemo(key, rules), stamp);
}

/** check.go's `adjustKV`: all trailing `\` removed, then every `\n` → space. */
function adjustText(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x5c) end--;
  if (end !== s.length) s = s.slice(0, end);
  return s.indexOf('\n') === -1 ? s : s.replaceAll('\n', ' ');
}

/**
 * What the other keys of the point look like while key i is being checked. check.go compacts the key list in place
 * while it walks it and looks keys up in that half-compacted list; `strictDatakit` reproduces that exactly, the
 * default is the behaviour it approximates.
 */
interface KeyView {
  /** check.go `kvs.Get(newKey) != nil`: a rename onto an existing key drops the renamed key. */
  exists(key: string, i: number): boolean;
  /** check.go `keyConflict`: the key occurs more than once. */
  isDuplicate(key: string, i: number): boolean;
  /** Key i has been checked: `kept` says whether it stays in the point. */
  done(i: number, kept: boolean): void;
}

/**
 * Default (Q31 "last wins"): a key is a duplicate when a later, not yet checked key has the same name, so the last
 * copy survives; a rename collides with the kept keys and with the keys still to come, never with dropped ones.
 */
function lastWinsView(keys: string[]): KeyView {
  const dropped: boolean[] = new Array<boolean>(keys.length).fill(false);
  return {
    exists(key, i) {
      for (let j = 0; j < keys.length; j++) if (j !== i && !dropped[j] && keys[j] === key) return true;
      return false;
    },
    isDuplicate(key, i) {
      for (let j = i + 1; j < keys.length; j++) if (keys[j] === key) return true;
      return false;
    },
    done(i, kept) {
      dropped[i] = !kept;
    },
  };
}

/**
 * strictDatakit (Q31 compat): check.go's loop writes each kept key to slot `idx` (idx ≤ i) of the very list it is
 * searching, so a dropped key stays visible in its old slot until a later kept key overwrites it. Hence adjacent
 * duplicates both vanish (the second still sees the first), and so does any copy checked before enough keys were
 * kept to overwrite the earlier dropped one. Renames are visible too: Go renames the shared key object in place.
 */
function inPlaceView(keys: string[]): KeyView {
  const slots = keys.map((_, i) => i);
  let idx = 0;
  const count = (key: string): number => {
    let n = 0;
    for (const s of slots) if (keys[s] === key) n++;
    return n;
  };
  return {
    exists: (key) => count(key) > 0,
    isDuplicate: (key) => count(key) > 1,
    done(i, kept) {
      if (kept) slots[idx++] = i;
    },
  };
}

/** Runs one key through the rename steps; returns its final key, or null when it is dropped. */
function checkKey(kv: KV, i: number, keys: string[], view: KeyView, rules: CategoryRules): string | null {
  const rename = (newKey: string): boolean => {
    if (newKey === keys[i]) return true;
    if (view.exists(newKey, i)) return false;
    keys[i] = newKey;
    return true;
  };
  if (!rename(truncateUtf8(keys[i], MAX_KEY_BYTES))) return null;
  if (kv.isTag) {
    if (!rename(adjustText(keys[i]))) return null;
    if (!rules.dotsInKeys && !rename(dotsToUnderscores(keys[i]))) return null;
  } else {
    if (!rules.dotsInKeys && !rename(dotsToUnderscores(keys[i]))) return null;
    if (!rename(adjustText(keys[i]))) return null;
  }
  const key = keys[i];
  if (isForbidden(key, rules) || view.isDuplicate(key, i)) return null;
  return key;
}

function checkKeysAndValues(kvs: readonly KV[], rules: CategoryRules, strict: boolean): KV[] {
  const keys = kvs.map((kv) => kv.key);
  const view = strict ? inPlaceView(keys) : lastWinsView(keys);
  const out: KV[] = [];
  for (let i = 0; i < kvs.length; i++) {
    const key = checkKey(kvs[i], i, keys, view, rules);
    const original = kvs[i];
    // A string field dropped by its value (metric) still occupies its slot in check.go (inPlaceView).
    const checked = key === null ? null : checkValue(key === original.key ? original : { ...original, key }, rules);
    view.done(i, checked !== null);
    if (checked !== null) out.push(checked);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------- values

/** Fast path: keys need no work; values are checked and `kvs` compacted in place (the checker owns it). */
function checkValues(kvs: KV[], rules: CategoryRules): KV[] {
  let n = 0;
  for (const kv of kvs) {
    const checked = checkValue(kv, rules);
    if (checked !== null) kvs[n++] = checked;
  }
  kvs.length = n;
  return kvs;
}

/** The value rules; returns the KV (a new one when its value changed), or null when it is dropped. */
function checkValue(kv: KV, rules: CategoryRules): KV | null {
  return kv.isTag ? checkTagValue(kv) : checkFieldValue(kv, rules);
}

function checkTagValue(kv: TagKV): TagKV {
  const value = kv.value;
  const last = value.charCodeAt(value.length - 1);
  const needsAdjust = last === 0x5c || value.indexOf('\n') !== -1;
  const fixed = truncateUtf8(needsAdjust ? adjustText(value) : value, MAX_TAG_VALUE_BYTES);
  return fixed === value ? kv : { key: kv.key, isTag: true, value: fixed };
}

function checkFieldValue(kv: FieldKV, rules: CategoryRules): FieldKV | null {
  const v = kv.value;
  if (v.type === 'string') {
    if (!rules.stringFields) return null;
    const cut = truncateUtf8(v.value, MAX_STRING_FIELD_BYTES);
    return cut === v.value ? kv : { key: kv.key, isTag: false, value: { type: 'string', value: cut } };
  }
  if (v.type === 'float' && (v.value === Infinity || v.value === -Infinity)) {
    const value = v.value > 0 ? PLUS_INF_VALUE : MINUS_INF_VALUE;
    return { key: kv.key, isTag: false, value: { type: 'float', value } };
  }
  return kv;
}
