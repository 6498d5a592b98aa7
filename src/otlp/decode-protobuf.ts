import protobuf from 'protobufjs';
import { DecodeError } from './decode-error.js';
import { mapLogsRequest, mapMetricsRequest, mapTracesRequest, type PbLogsRequest, type PbMetricsRequest, type PbTracesRequest } from './decode-map.js';
import type { LogsRequest, MetricsRequest, TracesRequest } from './model.js';
import { otlpProtoTypes } from './proto.js';
import { messageNestingLimit } from './wire/decode.js';
import { decodeLogsWire } from './wire/logs.js';
import { decodeMetricsWire } from './wire/metrics.js';
import { decodeTracesWire } from './wire/traces.js';

/**
 * OTLP protobuf → model. Production reads the wire format straight into the model (src/otlp/wire, issue 8). The
 * `*Reflect` decoders are the reference it must match on every input (test/wire-decode.test.ts): protobufjs's
 * reflection `Type.decode` reads the bytes (it skips unknown fields), then the mapping shared with the JSON decoder
 * (decode-map.ts) turns its messages into the model, so both encodings of one request give the same model by
 * construction (receiver checklist 34).
 */

export interface ProtobufDecodeOptions {
  /** The deepest AnyValue nesting accepted (decode-error.ts `anyValueTooDeep`); default 100. */
  maxDepth: number;
}

const DEFAULT_OPTIONS: ProtobufDecodeOptions = { maxDepth: 100 };

// ------------------------------------------------------------------------------------------- protobuf entry points

export function decodeTracesProtobuf(buf: Uint8Array, opts: ProtobufDecodeOptions = DEFAULT_OPTIONS): TracesRequest {
  return decodeTracesWire(buf, opts.maxDepth);
}

export function decodeMetricsProtobuf(buf: Uint8Array, opts: ProtobufDecodeOptions = DEFAULT_OPTIONS): MetricsRequest {
  return decodeMetricsWire(buf, opts.maxDepth);
}

export function decodeLogsProtobuf(buf: Uint8Array, opts: ProtobufDecodeOptions = DEFAULT_OPTIONS): LogsRequest {
  return decodeLogsWire(buf, opts.maxDepth);
}

// ------------------------------------------------------------------------------ the protobufjs reference decoders

export function decodeTracesProtobufReflect(buf: Uint8Array, opts: ProtobufDecodeOptions = DEFAULT_OPTIONS): TracesRequest {
  const t = otlpProtoTypes().ExportTraceServiceRequest;
  return mapTracesRequest(decodeMessage<PbTracesRequest>(t, buf, opts.maxDepth), opts.maxDepth);
}

export function decodeMetricsProtobufReflect(buf: Uint8Array, opts: ProtobufDecodeOptions = DEFAULT_OPTIONS): MetricsRequest {
  const t = otlpProtoTypes().ExportMetricsServiceRequest;
  return mapMetricsRequest(decodeMessage<PbMetricsRequest>(t, buf, opts.maxDepth), opts.maxDepth);
}

export function decodeLogsProtobufReflect(buf: Uint8Array, opts: ProtobufDecodeOptions = DEFAULT_OPTIONS): LogsRequest {
  const t = otlpProtoTypes().ExportLogsServiceRequest;
  return mapLogsRequest(decodeMessage<PbLogsRequest>(t, buf, opts.maxDepth), opts.maxDepth);
}

function decodeMessage<T>(type: protobuf.Type, buf: Uint8Array, maxDepth: number): T {
  // protobufjs refuses messages nested deeper than the process-wide `Reader.recursionLimit` (100 by default), which
  // would cut AnyValue nesting at ~30 kvlist levels. Set it for `maxDepth` (receiver §4.4) on every call, so the
  // limit depends on this call only, as in the wire decoder; it only guards the stack, and a stack overflow is
  // still caught below.
  protobuf.Reader.recursionLimit = messageNestingLimit(maxDepth);
  try {
    // A Buffer view (no copy) makes protobufjs use its BufferReader: native UTF-8 decoding, and every bytes field
    // comes out as a Buffer, the same class the JSON decoder produces.
    const bytes = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    return type.decode(bytes) as unknown as T;
  } catch (err) {
    // Truncation, bad lengths, bad wire types, nesting: all the sender's fault (receiver checklist 13).
    throw new DecodeError(`invalid protobuf ${type.name}: ${(err as Error).message}`);
  }
}
