import { compileRe2, CUSTOMER_TAG_REGEX_PREFIX } from '../config/regex.js';
import type { OtelInputConfig } from '../config/types.js';
import type { AnyValue, KeyValue, Span } from '../otlp/model.js';
import { attributeMap, attrText } from './attr-text.js';
import { MAX_FIELDS, MAX_KEY_BYTES, MAX_TAGS } from './checker.js';
import type { CustomerTagsMatcher } from './context.js';
import { BUILTIN_KEY_MAP, compileCustomerTags } from './customer-tags.js';
import { bufferOf, dotsToUnderscores, truncateUtf8 } from './format.js';
import type { PointOrigin } from './origin.js';
import type { KV, Point } from './point.js';
import { arrayValueJson, kvListJson } from './protojson.js';
import { ERROR_FIELDS, selectedKV, SPLIT_KEYS } from './trace.js';

/**
 * The attribute account: for one point and the OTLP item it came from, what happened to each attribute and why
 * (issue 5; shapes in the shared contract). It re-derives the converters' decisions with their own pieces (the
 * customer_tags resolver, the built-in key map, the split and exception keys, the metric/log attribute maps) and then
 * compares with the final point, so whatever the checker did shows up as `dropped`.
 */

export type AttributeFate = 'lifted' | 'message' | 'consumed' | 'dropped' | 'kept';

export type AttributeWhere = 'resource' | 'scope' | 'span' | 'event' | 'record' | 'dataPoint';

export interface AttributeAccount {
  /** Where the attribute was. */
  where: AttributeWhere;
  key: string;
  /** The attribute's value as display text (strings as is, others as OTLP/JSON-ish text), cut to 1 KiB. */
  value: string;
  fate: AttributeFate;
  /** The point key it ended up under (lifted/kept/consumed). */
  to?: string;
  /** Why, for a person. */
  why: string;
}

export function accountFor(origin: PointOrigin, point: Point, input: OtelInputConfig): AttributeAccount[] {
  switch (origin.signal) {
    case 'traces':
      return traceAccount(origin, point, input);
    case 'metrics':
      return tagListAccount(point, input, METRIC_RULES, [
        { where: 'resource', attrs: origin.resource?.attributes ?? [], computed: REMOTE_IP },
        // Scope attributes and `scope_name` only when the scope message is there (§6.2).
        { where: 'scope', attrs: origin.scope?.attributes ?? [], computed: origin.scope && SCOPE_NAME },
        { where: 'dataPoint', attrs: origin.dataPoint.attributes },
      ]);
    case 'logs':
      return tagListAccount(point, input, LOG_RULES, [
        { where: 'resource', attrs: origin.resource?.attributes ?? [], computed: SCHEMA_URL },
        // Unlike metrics, `scope_name` is there even without a scope message (§7.3).
        { where: 'scope', attrs: origin.scope?.attributes ?? [], computed: SCOPE_NAME },
        { where: 'record', attrs: origin.record.attributes },
      ]);
  }
}

// ------------------------------------------------------------------------------------------------ values

const MAX_VALUE_TEXT_BYTES = 1024;

/** Display text of an attribute value: strings as they are, bytes base64, arrays/kvlists as protojson, `{}` for empty. */
export function attributeValueText(v: AnyValue | undefined): string {
  let text: string;
  if (v === undefined) return '';
  switch (v.kind) {
    case 'string':
      text = v.value;
      break;
    case 'bytes':
      text = bufferOf(v.value).toString('base64');
      break;
    case 'int':
    case 'double':
    case 'bool':
      text = String(v.value);
      break;
    case 'array':
      text = arrayValueJson(v.values);
      break;
    case 'kvlist':
      text = kvListJson(v.values);
      break;
    case 'empty':
      return '{}';
  }
  const cut = truncateUtf8(text, MAX_VALUE_TEXT_BYTES);
  return cut === text ? text : cut + '…';
}

function account(where: AttributeWhere, a: KeyValue, fate: AttributeFate, why: string, to?: string): AttributeAccount {
  const entry: AttributeAccount = { where, key: a.key, value: attributeValueText(a.value), fate, why };
  if (to !== undefined) entry.to = to;
  return entry;
}

