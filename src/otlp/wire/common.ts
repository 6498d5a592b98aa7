import type { AnyValue, InstrumentationScope, KeyValue, Resource } from '../model.js';
import { EMPTY_BYTES, type WireReader } from './reader.js';

/**
 * The messages every signal shares (common.proto, resource.proto) and the Resource* / Scope* levels of a request,
 * read straight into the model. Each reader gets the message's nesting `depth` (the request is 0) for protobufjs's
 * nesting limit, and skips unknown fields like protobufjs. A known field is read as its declared type whatever wire
 * type it came with (protobufjs does not look at the wire type of known fields); a message field seen twice is
 * replaced, not merged (protobufjs assigns, it does not merge).
 */

/** A reader of one embedded message (an entry of a repeated field) at nesting `depth`. */
export type MessageReader<T> = (r: WireReader, depth: number) => T;

const EMPTY_ANY_VALUE: AnyValue = Object.freeze({ kind: 'empty' });

/**
 * Stands for an AnyValue deeper than maxDepth. The oracle decodes everything first and refuses the depth only when
 * its mapping reaches such a value, i.e. when the value ends up in the model (not when it sits in a replaced field or
 * a losing oneof member), so this decoder parses on and looks for the marker afterwards (decode.ts).
 */
export const TOO_DEEP: AnyValue = Object.freeze({ kind: 'empty' });

/**
 * protobufjs oneof semantics (its virtual getter walks the message's own keys from the last created): the member
 * that *first* appeared last wins, with the value it was given last. `seen` is the bit set of members met so far.
 */
export const oneofWinner = (seen: number, winner: number, field: number): number => ((seen & (1 << field)) === 0 ? field : winner);

/** AnyValue at nesting `level` (an attribute value or a log body is level 1, decode-error.ts anyValueTooDeep). */
export function readAnyValue(r: WireReader, level: number, depth: number): AnyValue {
  const end = r.messageEnd(depth);
  let seen = 0;
  let winner = 0;
  let stringValue = '';
  let boolValue = false;
  let intValue = 0n;
  let doubleValue = 0;
  // The two message members are only read back when they won, i.e. when they were set.
  let arrayValues: AnyValue[] | undefined;
  let kvlistValues: KeyValue[] | undefined;
  let bytesValue = EMPTY_BYTES;
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    switch (field) {
      case 1:
        stringValue = r.string();
        break;
      case 2:
        boolValue = r.bool();
        break;
      case 3:
        intValue = r.int64();
        break;
      case 4:
        doubleValue = r.double();
        break;
      case 5:
        arrayValues = readArrayValue(r, level + 1, depth + 1);
        break;
      case 6:
        kvlistValues = readKeyValueList(r, level + 1, depth + 1);
        break;
      case 7:
        bytesValue = r.bytes();
        break;
      default:
        r.skipType(tag & 7, depth);
        continue;
    }
    winner = oneofWinner(seen, winner, field);
    seen |= 1 << field;
  }
  if (level > r.maxDepth) {
    r.tooDeep = true;
    return TOO_DEEP;
  }
  switch (winner) {
    case 1:
      return { kind: 'string', value: stringValue };
    case 2:
      return { kind: 'bool', value: boolValue };
    case 3:
      return { kind: 'int', value: intValue };
    case 4:
      return { kind: 'double', value: doubleValue };
    case 5:
      return { kind: 'array', values: arrayValues! };
    case 6:
      return { kind: 'kvlist', values: kvlistValues! };
    case 7:
      return { kind: 'bytes', value: bytesValue };
    default:
      return EMPTY_ANY_VALUE;
  }
}

/** ArrayValue: its values are at nesting `level`. */
function readArrayValue(r: WireReader, level: number, depth: number): AnyValue[] {
  const end = r.messageEnd(depth);
  const values: AnyValue[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1) values.push(readAnyValue(r, level, depth + 1));
    else r.skipType(tag & 7, depth);
  }
  return values;
}

/** KeyValueList: its values are at nesting `level`. */
function readKeyValueList(r: WireReader, level: number, depth: number): KeyValue[] {
  const end = r.messageEnd(depth);
  const values: KeyValue[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1) values.push(readKeyValue(r, level, depth + 1));
    else r.skipType(tag & 7, depth);
  }
  return values;
}

