/**
 * A request body that cannot be decoded into the model: bad protobuf, bad JSON, a wrong id length, an out-of-range
 * integer, nesting deeper than allowed. The receiver answers 400 with a `google.rpc.Status` (receiver checklist 13);
 * the message is meant for the developer of the sending client, so it names the field path or the offset.
 */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

/**
 * The one AnyValue depth rule shared by both decoders (receiver §4.4, checklist 32): the value directly in an
 * attribute or log body is level 1, each arrayValue/kvlistValue step adds one, and a level above `maxDepth` is refused.
 */
export function anyValueTooDeep(maxDepth: number): DecodeError {
  return new DecodeError(`AnyValue nested deeper than ${maxDepth} levels (arrayValue/kvlistValue)`);
}