// ------------------------------------------------------------------------------------------ final point

/** check.go's key rules as they end for a key that is kept: cut to 256 bytes, `\n` → space, trailing `\` gone, `.` → `_`. */
function checkedKey(key: string, dotsInKeys: boolean): string {
  let k = truncateUtf8(key, MAX_KEY_BYTES).replaceAll('\n', ' ').replace(/\\+$/, '');
  if (!dotsInKeys) k = dotsToUnderscores(k);
  return k;
}

function finalKV(point: Point, key: string): KV | undefined {
  for (const kv of point.kvs) if (kv.key === key) return kv;
  return undefined;
}

/** Whether the final KV still holds what `produced` put there (the checker may have cut a string or mapped ±Inf). */
function holds(final: KV, produced: KV): boolean {
  if (final.isTag !== produced.isTag) return false;
  if (final.isTag) return (produced.value as string).replaceAll('\n', ' ').startsWith(final.value);
  const a = final.value;
  const b = (produced as Extract<KV, { isTag: false }>).value;
  if (a.type !== b.type) return false;
  if (a.type === 'string') return (b.value as string).startsWith(a.value);
  return a.type === 'float' ? a.value === b.value || !Number.isFinite(b.value as number) : a.value === b.value;
}

/** Why the checker left `key` out of the point, as well as it can be told from the outcome (datakit reference §8). */
function checkerReason(point: Point, key: string, renamedFrom: string, category: 'tracing' | 'metric' | 'logging', strict: boolean): string {
  if (key === '') return 'checker: empty key';
  if (category === 'logging' && (key === 'source' || key === 'date')) return `checker: "${key}" is not allowed on logging points (Q36)`;
  let tags = 0;
  for (const kv of point.kvs) if (kv.isTag) tags++;
  if (tags >= MAX_TAGS || point.kvs.length - tags >= MAX_FIELDS) return `checker: more than ${MAX_TAGS} tags or ${MAX_FIELDS} fields: only the first are kept`;
  if (renamedFrom !== key) return `checker: "${renamedFrom}" renamed to "${key}", which another key already had`;
  return strict ? `checker: duplicate key "${key}" (adjacent copies both vanish, Q31)` : `checker: duplicate key "${key}"`;
}

// ------------------------------------------------------------------------------------------------ traces

/** Per input: the compiled resolver (the converter's own) and the `reg:` patterns, to say which entry selected a key. */
interface SelectionRules {
  matcher: CustomerTagsMatcher;
  exact: ReadonlySet<string>;
  patterns: ReadonlyArray<{ entry: string; re: RegExp }>;
}

const rulesByInput = new WeakMap<OtelInputConfig, SelectionRules>();

function selectionRules(input: OtelInputConfig): SelectionRules {
  let rules = rulesByInput.get(input);
  if (rules === undefined) {
    const patterns = input.customerTags
      .filter((e) => e.startsWith(CUSTOMER_TAG_REGEX_PREFIX))
      .map((entry) => ({ entry, re: compileRe2(entry.slice(CUSTOMER_TAG_REGEX_PREFIX.length)) }));
    const exact = new Set(input.customerTags.filter((e) => !e.startsWith(CUSTOMER_TAG_REGEX_PREFIX)));
    rules = { matcher: compileCustomerTags(input), exact, patterns };
    rulesByInput.set(input, rules);
  }
  return rules;
}

/** Which rule of §4.2 selected `key` (its decision was already made by the resolver). */
function selectedBecause(key: string, rules: SelectionRules, input: OtelInputConfig): string {
  if (rules.exact.has(key)) return `customer_tags "${key}"`;
  if (BUILTIN_KEY_MAP.has(key)) return "DataKit's built-in key map";
  if (input.customerTagsAll) return 'customer_tags_all';
  const pattern = rules.patterns.find((p) => p.re.test(key));
  return pattern ? `customer_tags "${pattern.entry}"` : 'customer_tags';
}

