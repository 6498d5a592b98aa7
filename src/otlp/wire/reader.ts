/**
 * Protobuf wire-format primitives for the direct OTLP decoder (issue 8). They mirror protobufjs 7's `Reader` /
 * `BufferReader` byte for byte — how far each read advances, what it accepts, and the error text — because the
 * protobufjs decoder is the oracle this one must match on every input, valid or not (test/wire-decode.test.ts).
 * The protobufjs quirks kept on purpose are marked "protobufjs:"; bounds are always checked against the end of the
 * whole body, never against the enclosing message (protobufjs does the same: a field may run past its message).
 */

/**
 * `Buffer#utf8Slice`: the native decoder behind `toString('utf8', s, e)` without its argument checks; invalid UTF-8
 * becomes U+FFFD, as in protobufjs's BufferReader. (A JS-side cache of short repeated strings measured slower.)
 */
type Utf8Slicer = { utf8Slice(start: number, end: number): string };

/** The one empty byte string the model uses for every absent or empty bytes field (as decode-map.ts's EMPTY_BYTES). */
export const EMPTY_BYTES: Uint8Array = Buffer.alloc(0);

/** Scratch for reading little-endian doubles without allocating. */
const F64 = new Float64Array(1);
const F64_BYTES = new Uint8Array(F64.buffer);

const TWO_POW_32 = 4294967296;
/** Below this high word, `hi * 2^32 + lo` is an exact double (< 2^53), so no BigInt arithmetic is needed. */
const EXACT_HIGH_WORD = 0x200000;

function indexOutOfRange(pos: number, length: number, len: number): RangeError {
  return new RangeError(`index out of range: ${pos} + ${length} > ${len}`);
}

export class WireReader {
  readonly buf: Buffer;
  readonly len: number;
  pos = 0;
  /** The deepest message nesting accepted (protobufjs `Reader.recursionLimit`, see messageNestingLimit). */
  readonly nestingLimit: number;
  /** The deepest AnyValue level accepted (decode-error.ts anyValueTooDeep). */
  readonly maxDepth: number;
  /** Set when some AnyValue was deeper than maxDepth (see common.ts TOO_DEEP). */
  tooDeep = false;
  /** The two 32-bit halves of the last 64-bit varint read (no LongBits object per read). */
  private lo = 0;
  private hi = 0;

  constructor(buf: Buffer, maxDepth: number, nestingLimit: number) {
    this.buf = buf;
    this.len = buf.length;
    this.maxDepth = maxDepth;
    this.nestingLimit = nestingLimit;
  }

