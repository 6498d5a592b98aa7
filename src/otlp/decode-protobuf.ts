import protobuf from 'protobufjs';
import { DecodeError } from './decode-error.js';
import { mapLogsRequest, mapMetricsRequest, mapTracesRequest, type PbLogsRequest, type PbMetricsRequest, type PbTracesRequest } from './decode-map.js';
import type { LogsRequest, MetricsRequest, TracesRequest } from './model.js';
import { otlpProtoTypes } from './proto.js';

/**
 * OTLP protobuf → model. protobufjs's reflection `Type.decode` reads the bytes (it skips unknown fields), then the
 * mapping shared with the JSON decoder (decode-map.ts) turns its messages into the model, so both encodings of one
 * request give the same model by construction (receiver checklist 34).
 */

export interface ProtobufDecodeOptions {
  /** The deepest AnyValue nesting accepted (decode-error.ts `anyValueTooDeep`); default 100. */
  maxDepth: number;
}

const DEFAULT_OPTIONS: ProtobufDecodeOptions = { maxDepth: 100 };

// ------------------------------------------------------------------------------------------- protobuf entry points

export function decodeTracesProtobuf(buf: Uint8Array, opts: ProtobufDecodeOptions = DEFAULT_OPTIONS): TracesRequest {
  const t = otlpProtoTypes().ExportTraceServiceRequest;
  return mapTracesRequest(decodeMessage<PbTracesRequest>(t, buf, opts.maxDepth), opts.maxDepth);
}

export function decodeMetricsProtobuf(buf: Uint8Array, opts: ProtobufDecodeOptions = DEFAULT_OPTIONS): MetricsRequest {
  const t = otlpProtoTypes().ExportMetricsServiceRequest;
  return mapMetricsRequest(decodeMessage<PbMetricsRequest>(t, buf, opts.maxDepth), opts.maxDepth);
}

export function decodeLogsProtobuf(buf: Uint8Array, opts: ProtobufDecodeOptions = DEFAULT_OPTIONS): LogsRequest {
  const t = otlpProtoTypes().ExportLogsServiceRequest;
  return mapLogsRequest(decodeMessage<PbLogsRequest>(t, buf, opts.maxDepth), opts.maxDepth);
}

/**
 * Message nesting above one AnyValue level 1: request → Resource* → Scope* → Metric → Histogram → data point →
 * Exemplar → KeyValue → AnyValue is 8; each further kvlist level adds 3 (KeyValueList → KeyValue → AnyValue).
 */
const MESSAGE_LEVELS_PER_ANY_VALUE = 3;
const MESSAGE_LEVELS_ABOVE_ANY_VALUE = 8;

function decodeMessage<T>(type: protobuf.Type, buf: Uint8Array, maxDepth: number): T {
  // protobufjs refuses messages nested deeper than the process-wide `Reader.recursionLimit` (100 by default), which
  // would cut AnyValue nesting at ~30 kvlist levels. Raise it so `maxDepth` is the limit that applies (receiver
  // §4.4); it only guards the stack, and a stack overflow is still caught below.
  const messageLimit = MESSAGE_LEVELS_ABOVE_ANY_VALUE + MESSAGE_LEVELS_PER_ANY_VALUE * maxDepth;
  if (protobuf.Reader.recursionLimit < messageLimit) protobuf.Reader.recursionLimit = messageLimit;
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
