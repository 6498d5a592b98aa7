import type { AnyValue, KeyValue, LogRecord, LogsRequest } from '../otlp/model.js';
import { attributeKVs, attributeMap, commonValueText, mergeFirstWins, sharedKVs, type SharedKVs } from './attr-text.js';
import { checkPoint, type CheckOptions } from './checker.js';
import { recordOrigins } from './origin.js';
import type { ConvertContext } from './context.js';
import { bufferOf, formatFixed } from './format.js';
import { convertId } from './ids.js';
import { addKV, strField, tag, type KV, type Point, type TagKV } from './point.js';

/**
 * Log records → logging points, as DataKit 1.84 builds them (datakit reference §7). Keys are *added* in this order, so
 * the first of a name wins (§7.3): resource > scope > record attributes (string fields), `[tags]` (fields), `message`,
 * `span_id`, `trace_id`, then the tags `status`, `service`, `source`, `remote_ip`, `dk_fingerprint`, `host`. The
 * logging checker then drops `source` and `date` (Q36) and adds a `status="info"` field when no `status` key is left.
 */

const NS_PER_MS = 1_000_000n;
/** §7.2: severity numbers 1–24 in groups of four. */
const SEVERITY_STATUS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** What DataKit reads from the resource attributes (§7.1): the last attribute of each name, "" unless a string. */
interface ResourceIdentity {
  /** The measurement: `log.source`, else `service.name`, else `otel_logs`. */
  source: string;
  service: string;
  host: string;
}

function resourceIdentity(attrs: readonly KeyValue[]): ResourceIdentity {
  let service = '';
  let logSource = '';
  let host = '';
  for (const a of attrs) {
    const text = a.value?.kind === 'string' ? a.value.value : ''; // Go's GetStringValue()
    if (a.key === 'service.name') service = text;
    else if (a.key === 'log.source') logSource = text;
    else if (a.key === 'host.name') host = text;
  }
  return { source: logSource || service || 'otel_logs', service: service || 'unSetServiceName', host };
}

/** Per-request values shared by every record. */
interface LogContext {
  ctx: ConvertContext;
  check: CheckOptions;
  /** `log_max` KiB → code points per chunk (§7.4). */
  chunkSize: number;
  /** `[tags]` as string fields (Q37), built once. */
  configTags: KV[];
  remoteIp: TagKV;
  fingerprint: TagKV;
}

export function convertLogs(req: LogsRequest, ctx: ConvertContext): Point[] {
  const strict = ctx.input.strictDatakit;
  const lc: LogContext = {
    ctx,
    check: { strictDatakit: strict },
    chunkSize: ctx.input.logMax * 1024,
    configTags: Object.entries(ctx.input.tags).map(([k, v]) => strField(k, v)),
    remoteIp: tag('remote_ip', ctx.remoteIp),
    fingerprint: tag('dk_fingerprint', `${ctx.hostname}_${ctx.datakitVersion}`),
  };
  const points: Point[] = [];
  for (const rl of req.resourceLogs) {
    const resourceAttrs = rl.resource?.attributes ?? []; // a missing resource has no attributes (§7.1)
    const identity = resourceIdentity(resourceAttrs);
    const resource = attributeMap(resourceAttrs, strict);
    resource.set('schema_url', rl.schemaUrl); // overrides a resource attribute of that name
    for (const sl of rl.scopeLogs) {
      // Unlike metrics, `scope_name` is there even without a scope message (Go's nil-safe getters give "").
      const scope = attributeMap(sl.scope?.attributes ?? [], strict);
      scope.set('scope_name', sl.scope?.name ?? '');
      const base = sharedKVs(mergeFirstWins(resource, scope), strField);
      for (const record of sl.logRecords) {
        const from = points.length;
        recordPoints(record, base, identity, lc, points);
        if (ctx.origins) recordOrigins(ctx.origins, points, from, { signal: 'logs', resource: rl.resource, scope: sl.scope, record });
      }
    }
  }
  return points;
}

function recordPoints(
  record: LogRecord,
  base: SharedKVs,
  identity: ResourceIdentity,
  lc: LogContext,
  out: Point[],
): void {
  const { input } = lc.ctx;
  const chunks = chunkByCodePoints(bodyText(record.body), lc.chunkSize);
  if (chunks.length === 0) {
    if (input.strictDatakit) return; // Q33 compat: DataKit drops a record with an empty body
    chunks.push('');
  }

  const kvs = attributeKVs(base, record.attributes, input.strictDatakit, strField);
  for (const kv of lc.configTags) addKV(kvs, kv); // fields that lose to attributes (Q37)
  const messageAt = kvs.length;
  addKV(kvs, strField('message', chunks[0]));
  const hasMessage = kvs.length > messageAt; // false when an attribute or [tags] entry is called `message`
  const added: KV[] = [
    strField('span_id', convertId(record.spanId, input)),
    strField('trace_id', convertId(record.traceId, input)),
    tag('status', severityStatus(record.severityNumber, record.severityText)),
    tag('service', identity.service),
    tag('source', identity.source),
    lc.remoteIp,
    lc.fingerprint,
  ];
  if (identity.host !== '') added.push(tag('host', identity.host));
  for (const kv of added) addKV(kvs, kv);

  const time = BigInt.asIntN(64, record.timeUnixNano !== 0n ? record.timeUnixNano : record.observedTimeUnixNano);
  const last = chunks.length - 1;
  for (let i = 0; i <= last; i++) {
    // The checker owns the array it is given: every chunk but the last gets a copy.
    const pointKVs = i === last ? kvs : kvs.slice();
    if (hasMessage && i > 0) pointKVs[messageAt] = strField('message', chunks[i]);
    const point = checkPoint({ measurement: identity.source, kvs: pointKVs, time: time + BigInt(i) * NS_PER_MS }, 'logging', lc.check);
    if (point !== null) out.push(point);
  }
}

/** §7.2; severity 0 is `unknown`, not the severity text (Q34). */
function severityStatus(n: number, text: string): string {
  if (n === 0) return 'unknown';
  if (n >= 1 && n <= 24) return SEVERITY_STATUS[(n - 1) >> 2];
  return text;
}

/** §7.4: the body as text. Unlike attributes, strings are not cut, bytes are the raw text and doubles get `%f`. */
function bodyText(body: AnyValue | undefined): string {
  if (body === undefined) return '';
  switch (body.kind) {
    case 'string':
      return body.value;
    case 'bytes':
      // Go keeps the raw bytes and its []rune split turns invalid UTF-8 into U+FFFD; Node's decoder does the same
      // except that it may merge a truncated multi-byte sequence into one U+FFFD where Go writes one per byte.
      return bufferOf(body.value).toString('utf8');
    case 'double':
      return formatFixed(body.value, 6);
    case 'empty':
      return '';
    default:
      return commonValueText(body);
  }
}

const isHighSurrogate = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;

/** Chunks of `size` Unicode code points (Q35: Go's []rune split; an astral character counts once). "" → none. */
function chunkByCodePoints(text: string, size: number): string[] {
  if (text === '') return [];
  if (text.length <= size) return [text]; // never more code points than UTF-16 units
  const chunks: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = start;
    for (let n = 0; n < size && end < text.length; n++) {
      const pair = isHighSurrogate(text.charCodeAt(end)) && isLowSurrogate(text.charCodeAt(end + 1));
      end += pair ? 2 : 1;
    }
    chunks.push(text.slice(start, end));
    start = end;
  }
  return chunks;
}
