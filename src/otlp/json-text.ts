import { isUtf8 } from 'node:buffer';
import { DecodeError } from './decode-error.js';

/**
 * OTLP/JSON text → a JSON value, as `JSON.parse` would give it but with 64-bit integers exact (quoted) and big bodies
 * parsed in pieces. The schema-driven walk over the value is decode-json.ts.
 */

/** A UTF-8 byte order mark: skipped, as a `TextDecoder` does. */
const BOM = [0xef, 0xbb, 0xbf] as const;

/**
 * The body as a JSON value. UTF-8 is checked with `isUtf8` (simdutf; same acceptance as a fatal `TextDecoder`, which
 * also strips a leading BOM, so we do). A big body is parsed in pieces (PiecewiseJson): one string of the whole body
 * lands in V8's large-object space, whose fresh pages cost more than JSON.parse itself (issue 8: ~1.4 ms of 2.2 ms
 * for a 260 KB, 100-span body). Whatever the pieces make of a body, the whole-text parse is the reference: any
 * doubt falls back to it, and so do its error messages.
 */
export function parseJson(buf: Uint8Array, typeName: string): unknown {
  if (!isUtf8(buf)) throw new DecodeError(`invalid JSON ${typeName}: the body is not valid UTF-8`);
  const bytes = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const start = bytes.length >= 3 && bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2] ? 3 : 0;
  if (bytes.length - start >= PIECEWISE_MIN_BYTES) {
    const value = new PiecewiseJson(bytes).parse(start);
    if (value !== NOT_PIECEWISE) return value;
  }
  try {
    return JSON.parse(quoteBigIntegers(bytes.toString('utf8', start)));
  } catch (err) {
    // SyntaxError, or a RangeError should the parser run out of stack: the sender's fault either way.
    throw new DecodeError(`invalid JSON ${typeName}: ${(err as Error).message}`);
  }
}

/** Smaller bodies make a regular-sized string: parsed whole. */
const PIECEWISE_MIN_BYTES = 64 * 1024;
/**
 * Elements of arrays nested this deep are parsed whole, one JSON.parse each: in OTLP, the spans, metrics and log
 * records (request → resource* → scope* → items). Above them, the envelope is walked here.
 */
const PIECE_ARRAY_DEPTH = 3;
const NOT_PIECEWISE: unique symbol = Symbol('not piecewise');
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

const isJsonSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** Thrown inside PiecewiseJson when the text is not what it can split; the whole-text parse decides then. */
class NotPiecewise extends Error {}

/**
 * The same value as `JSON.parse(quoteBigIntegers(text))` of a valid text, built from small strings: the envelope
 * (objects, and arrays above PIECE_ARRAY_DEPTH) is read here, every other value is cut out at its end (found by a
 * scan that skips strings) and given to JSON.parse. Objects are built by assignment, in key order, last duplicate
 * winning, as JSON.parse does (a `__proto__` key, which assignment would treat differently, falls back). Anything
 * unexpected, invalid pieces included, gives NOT_PIECEWISE.
 */
class PiecewiseJson {
  private pos = 0;

  constructor(private readonly bytes: Buffer) {}

  parse(start: number): unknown {
    this.pos = start;
    try {
      this.skipSpace();
      if (this.bytes[this.pos] !== OPEN_BRACE) return NOT_PIECEWISE; // the walker refuses it; the whole parse words why
      const value = this.object(0);
      this.skipSpace();
      return this.pos === this.bytes.length ? value : NOT_PIECEWISE;
    } catch (err) {
      if (err instanceof NotPiecewise || err instanceof SyntaxError || err instanceof RangeError) return NOT_PIECEWISE;
      throw err;
    }
  }

  private value(arrayDepth: number): unknown {
    this.skipSpace();
    const c = this.bytes[this.pos];
    if (c === OPEN_BRACE) return this.object(arrayDepth);
    if (c === OPEN_BRACKET && arrayDepth < PIECE_ARRAY_DEPTH) return this.array(arrayDepth + 1);
    return this.piece();
  }

  private object(arrayDepth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.pos++;
    this.skipSpace();
    if (this.bytes[this.pos] === CLOSE_BRACE) {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      const key = this.key();
      this.skipSpace();
      this.expect(COLON);
      out[key] = this.value(arrayDepth);
      this.skipSpace();
      if (this.bytes[this.pos] === CLOSE_BRACE) {
        this.pos++;
        return out;
      }
      this.expect(COMMA);
    }
  }

  private array(arrayDepth: number): unknown[] {
    const out: unknown[] = [];
    this.pos++;
    this.skipSpace();
    if (this.bytes[this.pos] === CLOSE_BRACKET) {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(arrayDepth >= PIECE_ARRAY_DEPTH ? this.piece() : this.value(arrayDepth));
      this.skipSpace();
      if (this.bytes[this.pos] === CLOSE_BRACKET) {
        this.pos++;
        return out;
      }
      this.expect(COMMA);
    }
  }

