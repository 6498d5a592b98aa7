import protobuf from 'protobufjs';
import { anyValueTooDeep, DecodeError } from './decode-error.js';
import {
  EMPTY_BYTES,
  mapLogsRequest,
  mapMetricsRequest,
  mapTracesRequest,
  type PbLogsRequest,
  type PbMetricsRequest,
  type PbTracesRequest,
} from './decode-map.js';
import type { LogsRequest, MetricsRequest, TracesRequest } from './model.js';
import { parseJson } from './json-text.js';
import { otlpProtoTypes } from './proto.js';

/**
 * OTLP/JSON → model. The JSON is walked against the protobufjs reflection types loaded from proto/ (the one
 * description of every message, shared by both modes) into the same protobufjs messages `Type.decode` produces; the
 * protobuf decoder's mapping then turns them into the model. Rules: receiver §1.8 (J1–J6), §2.8, §4.4, checklist
 * 27–33; DataKit's own reading (strictDatakit): datakit reference §3.5, Q1, Q2.
 */

export interface JsonDecodeOptions {
  /** DataKit 1.84's reading: ids as base64 (Q1), keys its old schema lacks rejected (Q2). */
  strictDatakit: boolean;
  /** The deepest AnyValue nesting accepted (decode-error.ts `anyValueTooDeep`). */
  maxDepth: number;
  /**
   * Spec mode only: told (once per reason per request) when DataKit 1.84 would have refused this request or read it
   * differently. Reasons are a small fixed set of strings (no request data), so a caller may log each once.
   */
  onDataKitDifference?: (reason: string) => void;
}

export function decodeTracesJson(buf: Uint8Array, opts: JsonDecodeOptions): TracesRequest {
  const type = otlpProtoTypes().ExportTraceServiceRequest;
  return mapTracesRequest(decodeJsonMessage<PbTracesRequest>(buf, type, opts), opts.maxDepth);
}

export function decodeMetricsJson(buf: Uint8Array, opts: JsonDecodeOptions): MetricsRequest {
  const type = otlpProtoTypes().ExportMetricsServiceRequest;
  return mapMetricsRequest(decodeJsonMessage<PbMetricsRequest>(buf, type, opts), opts.maxDepth);
}

export function decodeLogsJson(buf: Uint8Array, opts: JsonDecodeOptions): LogsRequest {
  const type = otlpProtoTypes().ExportLogsServiceRequest;
  return mapLogsRequest(decodeJsonMessage<PbLogsRequest>(buf, type, opts), opts.maxDepth);
}

function decodeJsonMessage<T>(buf: Uint8Array, type: protobuf.Type, opts: JsonDecodeOptions): T {
  const json = parseJson(buf, type.name);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new DecodeError(`invalid JSON ${type.name}: expected an object at the top level, got ${describe(json)}`);
  }
  try {
    return new JsonWalker(opts).message(json as JsonObject, messagePlan(type), 0) as T;
  } catch (err) {
    if (err instanceof JsonPathError) {
      const path = err.path.startsWith('.') ? err.path.slice(1) : err.path;
      throw new DecodeError(path ? `${path}: ${err.reason}` : err.reason);
    }
    // Only reachable with a huge configured maxDepth: the walk recursed deeper than the stack allows.
    if (err instanceof RangeError) throw new DecodeError(`invalid JSON ${type.name}: ${err.message}`);
    throw err;
  }
}

// ------------------------------------------------------------------------------------------------ field plans

/** The fields DataKit's vendored OTLP schema (GuanceCloud/tracing-protos) lacks: datakit reference §3.5, Q2. */
const NOT_IN_DATAKIT_SCHEMA = new Set([
  'Span.flags',
  'Span.Link.flags',
  'LogRecord.eventName',
  'Metric.metadata',
  'ExponentialHistogramDataPoint.zeroThreshold',
  'Resource.entityRefs',
]);

/** Byte length of the OTLP ids that OTLP/JSON writes as hex (J1), by field name. */
const ID_LENGTHS: ReadonlyMap<string, number> = new Map([
  ['traceId', 16],
  ['spanId', 8],
  ['parentSpanId', 8],
]);

