import type { AnyValue, KeyValue, ResourceSpans, Span, TracesRequest } from '../otlp/model.js';
import { checkPoint } from './checker.js';
import type { ConvertContext } from './context.js';
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
} from './point.js';
import { arrayValueJson, kvListJson, spanMessageJson } from './protojson.js';
import type { TraceFilters } from './trace-filters.js';

/** Spans → `opentelemetry` points, as DataKit 1.84 builds them (datakit reference §4, §5). */

const MEASUREMENT = 'opentelemetry';
const SPAN_KIND_TAGS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
/** The span attributes whose value replaces `service` when the service split is on (§5.7). */
const SPLIT_KEYS = new Set(['db.system', 'rpc.system', 'messaging.system']);
const ERROR_FIELDS: ReadonlyArray<readonly [attribute: string, field: string]> = [
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
function selectedKV(key: string, v: AnyValue): KV | null {
  switch (v.kind) {
    case 'string':
      return strField(key, v.value);
    case 'bytes':
      return strField(key, Buffer.from(v.value).toString('utf8'));
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
 */
function selectAttributes(attrs: readonly KeyValue[], ctx: ConvertContext, out: KV[], notSelected: KeyValue[]): void {
  let positions: Map<string, number> | undefined;
  for (const a of attrs) {
    const key = ctx.customerTags.resolve(a.key);
    if (key === undefined) {
      notSelected.push(a);
      continue;
    }
    // A selected KeyValue without a value object makes DataKit panic (Q13); an empty AnyValue emits nothing (§4.7).
    if (a.value === undefined) continue;
    const kv = selectedKV(key, a.value);
    if (kv === null) continue;
    positions ??= new Map();
    const at = positions.get(key);
    if (at === undefined) {
      positions.set(key, out.length);
      out.push(kv);
    } else if (!(kv.isTag && key === 'http_status_code')) {
      out[at] = kv;
    }
  }
}

/** What one ResourceSpans contributes to each of its spans, worked out once (§4.9, §5.7, §5.10). */
interface ResourceContext {
  service: string;
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
  return { service, runtimeId, runtimeIdSpan, selected, notSelected };
}

/** §5.6: `entry` unless the parent is in this request; then `local` if the span is itself a parent, else `exit`. */
function spanType(spanId: string, parentId: string, spanIds: ReadonlySet<string>, parentIds: ReadonlySet<string>): string {
  if (parentId === '0' || parentId === '' || !spanIds.has(parentId)) return 'entry';
  return parentIds.has(spanId) ? 'local' : 'exit';
}

function statusTag(span: Span): string {
  if (span.status === undefined) return 'info'; // Q39: absent status message
  const code = span.status.code;
  return code === 0 || code === 1 ? 'ok' : code === 2 ? 'error' : 'info';
}

interface SpanIds {
  traceId: string;
  spanId: string;
  parentId: string;
}

/** Converts a whole request. `filters` (close_resource, sampler…) run per ResourceSpans, DataKit's trace group (Q41). */
export function convertTraces(req: TracesRequest, ctx: ConvertContext, filters?: TraceFilters): Point[] {
  // span_type looks across every span of the request, so ids are converted up front (§5.6).
  const ids = new Map<Span, SpanIds>();
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
        ids.set(span, converted);
        spanIds.add(converted.spanId);
        parentIds.add(converted.parentId);
      }
    }
  }

  const points: Point[] = [];
  for (const rs of req.resourceSpans) {
    const rc = resourceContext(rs, ctx);
    const group: Point[] = [];
    for (const ss of rs.scopeSpans) {
      const scopeSelected: KV[] = [];
      const scopeNotSelected: KeyValue[] = [];
      if (ss.scope) selectAttributes(ss.scope.attributes, ctx, scopeSelected, scopeNotSelected);
      for (const span of ss.spans) {
        const spanIdsOf = ids.get(span)!;
        const point = spanPoint(span, spanIdsOf, spanType(spanIdsOf.spanId, spanIdsOf.parentId, spanIds, parentIds), rc, scopeSelected, scopeNotSelected, ctx);
        if (point !== null) group.push(point);
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
  type: string,
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
    tag('status', statusTag(span)),
    tag('span_type', type),
    tag('dk_fingerprint', `${ctx.hostname}_${ctx.datakitVersion}`),
    tag('source', 'opentelemetry'),
    tag('service', rc.service),
    tag('remote_ip', ctx.remoteIp),
  ];

  // 2. service split (§5.7)
  if (input.splitServiceName) {
    const split = attrs.find((a) => SPLIT_KEYS.has(a.key) && stringValue(a.value));
    if (split !== undefined) {
      setKV(kvs, tag('service', stringValue(split.value)!));
      addKV(kvs, tag('base_service', rc.service));
      if (clean) attrs = attrs.filter((a) => a !== split);
    }
  }

  // 3. [tags] override anything so far
  for (const [k, v] of Object.entries(input.tags)) setKV(kvs, tag(k, v));

  // 4. runtime id (§5.10)
  if (rc.runtimeId !== undefined) {
    setKV(kvs, strField('runtime-id', rc.runtimeId));
    setKV(kvs, strField('runtime_id', rc.runtimeId));
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
  if (span.kind >= 0 && span.kind < SPAN_KIND_TAGS.length) addKV(kvs, tag('span_kind', SPAN_KIND_TAGS[span.kind]));

  // 7. selected attributes: resource, scope, span (+ synthetic trace_id), events — appended (§4.6)
  const notSelected: KeyValue[] = [...rc.notSelected, ...scopeNotSelected];
  kvs.push(...rc.selected, ...scopeSelected);
  const spanAttrs = [...attrs, { key: 'trace_id', value: { kind: 'string', value: idsOf.traceId } as const }];
  selectAttributes(spanAttrs, ctx, kvs, notSelected);
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
    addKV(kvs, strField('message', spanMessageJson(span, { clean, attributes: notSelected, consumedEvent })));
  }

  // 10. DataKit host tags
  addKV(kvs, tag('host', ctx.hostname));
  for (const [k, v] of Object.entries(ctx.globalHostTags)) addKV(kvs, tag(k, v));

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
