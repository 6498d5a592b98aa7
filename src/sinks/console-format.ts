import type { Category, FieldValue, Point, PointBatch } from '../datakit/point.js';
import { getKV } from '../datakit/point.js';
import { llmCallOf } from '../llm/recognize.js';
import { formatMs, summarizeLlmCall } from '../llm/summary.js';

/**
 * The stdout sink's `console` format: one line per point for a person watching `npm start`, not for a machine (the
 * line protocol is one `--lines` or `format = "line-protocol"` away):
 *
 *   22:13:20.123 span    llm-app  chat gpt-4o-mini  820 ms  ok  llm: openai chat gpt-4o-mini 123→45 tok (168) 820 ms ttft 210 ms
 *   22:13:20.123 metric  llm-app  gen_ai.client.token.usage_count=2 gen_ai.client.token.usage_sum=168 unit=token
 *   22:13:20.123 log     llm-app  error  connection refused
 *
 * Times are UTC (time of day; the date rarely helps when watching). LLM calls are recognised on the span itself, so the
 * sink asks for origins. Colour only when asked (a TTY without NO_COLOR, decided by the sink).
 */

const MAX_MESSAGE_CHARS = 200;

const ANSI = { dim: '\x1b[2m', cyan: '\x1b[36m', red: '\x1b[31m', yellow: '\x1b[33m', green: '\x1b[32m', magenta: '\x1b[35m', reset: '\x1b[0m' };
type Colour = keyof typeof ANSI;

const STATUS_COLOUR: Readonly<Record<string, Colour>> = {
  error: 'red',
  fatal: 'red',
  critical: 'red',
  warn: 'yellow',
  warning: 'yellow',
  ok: 'green',
  info: 'green',
};

const LABEL: Readonly<Record<Category, string>> = { tracing: 'span  ', metric: 'metric', logging: 'log   ' };

type Paint = (colour: Colour | undefined, text: string) => string;
const plain: Paint = (_colour, text) => text;
const ansi: Paint = (colour, text) => (colour === undefined || text === '' ? text : ANSI[colour] + text + ANSI.reset);

/** A batch as console lines, each ending in `\n`; `''` for an empty batch. */
export function formatConsoleBatch(batch: PointBatch, colour: boolean): string {
  const paint = colour ? ansi : plain;
  let out = '';
  for (const point of batch.points) out += consoleLine(batch, point, paint) + '\n';
  return out;
}

function consoleLine(batch: PointBatch, point: Point, paint: Paint): string {
  const head = `${paint('dim', timeOfDay(point.time))} ${LABEL[batch.category]}`;
  switch (batch.category) {
    case 'tracing':
      return `${head}  ${paint('cyan', tagText(point, 'service'))}  ${spanText(batch, point, paint)}`;
    case 'metric':
      return `${head}  ${paint('cyan', tagText(point, 'service_name'))}  ${metricText(point)}`;
    case 'logging':
      return `${head}  ${paint('cyan', tagText(point, 'service'))}  ${statusText(point, paint)}  ${messageText(point)}`;
  }
}

/** `HH:MM:SS.mmm` UTC of a nanosecond timestamp. */
function timeOfDay(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString().slice(11, 23);
}

function tagText(point: Point, key: string): string {
  const kv = getKV(point.kvs, key);
  if (kv === undefined) return '-';
  return kv.isTag ? kv.value || '-' : valueText(kv.value);
}

function valueText(v: FieldValue): string {
  return v.type === 'string' ? v.value : String(v.value);
}

function statusText(point: Point, paint: Paint): string {
  const status = tagText(point, 'status');
  return paint(STATUS_COLOUR[status], status);
}

function spanText(batch: PointBatch, point: Point, paint: Paint): string {
  const duration = getKV(point.kvs, 'duration');
  const micros = duration !== undefined && !duration.isTag && duration.value.type === 'int' ? Number(duration.value.value) : undefined;
  let text = `${tagText(point, 'resource')}  ${micros === undefined ? '-' : formatMs(micros / 1000)}  ${statusText(point, paint)}`;
  const origin = batch.origins?.get(point);
  const call = origin?.signal === 'traces' ? llmCallOf(origin.span, origin.resource) : undefined;
  if (call !== undefined) text += '  ' + paint('magenta', `llm: ${summarizeLlmCall(call)}`);
  return text;
}

/** The fields (what was measured) and the two tags that say how to read them. */
function metricText(point: Point): string {
  const parts: string[] = [];
  for (const kv of point.kvs) if (!kv.isTag) parts.push(`${kv.key}=${valueText(kv.value)}`);
  for (const key of ['le', 'unit']) {
    const kv = getKV(point.kvs, key);
    if (kv?.isTag && kv.value !== '') parts.push(`${key}=${kv.value}`);
  }
  return parts.join(' ');
}

/** The log message's first line, cut for the terminal. */
function messageText(point: Point): string {
  const text = tagText(point, 'message');
  const firstLine = text.split('\n', 1)[0];
  return firstLine.length > MAX_MESSAGE_CHARS ? firstLine.slice(0, MAX_MESSAGE_CHARS) + '…' : firstLine === text ? text : firstLine + ' …';
}
