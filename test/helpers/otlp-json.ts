/**
 * The internal OTLP model (built with model-build.ts) back on the wire, for tests that post the same data in every
 * encoding a client may use:
 * - OTLP/JSON per the spec (otlp-http-receiver.md §1.8): lowerCamelCase keys, hex ids (J1), enums as integers (J2),
 *   64-bit integers as decimal strings (J5), bytes as base64, NaN/±Infinity as strings (J6), proto3 zero values left
 *   out. Variants: snake_case keys (J4), enum names (J2), base64 ids (what DataKit 1.84 reads, Q1).
 * - OTLP protobuf, encoded with @opentelemetry/otlp-transformer's generated code (independent of src/otlp/proto.ts).
 * Both walk the model with src/otlp/encode-json.ts; only the leaf codec differs.
 */
import generated from '@opentelemetry/otlp-transformer/build/src/generated/root.js';
import { jsonCodec, OtlpTreeBuilder, type Codec, type OtlpJsonOptions as TreeOptions, type Tree } from '../../src/otlp/encode-json.js';
import type { LogsRequest, MetricsRequest, Signal, SignalRequest, TracesRequest } from '../../src/otlp/model.js';

export interface OtlpJsonOptions extends TreeOptions {
  /** Default `camel` (the spec); `snake` is the .proto field names (J4). */
  keys?: 'camel' | 'snake';
}

/** protobufjs takes 64-bit values as decimal strings (parsed with `long`) and bytes as Uint8Array. */
const PROTOBUF_CODEC: Codec = {
  id: (b) => b,
  bytes: (b) => b,
  int64: (n) => n.toString(),
  double: (n) => n,
  enumValue: (n) => n,
};

function signalTree(builder: OtlpTreeBuilder, signal: Signal, req: SignalRequest[Signal]): Tree {
  if (signal === 'traces') return builder.traces(req as TracesRequest);
  if (signal === 'metrics') return builder.metrics(req as MetricsRequest);
  return builder.logs(req as LogsRequest);
}

const snake = (key: string): string => key.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);

/** Every object key camel → snake. Safe on OTLP/JSON: all object keys are field names (attribute keys are values). */
function snakeKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(snakeKeys);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [snake(k), snakeKeys(x)]));
}

/** A plain OTLP/JSON object (lowerCamelCase keys) as request text, with the key style of `opts`. */
export function jsonText(plain: object, opts: OtlpJsonOptions = {}): Buffer {
  return Buffer.from(JSON.stringify(opts.keys === 'snake' ? snakeKeys(plain) : plain));
}

/** A model request as the OTLP/JSON request body. */
export function otlpJson<S extends Signal>(signal: S, req: SignalRequest[S], opts: OtlpJsonOptions = {}): Buffer {
  return jsonText(signalTree(new OtlpTreeBuilder(jsonCodec(opts)), signal, req), opts);
}

// The otlp-transformer's static protobufjs classes, typed loosely (as in decode-protobuf.test.ts).
type Encoder = { encode(m: object): { finish(): Uint8Array } };
const collector = (generated as unknown as { opentelemetry: { proto: { collector: Record<string, { v1: Record<string, Encoder> }> } } })
  .opentelemetry.proto.collector;
const ENCODERS: Readonly<Record<Signal, Encoder>> = {
  traces: collector.trace.v1.ExportTraceServiceRequest,
  metrics: collector.metrics.v1.ExportMetricsServiceRequest,
  logs: collector.logs.v1.ExportLogsServiceRequest,
};

/** A model request as the OTLP protobuf request body. */
export function otlpProtobuf<S extends Signal>(signal: S, req: SignalRequest[S]): Buffer {
  return Buffer.from(ENCODERS[signal].encode(signalTree(new OtlpTreeBuilder(PROTOBUF_CODEC), signal, req)).finish());
}

/** One way of putting a request on the wire. */
export interface WireVariant {
  name: string;
  contentType: 'application/x-protobuf' | 'application/json';
  body: Buffer;
}

/**
 * The same request in every encoding a client may send: protobuf, spec OTLP/JSON, snake_case keys (J4) and enum names
 * (J2). `ids: 'base64'` gives the JSON variants DataKit 1.84's reading of ids (Q1), for strict_datakit gateways.
 */
export function wireVariants<S extends Signal>(signal: S, req: SignalRequest[S], ids: OtlpJsonOptions['ids'] = 'hex'): WireVariant[] {
  const json = (name: string, opts: OtlpJsonOptions): WireVariant => ({ name, contentType: 'application/json', body: otlpJson(signal, req, { ...opts, ids }) });
  return [
    { name: 'protobuf', contentType: 'application/x-protobuf', body: otlpProtobuf(signal, req) },
    json('JSON', {}),
    json('JSON snake_case', { keys: 'snake' }),
    json('JSON enum names', { enums: 'name' }),
  ];
}