function readKeyValue(r: WireReader, level: number, depth: number): KeyValue {
  const end = r.messageEnd(depth);
  let key = '';
  let value: AnyValue | undefined;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        key = r.string();
        break;
      case 2:
        value = readAnyValue(r, level, depth + 1);
        break;
      default:
        r.skipType(tag & 7, depth);
    }
  }
  return { key, value };
}

/** One attribute (a KeyValue whose value is level 1), the entry of every `attributes`-like repeated field. */
export const readAttribute: MessageReader<KeyValue> = (r, depth) => readKeyValue(r, 1, depth);

export function readResource(r: WireReader, depth: number): Resource {
  const end = r.messageEnd(depth);
  const attributes: KeyValue[] = [];
  let droppedAttributesCount = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        attributes.push(readAttribute(r, depth + 1));
        break;
      case 2:
        droppedAttributesCount = r.uint32();
        break;
      case 3:
        skipEntityRef(r, depth + 1);
        break;
      default:
        r.skipType(tag & 7, depth);
    }
  }
  return { attributes, droppedAttributesCount };
}

/** Resource.entity_refs: not in the model, but protobufjs decodes it (all four fields are strings), so its errors count. */
function skipEntityRef(r: WireReader, depth: number): void {
  const end = r.messageEnd(depth);
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field >= 1 && field <= 4) r.skipString();
    else r.skipType(tag & 7, depth);
  }
}

function readScope(r: WireReader, depth: number): InstrumentationScope {
  const end = r.messageEnd(depth);
  let name = '';
  let version = '';
  const attributes: KeyValue[] = [];
  let droppedAttributesCount = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        name = r.string();
        break;
      case 2:
        version = r.string();
        break;
      case 3:
        attributes.push(readAttribute(r, depth + 1));
        break;
      case 4:
        droppedAttributesCount = r.uint32();
        break;
      default:
        r.skipType(tag & 7, depth);
    }
  }
  return { name, version, attributes, droppedAttributesCount };
}

/**
 * The two levels above the entries, alike in all three signals: ResourceSpans / ResourceMetrics / ResourceLogs and
 * ScopeSpans / ScopeMetrics / ScopeLogs are `head` (the resource or the scope) = 1, the entries = 2, schema_url = 3.
 * `make` builds the signal's model object, so each keeps its own key names and shape.
 */
function readLevel<H, T, S>(
  r: WireReader,
  depth: number,
  readHead: MessageReader<H>,
  readEntry: MessageReader<T>,
  make: (head: H | undefined, entries: T[], schemaUrl: string) => S,
): S {
  const end = r.messageEnd(depth);
  let head: H | undefined;
  const entries: T[] = [];
  let schemaUrl = '';
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        head = readHead(r, depth + 1);
        break;
      case 2:
        entries.push(readEntry(r, depth + 1));
        break;
      case 3:
        schemaUrl = r.string();
        break;
      default:
        r.skipType(tag & 7, depth);
    }
  }
  return make(head, entries, schemaUrl);
}

/** ScopeSpans / ScopeMetrics / ScopeLogs (see readLevel). */
export function readScopeLevel<T, S>(
  r: WireReader,
  depth: number,
  readEntry: MessageReader<T>,
  make: (scope: InstrumentationScope | undefined, entries: T[], schemaUrl: string) => S,
): S {
  return readLevel(r, depth, readScope, readEntry, make);
}

/** ResourceSpans / ResourceMetrics / ResourceLogs (see readLevel). */
export function readResourceLevel<S, R>(
  r: WireReader,
  depth: number,
  readScopeLevelEntry: MessageReader<S>,
  make: (resource: Resource | undefined, scopes: S[], schemaUrl: string) => R,
): R {
  return readLevel(r, depth, readResource, readScopeLevelEntry, make);
}

/** The Export*ServiceRequest itself (nesting 0, the whole body): its one field is the repeated Resource* = 1. */
export function readRequest<R>(r: WireReader, readResourceLevelEntry: MessageReader<R>): R[] {
  const entries: R[] = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 1) entries.push(readResourceLevelEntry(r, 1));
    else r.skipType(tag & 7, 0);
  }
  return entries;
}