type Scalar = 'double' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'bool' | 'string' | 'bytes' | 'id' | 'enum';

const SCALAR_BY_PROTO_TYPE: Readonly<Record<string, Scalar>> = {
  double: 'double',
  float: 'double',
  int32: 'int32',
  sint32: 'int32',
  sfixed32: 'int32',
  uint32: 'uint32',
  fixed32: 'uint32',
  int64: 'int64',
  sint64: 'int64',
  sfixed64: 'int64',
  uint64: 'uint64',
  fixed64: 'uint64',
  bool: 'bool',
  string: 'string',
  bytes: 'bytes',
};

interface FieldPlan {
  /** The protobufjs (lowerCamelCase) name: the property set on the message. */
  readonly name: string;
  /** `Span.flags`: used in errors and DataKit difference reasons. */
  readonly qualifiedName: string;
  readonly repeated: boolean;
  /** Set for scalar fields (enums included). */
  readonly scalar: Scalar | undefined;
  readonly idLength: number;
  readonly enumValues: Readonly<Record<string, number>> | undefined;
  /** Set for message fields. */
  readonly messageType: protobuf.Type | undefined;
  readonly notInDataKitSchema: boolean;
}

interface MessagePlan {
  readonly type: protobuf.Type;
  /** `Span.Link`: the full name without the package. */
  readonly name: string;
  readonly isAnyValue: boolean;
  /** By lowerCamelCase JSON name and by the original snake_case name (J4). */
  readonly fields: ReadonlyMap<string, FieldPlan>;
}

const plans = new Map<protobuf.Type, MessagePlan>();

function messagePlan(type: protobuf.Type): MessagePlan {
  let plan = plans.get(type);
  if (plan === undefined) {
    plan = buildPlan(type);
    plans.set(type, plan);
  }
  return plan;
}

function buildPlan(type: protobuf.Type): MessagePlan {
  const name = type.fullName.replace(/^\.(?:[a-z0-9_]+\.)*/, '');
  const fields = new Map<string, FieldPlan>();
  for (const field of type.fieldsArray) {
    field.resolve();
    const resolved = field.resolvedType;
    const qualifiedName = `${name}.${field.name}`;
    const isId = field.type === 'bytes' && ID_LENGTHS.has(field.name);
    const plan: FieldPlan = {
      name: field.name,
      qualifiedName,
      repeated: field.repeated,
      scalar: resolved instanceof protobuf.Type ? undefined : resolved instanceof protobuf.Enum ? 'enum' : isId ? 'id' : SCALAR_BY_PROTO_TYPE[field.type],
      idLength: isId ? ID_LENGTHS.get(field.name)! : 0,
      enumValues: resolved instanceof protobuf.Enum ? resolved.values : undefined,
      messageType: resolved instanceof protobuf.Type ? resolved : undefined,
      notInDataKitSchema: NOT_IN_DATAKIT_SCHEMA.has(qualifiedName),
    };
    if (plan.scalar === undefined && plan.messageType === undefined) throw new Error(`no JSON rule for ${qualifiedName} (${field.type})`);
    fields.set(field.name, plan);
    // protobufjs camel-cases the .proto names on load; the snake_case original is recovered from it.
    fields.set(field.name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), plan);
  }
  return { type, name, isAnyValue: name === 'AnyValue', fields };
}

// ---------------------------------------------------------------------------------------------------- the walk

/** A decode failure below the top: the path is prepended while the error unwinds (no cost on the happy path). */
class JsonPathError extends Error {
  path = '';
  constructor(readonly reason: string) {
    super(reason);
  }
}

function atPath(err: unknown, segment: string): unknown {
  if (err instanceof JsonPathError) err.path = segment + err.path;
  return err;
}

type JsonObject = Record<string, unknown>;

class JsonWalker {
  private readonly strict: boolean;
  private readonly maxDepth: number;
  private readonly onDifference: ((reason: string) => void) | undefined;
  private reported: Set<string> | undefined;