/** A selected attribute that put a KV on the point (before the checker). */
interface Selected {
  entry: AttributeAccount;
  kv: KV;
  /** Set for the span's synthetic `trace_id` (§5.14), which takes part but is not an OTLP attribute. */
  synthetic?: boolean;
}

interface TraceWalk {
  input: OtelInputConfig;
  rules: SelectionRules;
  point: Point;
  accounts: AttributeAccount[];
  selected: Selected[];
}

function traceAccount(origin: Extract<PointOrigin, { signal: 'traces' }>, point: Point, input: OtelInputConfig): AttributeAccount[] {
  const walk: TraceWalk = { input, rules: selectionRules(input), point, accounts: [], selected: [] };
  const clean = input.cleanMessage;
  const { span } = origin;

  // Resource (§4.9, §5.7, §5.10): service.name feeds `service`; a string runtime_id feeds the runtime id fields.
  const resourceAttrs = origin.resource?.attributes ?? [];
  const serviceTo = finalKV(point, 'base_service') ? 'base_service' : 'service';
  const resourceRuntime = resourceAttrs.find((a) => a.key === 'runtime_id' && a.value?.kind === 'string');
  selectList(walk, 'resource', resourceAttrs, (a) => {
    if (a.key === 'service.name') return { to: serviceTo, why: 'service.name → service tag' };
    if (a === resourceRuntime) return { to: 'runtime_id', why: 'runtime_id → runtime_id and runtime-id fields (§5.10)' };
    return undefined;
  });

  selectList(walk, 'scope', origin.scope?.attributes ?? [], () => undefined);

  // Span (§5.7, §5.10): the split key feeds `service`; without a resource runtime_id, the first span's runtime_id.
  const split = input.splitServiceName ? span.attributes.find((a) => SPLIT_KEYS.has(a.key) && a.value?.kind === 'string' && a.value.value !== '') : undefined;
  const runtimeField = finalKV(point, 'runtime_id');
  const spanRuntime =
    resourceRuntime === undefined && runtimeField !== undefined && !runtimeField.isTag
      ? span.attributes.find((a) => a.key === 'runtime_id' && a.value?.kind === 'string' && a.value.value === runtimeField.value.value)
      : undefined;
  const traceId = finalKV(point, 'trace_id');
  const synthetic: KeyValue | undefined =
    traceId && !traceId.isTag && traceId.value.type === 'string' ? { key: 'trace_id', value: { kind: 'string', value: traceId.value.value } } : undefined;
  selectList(
    walk,
    'span',
    span.attributes,
    (a) => {
      if (a === split) return { to: 'service', why: `${a.key} → service tag (service split, §5.7; base_service keeps service.name)` };
      if (a === spanRuntime) return { to: 'runtime_id', why: 'runtime_id of the first span → runtime_id and runtime-id fields (§5.10)' };
      return undefined;
    },
    synthetic,
  );

  eventAccounts(walk, span);
  settleSelected(walk);
  return walk.accounts;
}

/** The first `exception` event feeds the error fields; with clean_message it is consumed whole (§4.9, §5.9). */
function eventAccounts(walk: TraceWalk, span: Span): void {
  const exceptionAt = span.events.findIndex((e) => e.name === 'exception');
  span.events.forEach((event, i) => {
    if (i !== exceptionAt) {
      selectList(walk, 'event', event.attributes, () => undefined);
      return;
    }
    selectList(walk, 'event', event.attributes, (a) => {
      const field = ERROR_FIELDS.find(([attribute]) => attribute === a.key)?.[1];
      if (field !== undefined) return { to: field, why: `${a.key} of the first exception event → ${field} (§5.9)` };
      return { why: 'in the first exception event, which clean_message consumes (§4.9)' };
    });
  });
}

interface Consumption {
  /** Absent: the attribute is consumed without feeding any key. */
  to?: string;
  why: string;
}

/**
 * One attribute list through §4.9 and §4.2: consumed (clean_message), not selected (message), or selected; a selected
 * one that maps to an output key already produced by this list replaces it in place (§4.6), except an integer
 * `http_status_code`, which is only ever added. `last` is the span's synthetic `trace_id`.
 */