  /**
   * A varint as an unsigned 32-bit number. protobufjs: only the low 32 bits of the first five bytes count; if all
   * five have the continuation bit, five more bytes are skipped unread, and running past the end reports `len + 10`.
   */
  uint32(): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos + 5 > this.len) return this.uint32NearEnd();
    let b = buf[pos++];
    let value = b & 127;
    if (b >= 128) {
      b = buf[pos++];
      value |= (b & 127) << 7;
      if (b >= 128) {
        b = buf[pos++];
        value |= (b & 127) << 14;
        if (b >= 128) {
          b = buf[pos++];
          value |= (b & 127) << 21;
          if (b >= 128) {
            b = buf[pos++];
            value = (value | ((b & 15) << 28)) >>> 0;
            if (b >= 128 && (pos += 5) > this.len) {
              this.pos = this.len;
              throw indexOutOfRange(this.len, 10, this.len);
            }
          }
        }
      }
    }
    this.pos = pos;
    return value;
  }

  /**
   * uint32 with fewer than five bytes left: every byte is checked. protobufjs reads missing bytes as zero bits with
   * the continuation bit, so running out is always its "len + 10" error.
   */
  private uint32NearEnd(): number {
    let value = 0;
    for (let shift = 0; this.pos < this.len; shift += 7) {
      const b = this.buf[this.pos++];
      value |= (b & 127) << shift;
      if (b < 128) return value >>> 0;
    }
    throw indexOutOfRange(this.len, 10, this.len);
  }

  int32(): number {
    return this.uint32() | 0;
  }

  sint32(): number {
    const v = this.uint32();
    return ((v >>> 1) ^ -(v & 1)) | 0;
  }

  bool(): boolean {
    return this.uint32() !== 0;
  }

  /** A varint-encoded uint64 (e.g. ExponentialHistogram bucket counts). */
  uint64(): bigint {
    this.longVarint();
    return unsigned64(this.lo, this.hi);
  }

  /** A varint-encoded int64 (AnyValue.int_value): two's complement. */
  int64(): bigint {
    this.longVarint();
    return signed64(this.lo, this.hi);
  }

  fixed32(): number {
    const pos = this.pos;
    if (pos + 4 > this.len) throw indexOutOfRange(pos, 4, this.len);
    this.pos = pos + 4;
    return this.buf.readUInt32LE(pos);
  }

  fixed64(): bigint {
    this.fixed64Halves();
    return unsigned64(this.lo, this.hi);
  }

  sfixed64(): bigint {
    this.fixed64Halves();
    return signed64(this.lo, this.hi);
  }

  double(): number {
    const pos = this.pos;
    // protobufjs reports 4 (not 8) as the missing length of a double.
    if (pos + 8 > this.len) throw indexOutOfRange(pos, 4, this.len);
    const buf = this.buf;
    F64_BYTES[0] = buf[pos];
    F64_BYTES[1] = buf[pos + 1];
    F64_BYTES[2] = buf[pos + 2];
    F64_BYTES[3] = buf[pos + 3];
    F64_BYTES[4] = buf[pos + 4];
    F64_BYTES[5] = buf[pos + 5];
    F64_BYTES[6] = buf[pos + 6];
    F64_BYTES[7] = buf[pos + 7];
    this.pos = pos + 8;
    return F64[0];
  }

  /** A length-delimited byte string as a view into the body (protobufjs BufferReader: a Buffer slice, not a copy). */
  bytes(): Uint8Array {
    const length = this.uint32();
    const start = this.pos;
    const end = start + length;
    if (end > this.len) throw indexOutOfRange(start, length, this.len);
    this.pos = end;
    return length === 0 ? EMPTY_BYTES : this.buf.subarray(start, end);
  }

  /**
   * A length-delimited UTF-8 string. protobufjs BufferReader: a string running past
   * the end of the body is cut at the end, not refused.
   */
  string(): string {
    const length = this.uint32();
    const start = this.pos;
    const end = Math.min(start + length, this.len);
    this.pos = end;
    return (this.buf as unknown as Utf8Slicer).utf8Slice(start, end);
  }

  /** string() for a field the model does not keep: same advance, no decoding. */
  skipString(): void {
    const length = this.uint32();
    this.pos = Math.min(this.pos + length, this.len);
  }

  /**
   * Starts an embedded message at nesting `depth` (the request is 0): reads its length and returns where it ends.
   * protobufjs checks the depth after reading the length, and never checks that the message ends where it said.
   */
  messageEnd(depth: number): number {
    const length = this.uint32();
    if (depth > this.nestingLimit) throw new Error('maximum nesting depth exceeded');
    return this.pos + length;
  }

  /** Where a packed run (wire type 2) of a repeated scalar ends. */
  packedEnd(): number {
    const length = this.uint32();
    return this.pos + length;
  }

  /** Skips a field the decoder does not know, of wire type `wireType`, in a message at nesting `depth`. */
  skipType(wireType: number, depth: number): void {
    if (depth > this.nestingLimit) throw new Error('maximum nesting depth exceeded');
    switch (wireType) {
      case 0:
        this.skipVarint();
        break;
      case 1:
        this.skip(8);
        break;
      case 2:
        this.skip(this.uint32());
        break;
      case 3:
        // A group: everything up to the next end-group tag, whatever its field number (protobufjs).
        for (let wt = this.uint32() & 7; wt !== 4; wt = this.uint32() & 7) this.skipType(wt, depth + 1);
        break;
      case 5:
        this.skip(4);
        break;
      default:
        throw new Error(`invalid wire type ${wireType} at offset ${this.pos}`);
    }
  }

  /** protobufjs: a skipped varint may be any length (no 10-byte limit). */
  private skipVarint(): void {
    do {
      if (this.pos >= this.len) throw indexOutOfRange(this.pos, 1, this.len);
    } while (this.buf[this.pos++] & 128);
  }

  private skip(length: number): void {
    if (this.pos + length > this.len) throw indexOutOfRange(this.pos, length, this.len);
    this.pos += length;
  }

  private fixed64Halves(): void {
    const pos = this.pos;
    if (pos + 8 > this.len) throw indexOutOfRange(pos, 8, this.len);
    this.pos = pos + 8;
    this.lo = this.buf.readUInt32LE(pos);
    this.hi = this.buf.readUInt32LE(pos + 4);
  }

  /**
   * protobufjs `readLongVarint` into lo/hi, quirks included: with at most four bytes left it reads a fourth byte
   * unconditionally (past the end it counts as 0 and the position ends one beyond the body, which ends every
   * enclosing message); a tenth byte with the continuation bit is "invalid varint encoding".
   */
  private longVarint(): void {
    const buf = this.buf;
    const len = this.len;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    let b: number;
    if (len - pos > 4) {
      for (let i = 0; i < 4; i++) {
        b = buf[pos++];
        lo = (lo | ((b & 127) << (i * 7))) >>> 0;
        if (b < 128) return this.setLong(pos, lo, hi);
      }
      b = buf[pos++];
      lo = (lo | ((b & 127) << 28)) >>> 0;
      hi = (b & 127) >> 4;
      if (b < 128) return this.setLong(pos, lo, hi);
    } else {
      for (let i = 0; i < 3; i++) {
        if (pos >= len) throw indexOutOfRange(pos, 1, len);
        b = buf[pos++];
        lo = (lo | ((b & 127) << (i * 7))) >>> 0;
        if (b < 128) return this.setLong(pos, lo, hi);
      }
      lo = (lo | ((pos < len ? buf[pos] & 127 : 0) << 21)) >>> 0;
      return this.setLong(pos + 1, lo, hi);
    }
    const checked = len - pos <= 4;
    for (let i = 0; i < 5; i++) {
      if (checked && pos >= len) throw indexOutOfRange(pos, 1, len);
      b = buf[pos++];
      hi = (hi | ((b & 127) << (i * 7 + 3))) >>> 0;
      if (b < 128) return this.setLong(pos, lo, hi);
    }
    throw new Error('invalid varint encoding');
  }

  private setLong(pos: number, lo: number, hi: number): void {
    this.pos = pos;
    this.lo = lo;
    this.hi = hi;
  }
}

/** Two 32-bit halves as an unsigned 64-bit bigint. */
function unsigned64(lo: number, hi: number): bigint {
  if (hi < EXACT_HIGH_WORD) return BigInt(hi * TWO_POW_32 + lo);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Two 32-bit halves as a two's-complement 64-bit bigint. */
function signed64(lo: number, hi: number): bigint {
  const high = hi | 0;
  if (high >= -EXACT_HIGH_WORD && high < EXACT_HIGH_WORD) return BigInt(high * TWO_POW_32 + lo);
  return (BigInt(high) << 32n) + BigInt(lo);
}
