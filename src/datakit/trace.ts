import type { AnyValue, KeyValue, ResourceSpans, Span, TracesRequest } from '../otlp/model.js';
import { checkPoint } from './checker.js';
import type { ConvertContext } from './context.js';
import { bufferOf } from './format.js';
import { convertId } from './ids.js';
import {
  addKV,
  boolField,
  floatField,
  intField,
  setKV,
  strField,
  tag,
  type KV,
  type Point,
  type TagKV,
} from './point.js';
import { arrayValueJson, kvListJson, spanMessageWithLp } from './protojson.js';
import type { TraceFilters } from './trace-filters.js';

/** Spans → `opentelemetry` points, as DataKit 1.84 builds them (datakit reference §4, §5). */

const MEASUREMENT = 'opentelemetry';
/** Tags that only ever take these values are built once and shared by every point (KVs are never modified). */
const SPAN_KIND_TAGS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'].map((k) => tag('span_kind', k));
const STATUS_TAGS = { ok: tag('status', 'ok'), error: tag('status', 'error'), info: tag('status', 'info') };
const SPAN_TYPE_TAGS = { entry: tag('span_type', 'entry'), local: tag('span_type', 'local'), exit: tag('span_type', 'exit') };
const SOURCE_TAG = tag('source', 'opentelemetry');
/** The span attributes whose value replaces `service` when the service split is on (§5.7). */
export const SPLIT_KEYS = new Set(['db.system', 'rpc.system', 'messaging.system']);
export const ERROR_FIELDS: ReadonlyArray<readonly [attribute: string, field: string]> = [
  ['exception.type', 'error_type'],
  ['exception.message', 'error_message'],
  ['exception.stacktrace', 'error_stack'],
];
/** Tags that make `source_type` something other than `custom` (§5.8). */
const SOURCE_TYPE_BY_TAG: ReadonlyMap<string, string> = new Map([
  ['http_scheme', 'web'],
  ['http_method', 'web'],
  ['rpc_system', 'web'],
  ['db_system', 'db'],
  ['messaging_system', 'message_queue'],
]);

const stringValue = (v: AnyValue | undefined): string | undefined => (v?.kind === 'string' ? v.value : undefined);
const findAttr = (attrs: readonly KeyValue[], key: string): KeyValue | undefined => attrs.find((a) => a.key === key);

/** Go converts the uint64 nanoseconds to int64 before dividing; asIntN reproduces that, and bigint division truncates like Go's. */
const micros = (ns: bigint): bigint => BigInt.asIntN(64, ns) / 1000n;

/** The value of a selected attribute (§4.7); `null` when nothing is emitted. */
export function selectedKV(key: string, v: AnyValue): KV | null {
  switch (v.kind) {
    case 'string':
      return strField(key, v.value);
    case 'bytes':
      return strField(key, bufferOf(v.value).toString('utf8'));
    case 'double':
      return floatField(key, v.value);
    case 'int':
      // Since 1.81 an integer status code is forced to a string tag.
      return key === 'http_status_code' ? tag(key, v.value.toString()) : intField(key, v.value);
    case 'bool':
      return boolField(key, v.value);
    case 'array':
      return strField(key, arrayValueJson(v.values));
    case 'kvlist':
      return strField(key, kvListJson(v.values));
    case 'empty':
      return null;
  }
}

/**
 * Runs customer_tags selection over one attribute list (§4.2, §4.6): selected attributes become keys in `out`,
 * the others are appended to `notSelected` for the `message`. Within the list a later attribute mapping to the same
 * output key replaces the earlier one in place, except that an integer `http_status_code` is only ever added.
 * `last` is one more attribute at the end of the list (the span's synthetic `trace_id`), saving a copy of the list.
 */
function selectAttributes(attrs: readonly KeyValue[], ctx: ConvertContext, out: KV[], notSelected: KeyValue[], last?: KeyValue): void {
  const listStart = out.length;
  for (const a of attrs) selectAttribute(a, listStart, ctx, out, notSelected);
  if (last !== undefined) selectAttribute(last, listStart, ctx, out, notSelected);
}

/** One attribute of a list whose selected keys start at `out[listStart]`; see selectAttributes. */
function selectAttribute(a: KeyValue, listStart: number, ctx: ConvertContext, out: KV[], notSelected: KeyValue[]): void {
  const key = ctx.customerTags.resolve(a.key);
  if (key === undefined) {
    notSelected.push(a);
    return;
  }
  // A selected KeyValue without a value object makes DataKit panic (Q13); an empty AnyValue emits nothing (§4.7).
  if (a.value === undefined) return;
  const kv = selectedKV(key, a.value);
  if (kv === null) return;
  // A list selects a handful of keys: scanning them beats keeping a Map of positions.
  for (let at = listStart; at < out.length; at++) {
    if (out[at].key !== key) continue;
    if (!(kv.isTag && key === 'http_status_code')) out[at] = kv;
    return;
  }
  out.push(kv);
}

