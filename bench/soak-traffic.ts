/**
 * What the soak sends: the good trace payloads interleaved with hostile requests of every kind the receiver must
 * refuse (otlp-http-receiver.md checklist 20–25, 40), and the manifest that hands them to the load generator.
 */
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import fc from 'fast-check';
import type { GatewayConfig } from '../src/config/types.js';
import { decodeRequest, type Encoding, type JsonDecodeOptions } from '../src/otlp/decode.js';
import { deepJson, deepProtobufAttribute, mutatedJson } from '../test/helpers/hostile-bodies.js';
import type { Payload } from './payloads.js';

/** One kind of request, as the load generator reads it. */
export interface SoakKind {
  name: string;
  good: boolean;
  contentType: string;
  contentEncoding?: string;
  /** A Content-Length larger than the body sent (the oversize-declaration kind). */
  declaredLength?: number;
  /** Cycled through in order. */
  bodyFiles: string[];
}

export interface SoakManifest {
  kinds: SoakKind[];
  /** Indices into `kinds`, cycled through by all connections together. */
  schedule: number[];
}

export interface SoakKindResult {
  sent: number;
  /** HTTP status → count; `error` (connection failed) and `timeout` too. */
  statuses: Record<string, number>;
  p99Ms: number;
}

export interface SoakLoadResult {
  elapsedMs: number;
  byKind: Record<string, SoakKindResult>;
  goodP50Ms: number;
  goodP99Ms: number;
}

/** A kind with its bodies in memory; `payload` is set for the good ones. */
export interface SoakKindBodies extends Omit<SoakKind, 'bodyFiles'> {
  bodies: Uint8Array[];
  payload?: Payload;
}

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';
/** Variants generated per fast-check kind; fixed seed, so every run sends the same bodies. */
const SAMPLES = 64;
const SEED = 7;

/** Only the bodies the real decoder refuses: a random or mutated body can happen to be a valid request. */
function undecodable(encoding: Encoding, bodies: Uint8Array[], opts: JsonDecodeOptions): Uint8Array[] {
  const refused = bodies.filter((b) => {
    try {
      decodeRequest('traces', encoding, b, opts);
      return false;
    } catch {
      return true;
    }
  });
  if (refused.length === 0) throw new Error(`soak: none of ${bodies.length} generated ${encoding} bodies is undecodable`);
  return refused;
}

function payloadOf(payloads: readonly Payload[], contentType: string, contentEncoding: string | undefined): Payload {
  const p = payloads.find((x) => x.contentType === contentType && x.contentEncoding === contentEncoding);
  if (!p) throw new Error(`soak: no ${contentType} ${contentEncoding ?? 'plain'} payload`);
  return p;
}

/**
 * Gzip of `size` zero bytes, compressed a MiB at a time so that making it costs no `size`-long buffer. Zeros
 * compress ~1000:1, so a bomb past the default 64 MiB limit is a body of about 65 KiB.
 */
async function gzipBomb(size: number): Promise<Buffer> {
  const MIB = 1024 * 1024;
  const zeros = Buffer.alloc(MIB);
  const gzip = createGzip({ level: 9 });
  const chunks: Buffer[] = [];
  gzip.on('data', (c: Buffer) => chunks.push(c));
  for (let left = size; left > 0; left -= MIB) {
    if (!gzip.write(left >= MIB ? zeros : zeros.subarray(0, left))) await once(gzip, 'drain');
  }
  gzip.end();
  await once(gzip, 'end');
  return Buffer.concat(chunks);
}

/** The good kinds (one per payload) and the bad ones, for `limits`. */
export async function soakKinds(payloads: readonly Payload[], limits: GatewayConfig['limits'], decodeOpts: JsonDecodeOptions): Promise<SoakKindBodies[]> {
  const proto = new Uint8Array(payloadOf(payloads, PROTOBUF, undefined).body);
  const json = new Uint8Array(payloadOf(payloads, JSON_TYPE, undefined).body);
  const good: SoakKindBodies[] = payloads.map((p) => ({ name: p.name, good: true, contentType: p.contentType, contentEncoding: p.contentEncoding, bodies: [p.body], payload: p }));
  const bad: SoakKindBodies[] = [
    { name: 'random bytes', contentType: PROTOBUF, bodies: undecodable('protobuf', fc.sample(fc.uint8Array({ minLength: 1, maxLength: 4096 }), { numRuns: SAMPLES, seed: SEED }), decodeOpts) },
    {
      name: 'truncated protobuf',
      contentType: PROTOBUF,
      bodies: undecodable('protobuf', Array.from({ length: SAMPLES }, (_, i) => proto.subarray(0, Math.floor((proto.length * (i + 0.5)) / SAMPLES))), decodeOpts),
    },
    { name: 'malformed JSON', contentType: JSON_TYPE, bodies: undecodable('json', fc.sample(mutatedJson([json]), { numRuns: SAMPLES, seed: SEED }), decodeOpts) },
    { name: 'wrong Content-Type', contentType: 'text/plain', bodies: [proto] },
    { name: 'unknown Content-Encoding', contentType: PROTOBUF, contentEncoding: 'br', bodies: [proto] },
    { name: 'gzip bomb', contentType: PROTOBUF, contentEncoding: 'gzip', bodies: [await gzipBomb(limits.maxDecompressedBytes + 1024 * 1024)] },
    // Refused on the header (checklist 20) before the body is read: only its first KiB is sent.
    { name: 'oversize Content-Length', contentType: PROTOBUF, declaredLength: limits.maxRequestBytes + 1, bodies: [proto.subarray(0, 1024)] },
    {
      name: 'deep JSON nesting',
      contentType: JSON_TYPE,
      bodies: undecodable('json', [deepJson('resourceSpans', 100_000, 'array'), deepJson('resourceSpans', 20_000, 'any-value')], decodeOpts),
    },
    { name: 'deep protobuf nesting', contentType: PROTOBUF, bodies: undecodable('protobuf', [deepProtobufAttribute(5_000)], decodeOpts) },
  ].map((k) => ({ ...k, good: false }));
  return [...good, ...bad];
}

/** Good and bad alternate (half the requests are hostile), each good kind as often as the others, each bad kind too. */
export function interleave(kinds: readonly SoakKindBodies[]): number[] {
  const good = kinds.flatMap((k, i) => (k.good ? [i] : []));
  const bad = kinds.flatMap((k, i) => (k.good ? [] : [i]));
  return Array.from({ length: good.length * bad.length }, (_, n) => [good[n % good.length]!, bad[n % bad.length]!]).flat();
}

/** Writes every body to `dir` and returns the manifest naming them. */
export function writeManifest(kinds: readonly SoakKindBodies[], dir: string): SoakManifest {
  return {
    kinds: kinds.map(({ bodies, payload: _payload, ...k }, i) => ({
      ...k,
      bodyFiles: bodies.map((b, j) => {
        const file = join(dir, `kind${i}-body${j}`);
        writeFileSync(file, b);
        return file;
      }),
    })),
    schedule: interleave(kinds),
  };
}
