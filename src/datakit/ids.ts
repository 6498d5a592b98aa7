import type { OtelInputConfig } from '../config/types.js';

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lowercase hex of the raw bytes, two digits per byte, at whatever length arrives. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]];
  return s;
}

/**
 * DataKit's id conversion for `trace_id`, `span_id`, `parent_id` (traces) and `trace_id`, `span_id` (logs),
 * datakit reference §5.3. Empty → "0".
 */
export function convertId(bytes: Uint8Array, input: Pick<OtelInputConfig, 'compatibleDdtrace' | 'compatibleZhaoshang'>): string {
  if (input.compatibleDdtrace) {
    // The last 8 bytes as a big-endian uint64 in decimal; fewer than 8 bytes → "0" (Q45).
    if (bytes.length < 8) return '0';
    let v = 0n;
    for (let i = bytes.length - 8; i < bytes.length; i++) v = (v << 8n) | BigInt(bytes[i]);
    return v.toString();
  }
  if (input.compatibleZhaoshang && bytes.length > 8) {
    // The raw bytes used directly as a string (binary text).
    return Buffer.from(bytes).toString('latin1');
  }
  // DataKit also answers "0" for the one-byte id "0" (0x30), which it compares as a string.
  if (bytes.length === 0 || (bytes.length === 1 && bytes[0] === 0x30)) return '0';
  return toHex(bytes);
}