/** What one ResourceSpans contributes to each of its spans, worked out once (§4.9, §5.7, §5.10). */
interface ResourceContext {
  serviceTag: TagKV;
  baseServiceTag: TagKV;
  /** `runtime-id` and `runtime_id`, when there is a runtime id. */
  runtimeIdFields: KV[];
  runtimeId: string | undefined;
  /** The span whose `runtime_id` attribute supplied (and, with clean_message, lost) the runtime id. */
  runtimeIdSpan: Span | undefined;
  selected: KV[];
  notSelected: KeyValue[];
}

function resourceContext(rs: ResourceSpans, ctx: ConvertContext): ResourceContext {
  const { cleanMessage, strictDatakit } = ctx.input;
  let attrs = rs.resource?.attributes ?? []; // Q11: a missing resource is an empty one.

  const serviceAttr = findAttr(attrs, 'service.name');
  let service: string;
  if (serviceAttr === undefined) service = 'unknown_service';
  else service = stringValue(serviceAttr.value) || (strictDatakit ? '' : 'unknown_service'); // Q38

  const runtimeAttr = attrs.find((a) => a.key === 'runtime_id' && a.value?.kind === 'string');
  let runtimeId = stringValue(runtimeAttr?.value);
  let runtimeIdSpan: Span | undefined;
  if (runtimeId === undefined) {
    runtimeIdSpan = rs.scopeSpans.find((ss) => ss.spans.length > 0)?.spans[0];
    runtimeId = runtimeIdSpan && stringValue(findAttr(runtimeIdSpan.attributes, 'runtime_id')?.value);
    if (runtimeId === undefined) runtimeIdSpan = undefined;
  }

  if (cleanMessage) attrs = attrs.filter((a) => a.key !== 'service.name' && a !== runtimeAttr);
  const selected: KV[] = [];
  const notSelected: KeyValue[] = [];
  selectAttributes(attrs, ctx, selected, notSelected);
  const runtimeIdFields = runtimeId === undefined ? [] : [strField('runtime-id', runtimeId), strField('runtime_id', runtimeId)];
  return {
    serviceTag: tag('service', service),
    baseServiceTag: tag('base_service', service),
    runtimeIdFields,
    runtimeId,
    runtimeIdSpan,
    selected,
    notSelected,
  };
}

/** §5.6: `entry` unless the parent is in this request; then `local` if the span is itself a parent, else `exit`. */
function spanTypeTag(spanId: string, parentId: string, spanIds: ReadonlySet<string>, parentIds: ReadonlySet<string>): TagKV {
  if (parentId === '0' || parentId === '' || !spanIds.has(parentId)) return SPAN_TYPE_TAGS.entry;
  return parentIds.has(spanId) ? SPAN_TYPE_TAGS.local : SPAN_TYPE_TAGS.exit;
}

function statusTag(span: Span): TagKV {
  if (span.status === undefined) return STATUS_TAGS.info; // Q39: absent status message
  const code = span.status.code;
  return code === 0 || code === 1 ? STATUS_TAGS.ok : code === 2 ? STATUS_TAGS.error : STATUS_TAGS.info;
}

/** The tags every span of a request gets from the input and DataKit, built once per request. */
interface RequestTags {
  fingerprint: TagKV;
  remoteIp: TagKV;
  /** `[inputs.opentelemetry.tags]`, set over the base keys. */
  input: TagKV[];
  /** `host`, then `[global_host_tags]`, added last. */
  host: TagKV[];
}

function requestTags(ctx: ConvertContext): RequestTags {
  return {
    fingerprint: tag('dk_fingerprint', `${ctx.hostname}_${ctx.datakitVersion}`),
    remoteIp: tag('remote_ip', ctx.remoteIp),
    input: Object.entries(ctx.input.tags).map(([k, v]) => tag(k, v)),
    host: [tag('host', ctx.hostname), ...Object.entries(ctx.globalHostTags).map(([k, v]) => tag(k, v))],
  };
}

interface SpanIds {
  traceId: string;
  spanId: string;
  parentId: string;
}

/** Converts a whole request. `filters` (close_resource, sampler…) run per ResourceSpans, DataKit's trace group (Q41). */
export function convertTraces(req: TracesRequest, ctx: ConvertContext, filters?: TraceFilters): Point[] {
  // span_type looks across every span of the request, so ids are converted up front (§5.6), in the order the
  // second loop visits the spans.
  const ids: SpanIds[] = [];
  const spanIds = new Set<string>();
  const parentIds = new Set<string>();
  for (const rs of req.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) {
        const converted = {
          traceId: convertId(span.traceId, ctx.input),
          spanId: convertId(span.spanId, ctx.input),
          parentId: convertId(span.parentSpanId, ctx.input),
        };
        ids.push(converted);
        spanIds.add(converted.spanId);
        parentIds.add(converted.parentId);
      }
    }
  }

  const tags = requestTags(ctx);
  const points: Point[] = [];
  let next = 0;
  for (const rs of req.resourceSpans) {
    const rc = resourceContext(rs, ctx);
    const group: Point[] = [];
    for (const ss of rs.scopeSpans) {
      const scopeSelected: KV[] = [];
      const scopeNotSelected: KeyValue[] = [];
      if (ss.scope) selectAttributes(ss.scope.attributes, ctx, scopeSelected, scopeNotSelected);
      for (const span of ss.spans) {
        const spanIdsOf = ids[next++];
        const type = spanTypeTag(spanIdsOf.spanId, spanIdsOf.parentId, spanIds, parentIds);
        const point = spanPoint(span, spanIdsOf, type, tags, rc, scopeSelected, scopeNotSelected, ctx);
        if (point === null) continue;
        group.push(point);
        ctx.origins?.set(point, { signal: 'traces', resource: rs.resource, scope: ss.scope, span });
      }
    }
    if (group.length > 0 && (filters === undefined || filters.keep(group))) points.push(...group);
  }
  return points;
}

