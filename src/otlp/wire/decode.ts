import { anyValueTooDeep, DecodeError } from '../decode-error.js';
import { TOO_DEEP } from './common.js';
import { WireReader } from './reader.js';

/**
 * protobufjs's message nesting limit (`Reader.recursionLimit`, 100 by default) as the oracle sets it for `maxDepth`:
 * high enough that maxDepth is the AnyValue limit that applies (receiver §4.4). Above one AnyValue of level 1 there
 * are up to 8 message levels (request → Resource* → Scope* → Metric → Histogram → data point → Exemplar → KeyValue
 * → AnyValue); each further kvlist level adds 3 (KeyValueList → KeyValue → AnyValue).
 */
export function messageNestingLimit(maxDepth: number): number {
  return Math.max(PROTOBUFJS_DEFAULT_RECURSION_LIMIT, MESSAGE_LEVELS_ABOVE_ANY_VALUE + MESSAGE_LEVELS_PER_ANY_VALUE * maxDepth);
}
const PROTOBUFJS_DEFAULT_RECURSION_LIMIT = 100;
const MESSAGE_LEVELS_ABOVE_ANY_VALUE = 8;
const MESSAGE_LEVELS_PER_ANY_VALUE = 3;

/**
 * Runs `read` over the whole body. Any wire error becomes the DecodeError the protobufjs path gives,
 * `invalid protobuf <TypeName>: <protobufjs's message>` (receiver checklist 13); then, as the oracle's mapping does,
 * an AnyValue deeper than maxDepth that made it into the model is refused.
 */
export function decodeWire<T>(typeName: string, body: Uint8Array, maxDepth: number, read: (r: WireReader) => T): T {
  // A Buffer view (no copy): native UTF-8 decoding, and bytes fields come out as Buffers like the JSON decoder's.
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const r = new WireReader(buf, maxDepth, messageNestingLimit(maxDepth));
  let model: T;
  try {
    model = read(r);
  } catch (err) {
    // Truncation, bad lengths, bad wire types, nesting (a stack overflow included): all the sender's fault.
    throw new DecodeError(`invalid protobuf ${typeName}: ${(err as Error).message}`);
  }
  if (r.tooDeep && reachesTooDeep(model)) throw anyValueTooDeep(maxDepth);
  return model;
}

/** Whether the TOO_DEEP marker is anywhere in the model (only walked when some AnyValue was too deep). */
function reachesTooDeep(node: unknown): boolean {
  if (node === TOO_DEEP) return true;
  if (typeof node !== 'object' || node === null || ArrayBuffer.isView(node)) return false;
  for (const child of Array.isArray(node) ? node : Object.values(node)) if (reachesTooDeep(child)) return true;
  return false;
}