  constructor(opts: JsonDecodeOptions) {
    this.strict = opts.strictDatakit;
    this.maxDepth = opts.maxDepth;
    this.onDifference = opts.strictDatakit ? undefined : opts.onDataKitDifference;
  }

  /** `anyValueLevel`: how many AnyValue messages enclose this one (receiver §4.4 depth rule). */
  message(json: JsonObject, plan: MessagePlan, anyValueLevel: number): protobuf.Message {
    if (plan.isAnyValue && ++anyValueLevel > this.maxDepth) throw new JsonPathError(anyValueTooDeep(this.maxDepth).message);
    const out = new plan.type.ctor() as unknown as JsonObject;
    for (const key in json) {
      const field = plan.fields.get(key);
      if (field === undefined) {
        // J3: ignored; DataKit's protojson refuses it (Q2). The key itself stays out of the reason (bounded set).
        if (this.strict) throw new JsonPathError(`unknown field "${key}" in ${plan.name}`);
        this.difference(`unknown JSON field in ${plan.name}: DataKit 1.84 rejects it`);
        continue;
      }
      if (field.notInDataKitSchema) {
        if (this.strict) throw new JsonPathError(`unknown field "${key}" in ${plan.name} (not in DataKit 1.84's OTLP schema)`);
        this.difference(`unknown JSON field ${field.qualifiedName}: DataKit 1.84 rejects it`);
      }
      const value = json[key];
      if (value === null) continue; // J6: null is the default
      try {
        out[field.name] = field.repeated ? this.list(value, field, anyValueLevel) : this.single(value, field, anyValueLevel);
      } catch (err) {
        throw atPath(err, `.${key}`);
      }
    }
    return out as unknown as protobuf.Message;
  }

  private list(json: unknown, field: FieldPlan, anyValueLevel: number): unknown[] {
    if (!Array.isArray(json)) throw new JsonPathError(`expected an array, got ${describe(json)}`);
    const out = new Array<unknown>(json.length);
    for (let i = 0; i < json.length; i++) {
      try {
        out[i] = this.single(json[i], field, anyValueLevel);
      } catch (err) {
        throw atPath(err, `[${i}]`);
      }
    }
    return out;
  }

  private single(json: unknown, field: FieldPlan, anyValueLevel: number): unknown {
    if (field.messageType !== undefined) {
      if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new JsonPathError(`expected an object, got ${describe(json)}`);
      return this.message(json as JsonObject, messagePlan(field.messageType), anyValueLevel);
    }
    switch (field.scalar) {
      case 'string':
        if (typeof json !== 'string') throw new JsonPathError(`expected a string, got ${describe(json)}`);
        return json;
      case 'bool':
        if (typeof json !== 'boolean') throw new JsonPathError(`expected true or false, got ${describe(json)}`);
        return json;
      case 'double':
        return readDouble(json);
      case 'int32':
        return readInt32(json, INT32_MIN, INT32_MAX);
      case 'uint32':
        return readInt32(json, 0, UINT32_MAX);
      case 'int64':
        return readInt64(json, INT64_MIN, INT64_MAX);
      case 'uint64':
        return readInt64(json, 0n, UINT64_MAX);
      case 'enum':
        return readEnum(json, field.enumValues!);
      case 'bytes':
        return readBase64(json);
      case 'id':
        return this.id(json, field.idLength);
      default:
        throw new Error(`unreachable: ${field.qualifiedName}`);
    }
  }

  /** J1: hex ids; DataKit reads them as base64 like any bytes field (Q1). */
  private id(json: unknown, byteLength: number): Uint8Array {
    if (this.strict) return readBase64(json);
    if (typeof json !== 'string') throw new JsonPathError(`expected a hex string, got ${describe(json)}`);
    if (json.length === 0) return EMPTY_BYTES; // "" = absent id (a root span's parentSpanId)
    if (json.length !== byteLength * 2) throw new JsonPathError(`expected ${byteLength * 2} hex digits, got ${json.length}`);
    if (!HEX.test(json)) throw new JsonPathError(`expected ${byteLength * 2} hex digits, got non-hex characters`);
    this.difference('JSON ids are hex: DataKit 1.84 decodes them as base64');
    return Buffer.from(json, 'hex');
  }

