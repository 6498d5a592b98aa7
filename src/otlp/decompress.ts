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

/** Output chunk of the inflater: the most a bomb can inflate past the limit before it is stopped. */
export const INFLATE_CHUNK_BYTES = 64 * 1024;

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
      return inflateBounded(body, zlib.createGunzip({ chunkSize: INFLATE_CHUNK_BYTES }), coding, maxBytes);
    case 'deflate': {
      // HTTP "deflate" is zlib-wrapped (RFC 9110 §8.4.1.2), but some clients send raw deflate: pick by the header.
      const opts = { chunkSize: INFLATE_CHUNK_BYTES };
      const inflater = hasZlibHeader(body) ? zlib.createInflate(opts) : zlib.createInflateRaw(opts);
      return inflateBounded(body, inflater, coding, maxBytes);
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