function selectList(walk: TraceWalk, where: AttributeWhere, attrs: readonly KeyValue[], consumes: (a: KeyValue) => Consumption | undefined, last?: KeyValue): void {
  const { input, rules } = walk;
  const listStart = walk.selected.length;
  const select = (a: KeyValue, synthetic: boolean): void => {
    const consumed = consumes(a);
    if (consumed !== undefined && input.cleanMessage) {
      walk.accounts.push(account(where, a, consumed.to === undefined ? 'dropped' : 'consumed', consumed.why, consumed.to));
      return;
    }
    const also = consumed?.to === undefined ? '' : ` (also sets ${consumed.to})`;
    const key = rules.matcher.resolve(a.key);
    if (key === undefined) {
      if (synthetic) return;
      const why = input.delMessage ? 'not in customer_tags, and del_message = true drops the message' : 'not in customer_tags: kept in message';
      walk.accounts.push(account(where, a, input.delMessage ? 'dropped' : 'message', why + also));
      return;
    }
    const entry = account(where, a, 'lifted', selectedBecause(a.key, rules, input) + also, key);
    if (a.value === undefined || a.value.kind === 'empty') {
      entry.fate = 'dropped';
      entry.why = a.value === undefined ? 'selected, but the KeyValue has no value (DataKit would panic, Q13)' : 'selected, but an empty value emits nothing (§4.7)';
      delete entry.to;
      walk.accounts.push(entry);
      return;
    }
    const kv = selectedKV(key, a.value)!;
    if (!synthetic) walk.accounts.push(entry);
    for (let at = listStart; at < walk.selected.length; at++) {
      const earlier = walk.selected[at];
      if (earlier.kv.key !== key) continue;
      if (kv.isTag && key === 'http_status_code') {
        drop(entry, `an integer http_status_code never replaces the earlier "${earlier.entry.key}" of its list (§4.6)`);
      } else {
        drop(earlier.entry, `replaced by the later ${synthetic ? 'synthetic trace_id' : `"${a.key}"`} of the same list (§4.6)`);
        walk.selected[at] = { entry, kv, synthetic };
      }
      return;
    }
    walk.selected.push({ entry, kv, synthetic });
  };
  for (const a of attrs) select(a, false);
  if (last !== undefined) select(last, true);
}

function drop(entry: AttributeAccount, why: string): void {
  entry.fate = 'dropped';
  entry.why = why;
  delete entry.to;
}

/**
 * Selected KVs against the final point. Of two copies of one key the checker keeps the later (Q31); a key it renames
 * (cut to 256 bytes, `.` → `_`) is dropped when the new name is taken; whatever else it dropped is told by checkerReason.
 */
function settleSelected(walk: TraceWalk): void {
  const { point, input, selected } = walk;
  selected.forEach((s, i) => {
    const raw = s.kv.key;
    const later = selected.findIndex((other, j) => j > i && other.kv.key === raw);
    if (later !== -1) {
      const winner = selected[later];
      const by = winner.synthetic ? 'the synthetic trace_id' : `"${winner.entry.key}" (${winner.entry.where})`;
      if (!s.synthetic) drop(s.entry, `checker: duplicate key "${raw}": the later ${by} wins (§4.10)`);
      return;
    }
    if (s.synthetic) return;
    const key = checkedKey(raw, false);
    const final = finalKV(point, key);
    if (final !== undefined && holds(final, s.kv)) s.entry.to = key;
    else if (final !== undefined && key !== raw) drop(s.entry, `checker: "${raw}" renamed to "${key}", which another key already had`);
    else if (final !== undefined) drop(s.entry, `the point's "${key}" holds another value`);
    else drop(s.entry, checkerReason(point, key, raw, 'tracing', input.strictDatakit));
  });
}

// ---------------------------------------------------------------------------------------- metrics and logs

/** How metrics and logs turn attributes into keys (§6.2, §7.3). */
interface TagListRules {
  category: 'metric' | 'logging';
  /** `tag` (metrics) or `field` (logs), for the reasons. */
  kind: string;
  /** Notes for attributes the converter also reads (logs §7.1). */
  notes: Readonly<Record<string, string>>;
}

