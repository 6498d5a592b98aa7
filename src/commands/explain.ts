import { gunzipSync } from 'node:zlib';
import type { GatewayConfig, OtelInputConfig } from '../config/types.js';
import { accountFor, type AttributeAccount } from '../datakit/explain.js';
import { encodeLine } from '../datakit/line-protocol.js';
import type { PointOrigins } from '../datakit/origin.js';
import type { Point } from '../datakit/point.js';
import { decodeRequest, type Encoding } from '../otlp/decode.js';
import { countItems, type LogsRequest, type MetricsRequest, type Signal, type TracesRequest } from '../otlp/model.js';
import { Pipeline } from '../pipeline.js';

/**
 * `datakit-otel-gateway explain --config FILE PAYLOAD`: the points a config would make of one OTLP payload, each with
 * its attribute account (src/datakit/explain.ts), so `customer_tags` can be tuned without sending traffic. The payload
 * goes through the same decoder and pipeline conversion (with io post-processing) as a request on the config's first
 * `[[inputs.opentelemetry]]`, as if sent from 127.0.0.1.
 */

/** A payload or option the command cannot use: the CLI prints the message and exits 2. */
export class ExplainError extends Error {}

export const SIGNALS: readonly Signal[] = ['traces', 'metrics', 'logs'];
const REMOTE_IP = '127.0.0.1';
const GZIP_MAGIC = [0x1f, 0x8b];
const MAX_VALUE_CHARS = 40;

export interface ExplainedPoint {
  line: string;
  account: AttributeAccount[];
}

export interface Explanation {
  signal: Signal;
  encoding: Encoding;
  gzip: boolean;
  items: number;
  points: ExplainedPoint[];
}

export function explainPayload(config: GatewayConfig, payload: Uint8Array, signal?: Signal): Explanation {
  const input = config.inputs[0];
  if (input === undefined) throw new ExplainError('the config has no [[inputs.opentelemetry]] table to explain with');
  const gzip = payload[0] === GZIP_MAGIC[0] && payload[1] === GZIP_MAGIC[1];
  const body = gzip ? gunzip(payload) : payload;
  const encoding: Encoding = firstNonSpace(body) === 0x7b ? 'json' : 'protobuf'; // `{`
  const decoded = decode(body, encoding, input, config, signal);
  const origins: PointOrigins = new Map();
  const points = new Pipeline({ config, sinks: [] }).convert(decoded.signal, decoded.data, input, REMOTE_IP, origins);
  return {
    signal: decoded.signal,
    encoding,
    gzip,
    items: countItems(decoded.signal, decoded.data),
    points: points.flatMap((p) => explainPoint(p, origins, input)),
  };
}

function explainPoint(point: Point, origins: PointOrigins, input: OtelInputConfig): ExplainedPoint[] {
  const line = encodeLine(point);
  const origin = origins.get(point);
  // A point line protocol cannot carry is not stored by DataKit either (§9.1).
  if (line === null || origin === undefined) return [];
  return [{ line, account: accountFor(origin, point, input) }];
}

function gunzip(payload: Uint8Array): Uint8Array {
  try {
    return gunzipSync(payload);
  } catch (err) {
    throw new ExplainError(`the payload starts like gzip but does not decompress: ${(err as Error).message}`);
  }
}

function firstNonSpace(body: Uint8Array): number | undefined {
  for (const b of body) if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return b;
  return undefined;
}

type Decoded = { signal: Signal; data: TracesRequest | MetricsRequest | LogsRequest };

function decode(body: Uint8Array, encoding: Encoding, input: OtelInputConfig, config: GatewayConfig, given: Signal | undefined): Decoded {
  const opts = { strictDatakit: input.strictDatakit, maxDepth: config.limits.maxJsonDepth };
  const attempt = (signal: Signal): Decoded => {
    try {
      return { signal, data: decodeRequest(signal, encoding, body, opts) };
    } catch (err) {
      throw new ExplainError(`not an OTLP/${encoding} ${signal} request: ${(err as Error).message}`);
    }
  };
  if (given !== undefined) return attempt(given);
  if (encoding === 'json') return attempt(jsonSignal(body));
  // Protobuf carries no type: the three requests share field numbers, so a wrong guess can decode; the first guess
  // whose items look like that signal's wins.
  for (const signal of SIGNALS) {
    let decoded: Decoded;
    try {
      decoded = attempt(signal);
    } catch {
      continue;
    }
    if (looksLike(decoded)) return decoded;
  }
  throw new ExplainError('cannot tell which OTLP/protobuf request this is: give --signal traces|metrics|logs');
}

/** An OTLP/JSON request names its signal in its one top-level key. */
function jsonSignal(body: Uint8Array): Signal {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch (err) {
    throw new ExplainError(`the payload is not valid JSON: ${(err as Error).message}`);
  }
  const keys = typeof parsed === 'object' && parsed !== null ? Object.keys(parsed) : [];
  const has = (camel: string, snake: string): boolean => keys.includes(camel) || keys.includes(snake);
  if (has('resourceSpans', 'resource_spans')) return 'traces';
  if (has('resourceMetrics', 'resource_metrics')) return 'metrics';
  if (has('resourceLogs', 'resource_logs')) return 'logs';
  throw new ExplainError('the JSON payload has none of resourceSpans, resourceMetrics, resourceLogs: give --signal traces|metrics|logs');
}

function looksLike({ signal, data }: Decoded): boolean {
  if (countItems(signal, data) === 0) return false;
  if (signal === 'traces') {
    return (data as TracesRequest).resourceSpans.every((rs) => rs.scopeSpans.every((ss) => ss.spans.every((s) => s.traceId.length === 16 && s.spanId.length === 8)));
  }
  if (signal === 'metrics') {
    return (data as MetricsRequest).resourceMetrics.every((rm) => rm.scopeMetrics.every((sm) => sm.metrics.every((m) => m.name !== '' && m.data !== undefined)));
  }
  return true;
}

// ------------------------------------------------------------------------------------------------ output

const ITEM_NAMES: Readonly<Record<Signal, string>> = { traces: 'span(s)', metrics: 'data point(s)', logs: 'log record(s)' };

/** Text for a person: a summary line, then each point's line protocol with its account aligned beneath it. */
export function formatExplanation(e: Explanation): string {
  const source = `OTLP/${e.encoding}${e.gzip ? ', gzip' : ''}`;
  let out = `${e.signal} (${source}): ${e.items} ${ITEM_NAMES[e.signal]} → ${e.points.length} point(s)\n`;
  for (const p of e.points) out += `\n${p.line}\n${formatAccount(p.account)}`;
  return out;
}

function formatAccount(account: readonly AttributeAccount[]): string {
  if (account.length === 0) return '  (no attributes)\n';
  const rows = account.map((a) => [a.where, a.key, displayValue(a.value), a.fate, a.to === undefined ? '' : `→ ${a.to}`, a.why]);
  const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => r[col].length)));
  return rows.map((r) => '  ' + r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]))).join('  ') + '\n').join('');
}

function displayValue(value: string): string {
  const oneLine = value.replaceAll('\n', '\\n');
  return oneLine.length > MAX_VALUE_CHARS ? oneLine.slice(0, MAX_VALUE_CHARS - 1) + '…' : oneLine;
}

export function explanationJson(e: Explanation): string {
  return JSON.stringify(e, null, 2) + '\n';
}
