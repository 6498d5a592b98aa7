import zlib from 'node:zlib';
import { HttpError } from './http-errors.js';

/**
 * Content-Encoding handling with a bounded output (receiver §1.4, §4.3; checklist 20–25). The inflater runs on the
 * libuv pool in chunks and is destroyed as soon as the output passes the limit, so a gzip bomb costs at most the
 * limit plus one chunk of memory and work (CVE-2024-36129).
 */

export type ContentCoding = 'identity' | 'gzip' | 'deflate';

/** What an unsupported Content-Encoding is told to use instead (RFC 9110 §12.5.3, checklist 23). */
export const ACCEPTED_CODINGS = 'gzip, deflate';

/** Smallest and largest output chunk of the inflater; a chunk is also the most a bomb inflates past the limit. */
export const INFLATE_CHUNK_BYTES = 64 * 1024;
export const MAX_INFLATE_CHUNK_BYTES = 1024 * 1024;

/**
 * Output chunk for a body: compressed OTLP inflates ~5–20×, a bomb ~1000×; each chunk is one trip through the libuv
 * pool, so a big body gets big chunks (a 64 MiB bomb takes 64 trips, not 1024), a small one stays at 64 KiB.
 */
export function inflateChunkBytes(compressedBytes: number): number {
  return Math.min(MAX_INFLATE_CHUNK_BYTES, Math.max(INFLATE_CHUNK_BYTES, 2 ** Math.ceil(Math.log2(compressedBytes * 16 + 1))));
}

/**
 * Inflating costs CPU and up to the limit in memory per request: at most this many bodies inflate at once, the
 * others wait their turn holding only their compressed bytes, so concurrent bombs cannot multiply the memory bound.
 */
export const MAX_CONCURRENT_INFLATES = 2;
let inflating = 0;
const waiting: Array<() => void> = [];

async function withInflateSlot<T>(run: () => Promise<T>): Promise<T> {
  if (inflating >= MAX_CONCURRENT_INFLATES) await new Promise<void>((resolve) => waiting.push(resolve));
  else inflating++;
  try {
    return await run();
  } finally {
    const next = waiting.shift();
    if (next) next(); // the slot passes straight to the next waiter
    else inflating--;
  }
}

/**
 * Spec mode (checklist 22): the token is trimmed and case-insensitive; `x-gzip` is gzip; empty and `identity` mean
 * none. `undefined` for anything else (→ 415).
 */
export function contentCodingOf(header: string | undefined): ContentCoding | undefined {
  if (header === undefined) return 'identity';
  switch (header.trim().toLowerCase()) {
    case '':
    case 'identity':
      return 'identity';
    case 'gzip':
    case 'x-gzip':
      return 'gzip';
    case 'deflate':
      return 'deflate';
    default:
      return undefined;
  }
}

/** DataKit 1.84 (datakit §3.4, Q9): only `gzip` (trimmed, case-insensitive) is decompressed, anything else stays raw. */
export function dataKitContentCodingOf(header: string | undefined): ContentCoding {
  return header !== undefined && header.trim().toLowerCase() === 'gzip' ? 'gzip' : 'identity';
}

/** 413 from decompression; `producedBytes` is how far the inflater got before it was stopped. */
export class DecompressedTooLarge extends HttpError {
  constructor(
    limit: number,
    readonly producedBytes: number,
  ) {
    super(413, `decompressed request body exceeds max_decompressed_bytes (${limit} bytes)`);
  }
}

/**
 * The body with its Content-Encoding removed, at most `maxBytes` long. Throws `DecompressedTooLarge` (413) past the
 * limit and an `HttpError` 400 for a body that is not valid for its coding (never a crash, even in strict mode: Q8).
 */
export function decompress(body: Buffer, coding: ContentCoding, maxBytes: number): Promise<Buffer> {
  switch (coding) {
    case 'identity':
      return body.length > maxBytes ? Promise.reject(new DecompressedTooLarge(maxBytes, body.length)) : Promise.resolve(body);
    case 'gzip':
      return withInflateSlot(() => inflateBounded(body, zlib.createGunzip({ chunkSize: inflateChunkBytes(body.length) }), coding, maxBytes));
    case 'deflate': {
      // HTTP "deflate" is zlib-wrapped (RFC 9110 §8.4.1.2), but some clients send raw deflate: pick by the header.
      const opts = { chunkSize: inflateChunkBytes(body.length) };
      return withInflateSlot(() =>
        inflateBounded(body, hasZlibHeader(body) ? zlib.createInflate(opts) : zlib.createInflateRaw(opts), coding, maxBytes),
      );
    }
  }
}

/** RFC 1950 §2.2: CM = 8 (deflate), CINFO ≤ 7, and CMF·256 + FLG a multiple of 31. */
function hasZlibHeader(body: Buffer): boolean {
  if (body.length < 2) return false;
  const cmf = body[0];
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | body[1]) % 31 === 0;
}

function inflateBounded(body: Buffer, inflater: zlib.Gunzip | zlib.Inflate | zlib.InflateRaw, coding: ContentCoding, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let produced = 0;
    inflater.on('data', (chunk: Buffer) => {
      produced += chunk.length;
      if (produced > maxBytes) {
        inflater.destroy();
        reject(new DecompressedTooLarge(maxBytes, produced));
        return;
      }
      chunks.push(chunk);
    });
    inflater.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, produced)));
    inflater.on('error', (err: Error) => reject(new HttpError(400, `invalid ${coding} body: ${err.message}`)));
    inflater.end(body);
  });
}