  private key(): string {
    if (this.bytes[this.pos] !== QUOTE) throw new NotPiecewise();
    const start = this.pos;
    this.pos = this.afterString(start);
    // Escapes and control characters (invalid raw) are JSON.parse's to read or refuse.
    const key = this.isPlainText(start + 1, this.pos - 1)
      ? this.bytes.toString('utf8', start + 1, this.pos - 1)
      : (JSON.parse(this.bytes.toString('utf8', start, this.pos)) as string);
    if (key === '__proto__') throw new NotPiecewise();
    return key;
  }

  /** One value parsed whole (a number alone gets brackets, for quoteBigIntegers to see it as a value). */
  private piece(): unknown {
    this.skipSpace();
    const start = this.pos;
    const c = this.bytes[start];
    this.pos = c === QUOTE ? this.afterString(start) : c === OPEN_BRACE || c === OPEN_BRACKET ? this.afterContainer(start) : this.afterScalar(start);
    const text = this.bytes.toString('utf8', start, this.pos);
    if (isDigit(c) || c === MINUS) return (JSON.parse(quoteBigIntegers(`[${text}]`)) as unknown[])[0];
    return JSON.parse(quoteBigIntegers(text));
  }

  private isPlainText(start: number, end: number): boolean {
    for (let i = start; i < end; i++) if (this.bytes[i] < 0x20 || this.bytes[i] === BACKSLASH) return false;
    return true;
  }

  private skipSpace(): void {
    const b = this.bytes;
    while (this.pos < b.length && isJsonSpace(b[this.pos])) this.pos++;
  }

  private expect(c: number): void {
    if (this.bytes[this.pos] !== c) throw new NotPiecewise();
    this.pos++;
  }

  /** The index after the string opening at `open`. */
  private afterString(open: number): number {
    const b = this.bytes;
    const n = b.length;
    let i = open + 1;
    while (i < n) {
      const c = b[i];
      if (c === QUOTE) return i + 1;
      i += c === BACKSLASH ? 2 : 1;
    }
    throw new NotPiecewise();
  }

  /** The index after the bracket that closes the one at `open` (whether they pair up is JSON.parse's to check). */
  private afterContainer(open: number): number {
    const b = this.bytes;
    const n = b.length;
    let depth = 0;
    let i = open;
    while (i < n) {
      const c = b[i];
      if (c === QUOTE) {
        i = this.afterString(i);
        continue;
      }
      if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --depth === 0) return i + 1;
      i++;
    }
    throw new NotPiecewise();
  }

  /** The index after a number, `true`, `false` or `null` starting at `start`. */
  private afterScalar(start: number): number {
    const b = this.bytes;
    let i = start;
    while (i < b.length) {
      const c = b[i];
      if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || isJsonSpace(c)) break;
      i++;
    }
    if (i === start) throw new NotPiecewise();
    return i;
  }
}

/** An unquoted integer of 16+ digits may exceed 2^53 (J5); the cheap test that decides whether to scan at all. */
const MAYBE_BIG_INTEGER = /[:[,]\s*-?\d{16}/;
const BIG_INTEGER_DIGITS = 16;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
/** Characters that continue a number literal after its integer digits: `.`, `e`, `E`, `+`, `-`, digits. */
const continuesNumber = (c: number): boolean => isDigit(c) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === MINUS;

/**
 * JSON.parse rounds integer literals above 2^53 (receiver §4.4), so integer literals of 16+ digits outside strings
 * are wrapped in quotes first. Every numeric OTLP field also accepts a decimal string (J5, J6), so the value then
 * arrives exact. Only runs when MAYBE_BIG_INTEGER matches; returns the text itself when nothing was quoted.
 */
export function quoteBigIntegers(text: string): string {
  if (!MAYBE_BIG_INTEGER.test(text)) return text;
  const n = text.length;
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = afterString(text, i);
    } else if (isDigit(c) || c === MINUS) {
      const start = i;
      const firstDigit = c === MINUS ? i + 1 : i;
      i = firstDigit;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
      if (i < n && continuesNumber(text.charCodeAt(i))) {
        while (i < n && continuesNumber(text.charCodeAt(i))) i++; // a fraction or exponent: a double, left alone
      } else if (i - firstDigit >= BIG_INTEGER_DIGITS) {
        out += `${text.slice(copied, start)}"${text.slice(start, i)}"`;
        copied = i;
      }
    } else {
      i++;
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** The index after the string literal opening at `open` (or the end of the text if it is unterminated). */
function afterString(text: string, open: number): number {
  let from = open + 1;
  for (;;) {
    const close = text.indexOf('"', from);
    if (close < 0) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(close - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return close + 1;
    from = close + 1;
  }
}
