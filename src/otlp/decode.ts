import { decodeLogsJson, decodeMetricsJson, decodeTracesJson, type JsonDecodeOptions } from './decode-json.js';
import { decodeLogsProtobuf, decodeMetricsProtobuf, decodeTracesProtobuf } from './decode-protobuf.js';
import type { Encoding } from './media-type.js';
import type { Signal, SignalRequest } from './model.js';

export type { JsonDecodeOptions } from './decode-json.js';
export type { Encoding } from './media-type.js';
export { DecodeError } from './decode-error.js';

type Decoder<S extends Signal> = (body: Uint8Array, opts: JsonDecodeOptions) => SignalRequest[S];

const DECODERS: { readonly [S in Signal]: Readonly<Record<Encoding, Decoder<S>>> } = {
  traces: { protobuf: decodeTracesProtobuf, json: decodeTracesJson },
  metrics: { protobuf: decodeMetricsProtobuf, json: decodeMetricsJson },
  logs: { protobuf: decodeLogsProtobuf, json: decodeLogsJson },
};

/**
 * The request body (already decompressed) as the model, or a DecodeError (→ 400). The options' `maxDepth` applies
 * to both encodings; the rest only to JSON.
 */
export function decodeRequest<S extends Signal>(signal: S, encoding: Encoding, body: Uint8Array, opts: JsonDecodeOptions): SignalRequest[S] {
  return DECODERS[signal][encoding](body, opts);
}
