/**
 * Go's number-to-text conversions that DataKit's output depends on, reproduced exactly in JS, plus the byte-length
 * cut DataKit applies to strings and the small text helpers the converters share. JS's own `String(n)`, `toFixed`
 * and `toExponential` give the right digits in most cases; these functions patch the places where Go differs
 * (exponent notation, halfway rounding, -0, ±Inf, NaN).
 */

/** The shortest round-trip digits of a finite non-zero |n|, and the decimal exponent of the first digit. */
interface ShortestDigits {
  digits: string;
  /** `n = 0.d1d2d3… × 10^(exponent + 1)`, i.e. d1 sits at 10^exponent. */
  exponent: number;
}

function shortestDigits(abs: number): ShortestDigits {
  // toExponential() without an argument yields the shortest digits that read back to the same double (the same
  // digits Go's strconv picks with precision -1).
  const s = abs.toExponential();
  const e = s.indexOf('e');
  const mantissa = s.slice(0, e);
  const digits = mantissa.length > 1 ? mantissa[0] + mantissa.slice(2) : mantissa;
  return { digits, exponent: Number(s.slice(e + 1)) };
}

function nonFinite(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  return n > 0 ? '+Inf' : '-Inf';
}

/** `-` for negative numbers and for -0, as Go prints the sign bit. */
function sign(n: number): string {
  return n < 0 || Object.is(n, -0) ? '-' : '';
}

/**
 * Go's `strconv.FormatFloat(n, 'f', -1, 64)`: the shortest decimal that reads back to the same double, never in
 * exponent notation (datakit reference §9.3, the histogram `le` tag §6.5). `1e21` → `1000000000000000000000`,
 * `1e-7` → `0.0000001`, `3` → `3`, `-0` → `-0`, ±Inf → `+Inf`/`-Inf`, NaN → `NaN`.
 */
export function formatFloat(n: number): string {
  if (!Number.isFinite(n)) return nonFinite(n);
  if (n === 0) return sign(n) + '0';
  const plain = String(n);
  // JS only switches to exponent notation below 1e-6 and from 1e21; everything else already matches Go.
  if (plain.indexOf('e') === -1) return plain;
  const { digits, exponent } = shortestDigits(Math.abs(n));
  const point = exponent + 1; // digits before the decimal point
  let body: string;
  if (point <= 0) body = '0.' + '0'.repeat(-point) + digits;
  else if (point >= digits.length) body = digits + '0'.repeat(point - digits.length);
  else body = digits.slice(0, point) + '.' + digits.slice(point);
  return sign(n) + body;
}

/**
 * Go's `strconv.FormatFloat(n, 'g', -1, 64)` for finite n: shortest digits, exponent notation when the exponent is
 * below -4 or at least 6 (Go uses 6 for the shortest form, not the digit count), exponent with at least two digits:
 * `1234567` → `1.234567e+06`, `0.00001` → `1e-05`, `100000` → `100000`. Used by Go's protobuf text form (§6.3).
 */
export function formatFloatG(n: number): string {
  if (n === 0) return sign(n) + '0';
  const { digits, exponent } = shortestDigits(Math.abs(n));
  if (exponent < -4 || exponent >= 6) {
    const mantissa = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
    const exp = Math.abs(exponent);
    return sign(n) + mantissa + (exponent < 0 ? 'e-' : 'e+') + (exp < 10 ? '0' : '') + exp;
  }
  return formatFloat(n);
}

/**
 * True when |n| × 10^decimals lies exactly halfway between two integers. That happens exactly when the lowest set
 * bit of |n| is 2^-(decimals+1), i.e. |n| × 2^(decimals+1) is an odd integer (a power-of-two scale is exact).
 */
function isExactHalfway(abs: number, decimals: number): boolean {
  return (abs * 2 ** (decimals + 1)) % 2 === 1;
}

/** Inserts the decimal point into the integer `scaled` (= value × 10^decimals). */
function withDecimals(scaled: bigint, decimals: number): string {
  if (decimals === 0) return scaled.toString();
  const s = scaled.toString().padStart(decimals + 1, '0');
  return s.slice(0, s.length - decimals) + '.' + s.slice(s.length - decimals);
}

/**
 * Go's `fmt.Sprintf("%.<decimals>f", n)` exactly (`%.3f` for attributes §6.3, `%f` for log bodies §7.4).
 * `toFixed` already rounds the exact binary value correctly except in these cases, handled here:
 * - exact halfway values: Go rounds half to even (`0.0625` → `0.062` at 3), `toFixed` away from zero;
 * - |n| ≥ 1e21: `toFixed` falls back to exponent notation, Go writes all integer digits;
 * - -0: Go keeps the sign (`-0.000`); ±Inf and NaN: Go writes `+Inf`, `-Inf`, `NaN`.
 */
export function formatFixed(n: number, decimals: number): string {
  if (!Number.isFinite(n)) return nonFinite(n);
  const abs = Math.abs(n);
  let body: string;
  if (abs >= 1e21) {
    // Doubles this large are integers: BigInt gives every digit exactly.
    body = withDecimals(BigInt(abs) * 10n ** BigInt(decimals), decimals);
  } else if (isExactHalfway(abs, decimals)) {
    // abs = odd / 2^(d+1), so abs × 10^d = odd × 5^d / 2 and the integer below it is (odd × 5^d − 1) / 2.
    const odd = BigInt(abs * 2 ** (decimals + 1));
    const below = (odd * 5n ** BigInt(decimals) - 1n) / 2n;
    body = withDecimals(below % 2n === 0n ? below : below + 1n, decimals);
  } else {
    body = abs.toFixed(decimals);
  }
  return sign(n) + body;
}

/**
 * Cuts `s` to at most `maxBytes` bytes of UTF-8. DataKit cuts Go strings at the byte index and may split a character
 * (leaving invalid UTF-8); a JS string cannot hold half a character, so the cut is moved back to the last character
 * boundary that fits (documented deviation, only visible for multi-byte text longer than the limit).
 */
export function truncateUtf8(s: string, maxBytes: number): string {
  // Every UTF-16 unit is at most 3 UTF-8 bytes: short strings need no measuring.
  if (s.length * 3 <= maxBytes) return s;
  if (Buffer.byteLength(s, 'utf8') <= maxBytes) return s;
  const bytes = Buffer.from(s, 'utf8');
  let end = maxBytes;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--; // step back off continuation bytes
  return bytes.toString('utf8', 0, end);
}

/** Renamed keys by key as sent: the same few attribute keys come in every data point, span and record. */
const renamedKeys = new Map<string, string>();
/** Past this many distinct keys the memo starts again (a client sending ever new keys cannot grow it). */
const RENAMED_KEYS_MAX = 4096;

/**
 * DataKit's key rename `.` → `_` (attribute maps §6.2, customer_tags §4.2, the checker's key rules §8). Memoised: a
 * lookup is cheaper than a new string per data point, and equal keys come back as one string, which later key
 * comparisons (the checker's, the line-protocol encoder's) then find equal without reading them.
 */
export function dotsToUnderscores(key: string): string {
  if (key.indexOf('.') === -1) return key;
  let renamed = renamedKeys.get(key);
  if (renamed === undefined) {
    if (renamedKeys.size >= RENAMED_KEYS_MAX) renamedKeys.clear();
    renamed = key.replaceAll('.', '_');
    renamedKeys.set(key, renamed);
  }
  return renamed;
}

/** A Buffer over the same memory as `bytes` (no copy), for Node's utf8/base64 text conversions. */
export function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