const METRIC_RULES: TagListRules = { category: 'metric', kind: 'tag', notes: {} };

const LOG_RULES: TagListRules = {
  category: 'logging',
  kind: 'field',
  notes: { 'service.name': ' (also the service tag, §7.1)', 'log.source': ' (also the measurement, §7.1)', 'host.name': ' (also the host tag, §7.1)' },
};

/** A key the converter sets over an attribute of that name in its list. */
interface ComputedKey {
  key: string;
  why: string;
}

const REMOTE_IP: ComputedKey = { key: 'remote_ip', why: 'remote_ip comes from the request (§6.2)' };
const SCOPE_NAME: ComputedKey = { key: 'scope_name', why: 'scope_name comes from the scope name' };
const SCHEMA_URL: ComputedKey = { key: 'schema_url', why: 'schema_url comes from the ResourceLogs (§7.3)' };

/** One attribute list of a metric data point or log record, in precedence order. */
interface AttributeList {
  where: AttributeWhere;
  attrs: readonly KeyValue[];
  computed?: ComputedKey;
}

const DESCRIBE_WHERE: Readonly<Record<AttributeWhere, string>> = {
  resource: 'resource',
  scope: 'scope',
  span: 'span',
  event: 'event',
  record: 'log record',
  dataPoint: 'data point',
};

/**
 * Metrics and logs keep every attribute (as tags or string fields) unless DataKit removes it: precedence resource >
 * scope > item (first wins), a later attribute of the same key within a list wins (Q44, deterministic here), computed
 * keys override their list's attribute, and then the checker has its say.
 */
function tagListAccount(point: Point, input: OtelInputConfig, rules: TagListRules, lists: readonly AttributeList[]): AttributeAccount[] {
  const strict = input.strictDatakit;
  const accounts: AttributeAccount[] = [];
  /** Output key → where its value came from, across the lists already done (first wins). */
  const claimed = new Map<string, string>();
  const item = DESCRIBE_WHERE[lists[lists.length - 1].where];
  for (const { where, attrs, computed } of lists) {
    const inList = new Map<string, AttributeAccount>();
    for (const a of attrs) {
      const text = attrText(a.value, strict);
      const entry = account(where, a, 'kept', `${DESCRIBE_WHERE[where]} attribute → ${rules.kind}${rules.notes[a.key] ?? ''}`);
      accounts.push(entry);
      if (text === undefined) {
        entry.fate = 'dropped';
        entry.why = a.value === undefined ? 'the KeyValue has no value (DataKit would panic, Q13)' : 'empty value: the key is left out (§6.3)';
        continue;
      }
      if (attributeMap([a], strict).size === 0) {
        drop(entry, 'DataKit removes this key from metric and log attributes (§6.2)');
        continue;
      }
      const key = dotsToUnderscores(a.key);
      const owner = claimed.get(key);
      if (owner !== undefined) {
        drop(entry, `${owner} wins (resource > scope > ${item}, first wins)`);
        continue;
      }
      if (computed?.key === key) {
        drop(entry, computed.why);
        continue;
      }
      const earlier = inList.get(key);
      if (earlier !== undefined) drop(earlier, `the later "${a.key}" of the same list becomes the same key (Q44: the last one wins here)`);
      inList.set(key, entry);
      entry.to = key;
      if (rules.category === 'metric' && text === '') drop(entry, 'empty tag value: line protocol leaves the tag out');
    }
    for (const [key, entry] of inList) claimed.set(key, `the ${DESCRIBE_WHERE[entry.where]} attribute "${entry.key}"`);
    if (computed !== undefined) claimed.set(computed.key, `the computed ${computed.key}`);
  }
  for (const entry of accounts) {
    if (entry.fate !== 'kept' || entry.to === undefined) continue;
    const key = checkedKey(entry.to, rules.category === 'metric');
    if (finalKV(point, key) !== undefined) entry.to = key;
    else drop(entry, checkerReason(point, key, entry.to, rules.category, strict));
  }
  return accounts;
}
