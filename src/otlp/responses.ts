import { rpcCodeFor } from './http-errors.js';
import type { Encoding } from './media-type.js';
import type { Signal } from './model.js';
import { otlpProtoTypes } from './proto.js';

/**
 * Response bodies in the request's encoding (receiver §1.2, §1.5–§1.7): `Export<Signal>ServiceResponse` for 200,
 * `google.rpc.Status` for every 4xx/5xx.
 */

/** What the handler reports back: partial success when `rejected > 0` or `errorMessage` is non-empty (§1.6). */
export interface ExportResult {
  rejected?: number;
  errorMessage?: string;
}

/** Full success: `partial_success` unset. Protobuf is zero bytes; JSON is `{}`, never an empty body (pitfall 10). */
const FULL_SUCCESS: Readonly<Record<Encoding, Buffer>> = { protobuf: Buffer.alloc(0), json: Buffer.from('{}') };

/** The count field of each signal's `Export*PartialSuccess`, as named in JSON and by protobufjs. */
const REJECTED_FIELD: Readonly<Record<Signal, string>> = {
  traces: 'rejectedSpans',
  metrics: 'rejectedDataPoints',
  logs: 'rejectedLogRecords',
};

function responseType(signal: Signal) {
  const types = otlpProtoTypes();
  return signal === 'traces' ? types.ExportTraceServiceResponse : signal === 'metrics' ? types.ExportMetricsServiceResponse : types.ExportLogsServiceResponse;
}

/**
 * Bodies are always Buffers: Fastify sends those as they are, while a string with a JSON media type would get
 * `; charset=utf-8` appended to the Content-Type, which must mirror the request's media type exactly (checklist 7).
 */

/** A protobufjs writer's bytes as a Buffer view (no copy). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The 200 body for `result`; proto3 JSON leaves out a zero count and an empty message. */
export function exportResponseBody(signal: Signal, encoding: Encoding, result: ExportResult): Buffer {
  const rejected = result.rejected ?? 0;
  const errorMessage = result.errorMessage ?? '';
  if (rejected <= 0 && errorMessage === '') return FULL_SUCCESS[encoding];
  const partialSuccess: Record<string, string | number> = {};
  if (rejected > 0) partialSuccess[REJECTED_FIELD[signal]] = encoding === 'json' ? String(rejected) : rejected; // int64: a string in JSON (J5)
  if (errorMessage !== '') partialSuccess.errorMessage = errorMessage;
  if (encoding === 'json') return Buffer.from(JSON.stringify({ partialSuccess }));
  const type = responseType(signal);
  return asBuffer(type.encode(type.fromObject({ partialSuccess })).finish());
}

/** The `google.rpc.Status` body of an error answer, `code` chosen from the HTTP status (§4.2). */
export function statusBody(encoding: Encoding, httpStatus: number, message: string): Buffer {
  const code = rpcCodeFor(httpStatus);
  if (encoding === 'json') return Buffer.from(JSON.stringify({ code, message }));
  const { Status } = otlpProtoTypes();
  return asBuffer(Status.encode(Status.fromObject({ code, message })).finish());
}