  private difference(reason: string): void {
    if (this.onDifference === undefined) return;
    this.reported ??= new Set();
    if (this.reported.has(reason)) return;
    this.reported.add(reason);
    this.onDifference(reason);
  }
}

// ----------------------------------------------------------------------------------------------- scalar readers

const HEX = /^[0-9a-fA-F]+$/;
const DECIMAL_INTEGER = /^-?\d+$/;
const DECIMAL_NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const UINT32_MAX = 2 ** 32 - 1;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;
const SPECIAL_DOUBLES: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

function describe(json: unknown): string {
  if (json === null) return 'null';
  if (Array.isArray(json)) return 'an array';
  if (typeof json === 'string') return json.length > 40 ? `a string of ${json.length} characters` : JSON.stringify(json);
  if (typeof json === 'object') return 'an object';
  return String(json);
}

/** J6: a number, a numeric string, or "NaN" / "Infinity" / "-Infinity". */
function readDouble(json: unknown): number {
  if (typeof json === 'number') return json;
  if (typeof json === 'string') {
    const special = SPECIAL_DOUBLES[json];
    if (special !== undefined && Object.hasOwn(SPECIAL_DOUBLES, json)) return special;
    if (DECIMAL_NUMBER.test(json)) return Number(json);
  }
  throw new JsonPathError(`expected a number, got ${describe(json)}`);
}

/** J6: 32-bit integers (and enums given as numbers) as a number or a decimal string. */
function readInt32(json: unknown, min: number, max: number): number {
  const n = typeof json === 'string' && DECIMAL_INTEGER.test(json) ? Number(json) : json;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new JsonPathError(`expected an integer, got ${describe(json)}`);
  if (n < min || n > max) throw new JsonPathError(`integer ${describe(json)} out of range [${min}, ${max}]`);
  return n;
}

/** J5: 64-bit integers as a decimal string (exact) or a number (big literals arrive quoted, see quoteBigIntegers). */
function readInt64(json: unknown, min: bigint, max: bigint): bigint {
  let n: bigint;
  if (typeof json === 'string' && DECIMAL_INTEGER.test(json)) n = BigInt(json);
  else if (typeof json === 'number' && Number.isInteger(json)) n = BigInt(json);
  else throw new JsonPathError(`expected an integer, got ${describe(json)}`);
  if (n < min || n > max) throw new JsonPathError(`integer ${describe(json)} out of range [${min}, ${max}]`);
  return n;
}

/** J2: the enum's number or its name (an unknown name is an error, §2.8). */
function readEnum(json: unknown, values: Readonly<Record<string, number>>): number {
  if (typeof json === 'string' && !DECIMAL_INTEGER.test(json)) {
    if (!Object.hasOwn(values, json)) throw new JsonPathError(`unknown enum value ${describe(json)}`);
    return values[json];
  }
  return readInt32(json, INT32_MIN, INT32_MAX);
}

const BASE64_STANDARD = /^[A-Za-z0-9+/]*$/;
const BASE64_URL = /^[A-Za-z0-9_-]*$/;

/**
 * proto3 JSON bytes, read the way Go's protojson does (DataKit, Q1): the URL-safe alphabet when the text has `-` or
 * `_`, else the standard one; padding optional. Node's own base64 decoding skips invalid characters, hence the checks.
 */
function readBase64(json: unknown): Uint8Array {
  if (typeof json !== 'string') throw new JsonPathError(`expected a base64 string, got ${describe(json)}`);
  let end = json.length;
  if (end % 4 === 0) while (end > 0 && end > json.length - 2 && json.charCodeAt(end - 1) === 0x3d /* = */) end--;
  const digits = end === json.length ? json : json.slice(0, end);
  const alphabet = digits.includes('-') || digits.includes('_') ? BASE64_URL : BASE64_STANDARD;
  if (digits.length % 4 === 1 || !alphabet.test(digits)) throw new JsonPathError(`invalid base64 ${describe(json)}`);
  return digits.length === 0 ? EMPTY_BYTES : Buffer.from(digits, 'base64');
}