/** One span → one checked point, following DataKit's build order (§5.13). */
function spanPoint(
  span: Span,
  idsOf: SpanIds,
  type: TagKV,
  tags: RequestTags,
  rc: ResourceContext,
  scopeSelected: readonly KV[],
  scopeNotSelected: readonly KeyValue[],
  ctx: ConvertContext,
): Point | null {
  const { input } = ctx;
  const clean = input.cleanMessage;
  let attrs = span.attributes;

  // 1. base fields and tags
  const kvs: KV[] = [
    strField('trace_id', idsOf.traceId),
    strField('parent_id', idsOf.parentId),
    strField('span_id', idsOf.spanId),
    strField('resource', span.name),
    intField('start', micros(span.startTimeUnixNano)),
    intField('duration', micros(span.endTimeUnixNano - span.startTimeUnixNano)), // Q40: may be negative
    statusTag(span),
    type,
    tags.fingerprint,
    SOURCE_TAG,
    rc.serviceTag,
    tags.remoteIp,
  ];

  // 2. service split (§5.7)
  if (input.splitServiceName) {
    const split = attrs.find((a) => SPLIT_KEYS.has(a.key) && stringValue(a.value));
    if (split !== undefined) {
      setKV(kvs, tag('service', stringValue(split.value)!));
      addKV(kvs, rc.baseServiceTag);
      if (clean) attrs = attrs.filter((a) => a !== split);
    }
  }

  // 3. [tags] override anything so far
  for (const t of tags.input) setKV(kvs, t);

  // 4. runtime id (§5.10)
  if (rc.runtimeId !== undefined) {
    for (const f of rc.runtimeIdFields) setKV(kvs, f);
    if (clean && span === rc.runtimeIdSpan) {
      const consumed = findAttr(attrs, 'runtime_id');
      attrs = attrs.filter((a) => a !== consumed);
    }
  }

  // 5. error fields from the first exception event (§5.9)
  const exceptionAt = span.events.findIndex((e) => e.name === 'exception');
  if (exceptionAt >= 0) {
    const eventAttrs = span.events[exceptionAt].attributes;
    for (const [attribute, field] of ERROR_FIELDS) {
      const a = findAttr(eventAttrs, attribute);
      if (a !== undefined) setKV(kvs, strField(field, stringValue(a.value) ?? ''));
    }
  }
  const consumedEvent = clean ? exceptionAt : -1;

  // 6. span kind
  if (span.kind >= 0 && span.kind < SPAN_KIND_TAGS.length) addKV(kvs, SPAN_KIND_TAGS[span.kind]);

  // 7. selected attributes: resource, scope, span (+ synthetic trace_id), events — appended (§4.6)
  const notSelected: KeyValue[] = [...rc.notSelected, ...scopeNotSelected];
  kvs.push(...rc.selected, ...scopeSelected);
  selectAttributes(attrs, ctx, kvs, notSelected, { key: 'trace_id', value: { kind: 'string', value: idsOf.traceId } });
  span.events.forEach((e, i) => {
    if (i !== consumedEvent) selectAttributes(e.attributes, ctx, kvs, notSelected);
  });

  // 8. db_host, then source_type (both only added)
  if (findAttr(attrs, 'db.system') !== undefined) {
    const peer = attrs.find((a) => (a.key === 'net.peer.name' || a.key === 'server.address') && a.value?.kind === 'string');
    const host = stringValue(peer?.value);
    if (host) addKV(kvs, tag('db_host', host));
  }
  addKV(kvs, tag('source_type', sourceType(kvs)));

  // 9. message
  if (!input.delMessage) {
    const message = spanMessageWithLp(span, { clean, attributes: notSelected, consumedEvent });
    addKV(kvs, { key: 'message', isTag: false, value: { type: 'string', value: message.json, lp: message.lp } });
  }

  // 10. DataKit host tags
  for (const t of tags.host) addKV(kvs, t);

  // 11. point checker
  return checkPoint({ measurement: MEASUREMENT, kvs, time: span.startTimeUnixNano }, 'tracing', { strictDatakit: input.strictDatakit });
}

function sourceType(kvs: readonly KV[]): string {
  for (const kv of kvs) {
    if (!kv.isTag) continue;
    const t = SOURCE_TYPE_BY_TAG.get(kv.key);
    if (t !== undefined) return t;
  }
  return 'custom';
}
